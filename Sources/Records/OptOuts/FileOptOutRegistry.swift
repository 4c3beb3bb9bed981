import Compliance
import Foundation
import Logging
import Synchronization

/// `optouts.csv`: append-only events `recorded_at,number,event,keyword,text,modem,source`
/// (RFC 4180), folded per number into an in-memory index kept in step with the file.
///
/// The index is compact (`OptOutIndex`): per number its key (an E.164 number packed in 64 bits,
/// or the 32 bytes of an `hmac:` identifier) and where its deciding row is in the file; the rows
/// are read straight from the file's bytes without making strings. The file stays the source of
/// truth: `state(of:)`, `current()` and `events()` read the rows they need again.
///
/// Hashed mode (`storeHashed`, needs `key`): the number column holds `hmac:<hex>` (HMAC-SHA-256 of
/// the E.164 number) and `text` is never stored. Lookups, adds, removes and exports by number
/// all work by hashing the number asked for. Rows of either form may coexist (a list that was
/// switched to hashed mode): with a key, a number's plain and hashed rows are one history (the
/// latest event of both decides).
///
/// A malformed row is never skipped: loading fails with `RecordsError.malformedFile` listing
/// every bad line, so the agent stops rather than market to a number whose opt-out it could not
/// read. A person fixes the lines named and starts again. (A torn last row, from a crash in the
/// middle of an append, was never acknowledged and is moved to `optouts.csv.torn`.)
public final class FileOptOutRegistry: OptOutRegistry, Sendable {
    public static let columns = ["recorded_at", "number", "event", "keyword", "text", "modem", "source"]

    public let path: String
    public let storeHashed: Bool
    /// Characters of the inbound text kept in the `text` column (0: none, the default).
    public let textLimit: Int
    private let key: HMACKey?

    private struct State {
        let file: AppendOnlyCSVFile
        var index = OptOutIndex()
        /// A malformed row appended while open: every later call fails with it.
        var failure: RecordsError?
        /// `optedOutCount` of a list with plain and hashed rows (which costs one HMAC per plain
        /// number), valid while `eventCount` is unchanged.
        var mergedCount: (events: Int, count: Int)?
        /// The last `events()` answer while the file has not changed since (a feed that asks
        /// every 250 ms reads the file once per change, not once per look).
        var listed: (events: Int, list: [OptOutEvent])?
    }
    private let state: Mutex<State>

    /// - Parameters:
    ///   - key: the HMAC key if the installation has one (required when `storeHashed`, and to read
    ///     hashed rows).
    ///   - storeHashed: write `hmac:` identifiers instead of numbers.
    public init(path: String, key: HMACKey? = nil, storeHashed: Bool = false, textLimit: Int = 0,
                permissions: RecordPermissions = .owner, logger: Logger = Logger(label: "smsagent.records.optouts")) throws {
        if storeHashed && key == nil {
            throw RecordsError.invalidFile(path: path, reason: "hashed mode needs the key file (optout.key)")
        }
        self.path = path
        self.key = key
        self.storeHashed = storeHashed
        self.textLimit = storeHashed ? 0 : max(0, textLimit)
        let file = try AppendOnlyCSVFile(path: path, columns: Self.columns, mode: permissions.file, logger: logger)
        var initial = State(file: file)
        // Room for the numbers at once (a row of the registry's own is about 70 bytes): no
        // rehash of a growing dictionary, which costs time and, while it copies, twice the memory.
        if let size = try? FileSystem.status(path).st_size.asInt, size > 4096 {
            initial.index.plain.reserveCapacity(size / 70)
        }
        var folder = Folder(path: path, hasKey: key != nil)
        let issues = try file.load { record, offset in folder.fold(record, offset: offset, into: &initial.index) }
        try folder.finish(issues)
        state = Mutex(initial)
    }

    // MARK: OptOutRegistry

    public func isOptedOut(_ number: PhoneNumber) throws -> Bool {
        try isOptedOut(e164: number.e164)
    }

    /// The same for a number already in E.164 form (or an `hmac:` identifier).
    public func isOptedOut(e164: String) throws -> Bool {
        let keys = try lookupKeys(of: e164)
        return try state.withLock { s in
            try refresh(&s)
            return decidingEntry(keys, in: s.index)?.optedOut ?? false
        }
    }

    @discardableResult
    public func record(_ event: OptOutEvent) throws -> Bool {
        let stored = try storable(event)
        let keys = try lookupKeys(of: event.number)
        return try state.withLock { s in
            try s.file.withExclusiveLock {
                try refresh(&s)
                if try alreadyRecorded(stored, keys: keys, in: &s) { return false }
                try s.file.append(Self.fields(of: stored))
                try refresh(&s)
                return true
            }
        }
    }

    public func events() throws -> [OptOutEvent] {
        try state.withLock { s in
            try refresh(&s)
            if let listed = s.listed, listed.events == s.index.eventCount { return listed.list }
            var events: [OptOutEvent] = []
            events.reserveCapacity(s.index.eventCount)
            try s.file.scanConsumed { record, _ in
                if case let .success(event) = Self.parse(record.materialized(), path: path) { events.append(event) }
            }
            s.listed = (s.index.eventCount, events)
            return events
        }
    }

    /// How many events the file holds (what `events().count` gives, without reading them).
    public func eventCount() throws -> Int {
        try state.withLock { s in
            try refresh(&s)
            return s.index.eventCount
        }
    }

    public func optedOutCount() throws -> Int {
        try state.withLock { s in
            try refresh(&s)
            if let key, !s.index.plain.isEmpty, !s.index.hashed.isEmpty {
                if let cached = s.mergedCount, cached.events == s.index.eventCount { return cached.count }
                let count = Self.mergedEntries(s.index, key: key).reduce(0) { $0 + ($1.optedOut ? 1 : 0) }
                s.mergedCount = (s.index.eventCount, count)
                return count
            }
            return s.index.plain.values.reduce(0) { $0 + ($1.optedOut ? 1 : 0) }
                + s.index.hashed.values.reduce(0) { $0 + ($1.optedOut ? 1 : 0) }
        }
    }

    public func current() throws -> [OptOutState] {
        try state.withLock { s in
            try refresh(&s)
            let entries: [OptOutIndex.Entry]
            if let key, !s.index.plain.isEmpty, !s.index.hashed.isEmpty {
                entries = Self.mergedEntries(s.index, key: key)
            } else {
                entries = Array(s.index.plain.values) + Array(s.index.hashed.values)
            }
            let deciding = Set(entries.map(\.offset))
            var states: [OptOutState] = []
            states.reserveCapacity(deciding.count)
            try s.file.scanConsumed { record, offset in
                guard deciding.contains(offset), case let .success(event) = Self.parse(record.materialized(), path: path) else { return }
                states.append(OptOutState(number: event.number, optedOut: event.event == .optout, lastEvent: event))
            }
            return states
        }
    }

    public func state(of number: PhoneNumber) throws -> OptOutState? {
        let keys = try lookupKeys(of: number.e164)
        return try state.withLock { s in
            try refresh(&s)
            guard let entry = decidingEntry(keys, in: s.index) else { return nil }
            guard let row = try s.file.record(at: entry.offset) else {
                throw RecordsError.invalidFile(path: path, reason: "the row at byte \(entry.offset) cannot be read again")
            }
            switch Self.parse(row, path: path) {
            case let .success(event):
                return OptOutState(number: event.number, optedOut: event.event == .optout, lastEvent: event)
            case let .failure(issue):
                throw RecordsError.malformedFile(path: path, issues: [issue])
            }
        }
    }

    /// How a number is written in this registry's file (`hmac:…` in hashed mode).
    public func storedIdentifier(for number: PhoneNumber) -> String {
        OptOutEvent.storedIdentifier(for: number, key: key, storeHashed: storeHashed)
    }

    // MARK: Import / export

    public struct ImportReport: Sendable, Equatable {
        /// Events appended.
        public var recorded: Int = 0
        /// Numbers already in the wanted state (nothing appended).
        public var unchanged: Int = 0
        /// Rows that are not numbers, by line; nothing else is lost.
        public var issues: [RecordIssue] = []
    }

    /// Imports a CSV of numbers (`smsagent optouts import FILE`): the first column, or the
    /// column named `number`/`phone`/`msisdn`/`mobile` when the first line is a header. National
    /// numbers are read with `defaultCountry`; `hmac:` identifiers are accepted as they are.
    /// Bad rows are reported by line; every good row is recorded. The events are appended as one
    /// batch (one write, one fsync): the report is returned once all of them are durable.
    public func importNumbers(fromCSV csvPath: String, defaultCountry: String, event: OptOutEvent.Kind = .optout,
                              at date: Date = Date()) throws -> ImportReport {
        let bytes = try FileSystem.readFile(csvPath)
        var parsed = CSV.parse(bytes[...])
        if parsed.completeLength < bytes.count {   // last line without newline
            parsed = CSV.parse((bytes + [UInt8(ascii: "\n")])[...])
        }
        var report = ImportReport()
        report.issues = parsed.issues.map { RecordIssue(path: csvPath, line: $0.line, reason: $0.reason) }
        var column = 0
        var rows = parsed.records
        if let first = rows.first {
            let names = first.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if let found = names.firstIndex(where: { ["number", "phone", "msisdn", "mobile", "numero", "telephone"].contains($0) }) {
                column = found
                rows.removeFirst()
            }
        }
        let name = (csvPath as NSString).lastPathComponent
        var candidates: [(event: OptOutEvent, keys: LookupKeys)] = []
        candidates.reserveCapacity(rows.count)
        // Spaces and tabs around a cell (what `.whitespaces` trims in a CSV cell), without Foundation.
        func trimmed(_ cell: String) -> String {
            guard let first = cell.utf8.first, let last = cell.utf8.last,
                  first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 || !cell.utf8.allSatisfy({ $0 < 0x80 })
            else { return cell }
            return cell.trimmingCharacters(in: .whitespaces)
        }
        for row in rows {
            let raw = row.fields.indices.contains(column) ? trimmed(row.fields[column]) : ""
            if raw.isEmpty {
                if row.fields.allSatisfy({ trimmed($0).isEmpty }) { continue }
                report.issues.append(RecordIssue(path: csvPath, line: row.line, reason: "no number in column \(column + 1)"))
                continue
            }
            let number: String
            if HMACKey.isIdentifier(raw) {
                number = raw
            } else {
                do {
                    number = try PhoneNumber.parse(raw, defaultCountry: defaultCountry).e164
                } catch {
                    report.issues.append(RecordIssue(path: csvPath, line: row.line, reason: "\(raw): \(error)"))
                    continue
                }
            }
            let candidate = OptOutEvent(recordedAt: date, number: number, event: event, source: "import:\(name):\(row.line)")
            candidates.append((try storable(candidate), try lookupKeys(of: number)))
        }
        let wanted = event == .optout
        // Every row of an import has the same time: written once, not once per row.
        let stamp = candidates.first.map { RecordCoding.timestamp($0.event.recordedAt) }
        try state.withLock { s in
            try s.file.withExclusiveLock {
                try refresh(&s)
                var batch: [[String]] = []
                var decided = Set<StoredNumber>()
                for (stored, keys) in candidates {
                    let already = decided.contains(keys.primary)
                        || (decidingEntry(keys, in: s.index)?.optedOut ?? false) == wanted
                    if already {
                        report.unchanged += 1
                        continue
                    }
                    decided.insert(keys.primary)
                    if let hashed = keys.hashed { decided.insert(.hashed(hashed)) }
                    batch.append(Self.fields(of: stored, stamp: stamp))
                }
                try s.file.append(rows: batch)
                report.recorded = batch.count
                try refresh(&s)
            }
        }
        report.issues.sort { $0.line < $1.line }
        return report
    }

    // MARK: Internals

    /// The keys a number may be indexed under: its own form, and its HMAC when a key exists (a
    /// list switched to hashed mode keeps its plain rows).
    private struct LookupKeys {
        var primary: StoredNumber
        var hashed: HMACDigest?
    }

    private func lookupKeys(of number: String) throws -> LookupKeys {
        if HMACKey.isIdentifier(number) {
            guard key != nil, let stored = StoredNumber(number) else {
                throw RecordsError.invalidFile(path: path, reason: "holds hashed numbers but the key file (optout.key) is missing")
            }
            return LookupKeys(primary: stored)
        }
        let e164 = try E164.validated(number)
        guard let stored = StoredNumber(e164) else { throw RecordsError.invalidNumber(number) }
        return LookupKeys(primary: stored, hashed: key.map { $0.digest(forE164: e164) })
    }

    private func decidingEntry(_ keys: LookupKeys, in index: OptOutIndex) -> OptOutIndex.Entry? {
        var entry: OptOutIndex.Entry?
        switch keys.primary {
        case let .e164(packed): entry = index.plain[packed]
        case let .hashed(digest): entry = index.hashed[digest]
        }
        if let hashed = keys.hashed, !index.hashed.isEmpty {
            entry = OptOutIndex.Entry.latest(entry, index.hashed[hashed])
        }
        return entry
    }

    /// One entry per number for a list holding both plain and hashed rows.
    private static func mergedEntries(_ index: OptOutIndex, key: HMACKey) -> [OptOutIndex.Entry] {
        var merged = index.hashed
        for (packed, entry) in index.plain {
            let digest = key.digest(forE164: StoredNumber.unpackE164(packed))
            merged[digest] = OptOutIndex.Entry.latest(merged[digest], entry)
        }
        return Array(merged.values)
    }

    /// The event as this registry writes it: number hashed in hashed mode, text cut, time to the ms.
    private func storable(_ event: OptOutEvent) throws -> OptOutEvent {
        try event.storable(key: key, storeHashed: storeHashed, textLimit: textLimit)
    }

    /// The same event from the same SMS (same number in either form, kind and `sms:` source) is
    /// already in the file. The index keeps only hashes: a hit is confirmed by reading the file.
    private func alreadyRecorded(_ event: OptOutEvent, keys: LookupKeys, in s: inout State) throws -> Bool {
        guard event.source.hasPrefix(InboundSource.sms) else { return false }
        let optedOut = event.event == .optout
        var forms = [keys.primary]
        if let hashed = keys.hashed { forms.append(.hashed(hashed)) }
        guard forms.contains(where: { s.index.smsEvents.contains(OptOutIndex.smsEventHash($0, optedOut: optedOut, source: event.source)) })
        else { return false }
        var found = false
        try s.file.scanConsumed { record, _ in
            guard !found, record.count >= Self.columns.count, record.string(6) == event.source,
                  let number = StoredNumber(record.string(1)), forms.contains(number),
                  OptOutEvent.Kind(rawValue: record.string(2).trimmingCharacters(in: .whitespaces).lowercased()) == event.event
            else { return }
            found = true
        }
        return found
    }

    private func refresh(_ s: inout State) throws {
        var folder = Folder(path: path, hasKey: key != nil)
        var restarted = false
        let file = s.file
        let issues = try file.refresh(restart: {
            restarted = true
            s.index = OptOutIndex()
        }) { record, offset in
            folder.fold(record, offset: offset, into: &s.index)
        }
        if restarted {
            s.failure = nil
            s.mergedCount = nil
            s.listed = nil
        }
        if let failure = s.failure { throw failure }
        do {
            try folder.finish(issues)
        } catch let error as RecordsError {
            s.failure = error
            throw error
        }
    }

    /// Folds rows into an index, collecting every malformed one.
    struct Folder {
        let path: String
        let hasKey: Bool
        var problems: [RecordIssue] = []

        init(path: String, hasKey: Bool) {
            self.path = path
            self.hasKey = hasKey
        }

        mutating func fold(_ record: CSV.RawRecord, offset: Int, into index: inout OptOutIndex) {
            guard record.count >= FileOptOutRegistry.columns.count,
                  let millis = record.rawBytes(0).flatMap(RecordCoding.canonicalTimestampMillis),
                  let numberBytes = record.rawBytes(1), let number = StoredNumber(numberBytes),
                  let optedOut = record.rawBytes(2).flatMap(Self.eventKind)
            else {
                return foldSlowly(record, offset: offset, into: &index)
            }
            add(number, millis: millis, optedOut: optedOut, record: record, offset: offset, into: &index)
        }

        /// A row not in the registry's own canonical form (a time with an offset, a quoted or
        /// padded field, an upper-case event): parsed with the general rules, or reported.
        private mutating func foldSlowly(_ record: CSV.RawRecord, offset: Int, into index: inout OptOutIndex) {
            switch FileOptOutRegistry.parse(record.materialized(), path: path) {
            case let .failure(issue):
                problems.append(issue)
            case let .success(event):
                guard let number = StoredNumber(event.number) else {
                    return problems.append(RecordIssue(path: path, line: record.line, reason: "number \(event.number) is unreadable"))
                }
                guard let millis = Self.millis(of: event.recordedAt) else {
                    return problems.append(RecordIssue(path: path, line: record.line,
                                                       reason: "time \(event.recordedAt.timeIntervalSince1970) s since 1970 is out of range"))
                }
                add(number, millis: millis, optedOut: event.event == .optout, record: record, offset: offset, into: &index)
            }
        }

        /// Milliseconds since 1970 of a time read from the file; nil when they do not fit an `Int64`.
        static func millis(of date: Date) -> Int64? {
            Int64(exactly: (date.timeIntervalSince1970 * 1000).rounded())
        }

        private mutating func add(_ number: StoredNumber, millis: Int64, optedOut: Bool, record: CSV.RawRecord, offset: Int,
                                  into index: inout OptOutIndex) {
            if case .hashed = number, !hasKey {
                return problems.append(RecordIssue(path: path, line: record.line, reason: "hashed number but no key file (optout.key)"))
            }
            index.fold(number, millis: millis, offset: offset, optedOut: optedOut)
            if let source = record.rawBytes(6) {
                if source.starts(with: InboundSource.smsBytes) {
                    index.smsEvents.insert(OptOutIndex.smsEventHash(number, optedOut: optedOut, source: UnsafeRawBufferPointer(source)))
                }
            } else {
                let source = record.string(6)
                if source.hasPrefix(InboundSource.sms) {
                    index.smsEvents.insert(OptOutIndex.smsEventHash(number, optedOut: optedOut, source: source))
                }
            }
        }

        func finish(_ issues: [RecordIssue]) throws {
            let all = issues + problems
            if !all.isEmpty {
                throw RecordsError.malformedFile(path: path, issues: all.sorted { $0.line < $1.line })
            }
        }

        static func eventKind(_ b: UnsafeBufferPointer<UInt8>) -> Bool? {
            if b.elementsEqual("optout".utf8) { return true }
            if b.elementsEqual("optin".utf8) { return false }
            return nil
        }
    }

    private enum InboundSource {
        static let sms = "sms:"
        static let smsBytes = Array("sms:".utf8)
    }

    private static func parse(_ row: CSV.Record, path: String) -> Result<OptOutEvent, RecordIssue> {
        func issue(_ reason: String) -> Result<OptOutEvent, RecordIssue> {
            .failure(RecordIssue(path: path, line: row.line, reason: reason))
        }
        let f = row.fields
        guard f.count >= columns.count else { return issue("\(f.count) fields, expected \(columns.count)") }
        guard let date = RecordCoding.parseTimestamp(f[0]) else { return issue("recorded_at \(String(reflecting: f[0])) is not an ISO 8601 time") }
        let number = f[1].trimmingCharacters(in: .whitespaces)
        guard E164.isValid(number) || HMACKey.isIdentifier(number) else {
            return issue("number \(String(reflecting: f[1])) is neither E.164 nor hmac:<64 hex>")
        }
        guard let kind = OptOutEvent.Kind(rawValue: f[2].trimmingCharacters(in: .whitespaces).lowercased()) else {
            return issue("event \(String(reflecting: f[2])) is neither optout nor optin")
        }
        return .success(OptOutEvent(recordedAt: date, number: number, event: kind, keyword: f[3], text: f[4], modem: f[5], source: f[6]))
    }

    private static func fields(of event: OptOutEvent, stamp: String? = nil) -> [String] {
        [stamp ?? RecordCoding.timestamp(event.recordedAt), event.number, event.event.rawValue, event.keyword, event.text, event.modem,
         event.source]
    }
}
