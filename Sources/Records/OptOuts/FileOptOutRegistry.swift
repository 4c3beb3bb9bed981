import Compliance
import Foundation
import Logging
import Synchronization

/// `optouts.csv`: append-only events `recorded_at,number,event,keyword,text,modem,source`
/// (RFC 4180), folded per number into an in-memory index kept in step with the file.
///
/// Hashed mode (`storeHashed`, needs `key`): the number column holds `hmac:<hex>` (HMAC-SHA-256 of
/// the E.164 number) and `text` is never stored. Lookups, adds, removes and exports by number
/// all work by hashing the number asked for. Rows of either form may coexist (a list that was
/// switched to hashed mode): with a key, plain rows are indexed by their hash too.
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

    private struct State: FoldedCSVState {
        let file: AppendOnlyCSVFile
        var failure: RecordsError?
        func restarted() -> State { State(file: file) }
        var events: [OptOutEvent] = []
        /// identity (hash when a key is present, else E.164) -> index in `events` of the deciding event.
        var index: [String: Int] = [:]
        var seen: Set<String> = []
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
        let loaded = try file.load()
        try Self.fold(loaded.rows, issues: loaded.issues, into: &initial, key: key, path: path)
        state = Mutex(initial)
    }

    // MARK: OptOutRegistry

    public func isOptedOut(_ number: PhoneNumber) throws -> Bool {
        try isOptedOut(e164: number.e164)
    }

    /// The same for a number already in E.164 form (or an `hmac:` identifier).
    public func isOptedOut(e164: String) throws -> Bool {
        let identity = try self.identity(of: e164)
        return try state.withLock { s in
            try refresh(&s)
            guard let at = s.index[identity] else { return false }
            return s.events[at].event == .optout
        }
    }

    @discardableResult
    public func record(_ event: OptOutEvent) throws -> Bool {
        var stored = event
        if HMACKey.isIdentifier(event.number) {
            guard key != nil else { throw RecordsError.invalidRecord("cannot record \(event.number): no HMAC key") }
        } else {
            let e164 = try E164.validated(event.number)
            if storeHashed, let key { stored.number = key.identifier(forE164: e164) }
        }
        stored.text = textLimit == 0 ? "" : String(event.text.prefix(textLimit))
        stored.recordedAt = Date(timeIntervalSince1970: (event.recordedAt.timeIntervalSince1970 * 1000).rounded() / 1000)
        let identity = try self.identity(of: event.number)
        let dedupKey = Self.dedupKey(identity: identity, event: stored)
        return try state.withLock { s in
            try s.file.withExclusiveLock {
                try refresh(&s)
                if let dedupKey, s.seen.contains(dedupKey) { return false }
                try s.file.append(Self.fields(of: stored))
                try refresh(&s)
                return true
            }
        }
    }

    public func events() throws -> [OptOutEvent] {
        try state.withLock { s in
            try refresh(&s)
            return s.events
        }
    }

    public func optedOutCount() throws -> Int {
        try state.withLock { s in
            try refresh(&s)
            return s.index.values.reduce(0) { $0 + (s.events[$1].event == .optout ? 1 : 0) }
        }
    }

    public func current() throws -> [OptOutState] {
        try state.withLock { s in
            try refresh(&s)
            return s.index.values.sorted().map { at in
                let event = s.events[at]
                return OptOutState(number: event.number, optedOut: event.event == .optout, lastEvent: event)
            }
        }
    }

    public func state(of number: PhoneNumber) throws -> OptOutState? {
        let identity = try self.identity(of: number.e164)
        return try state.withLock { s in
            try refresh(&s)
            guard let at = s.index[identity] else { return nil }
            let event = s.events[at]
            return OptOutState(number: event.number, optedOut: event.event == .optout, lastEvent: event)
        }
    }

    /// How a number is written in this registry's file (`hmac:…` in hashed mode).
    public func storedIdentifier(for number: PhoneNumber) -> String {
        if storeHashed, let key { return key.identifier(forE164: number.e164) }
        return number.e164
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
    /// Bad rows are reported by line; every good row is recorded.
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
        for row in rows {
            let raw = row.fields.indices.contains(column) ? row.fields[column].trimmingCharacters(in: .whitespaces) : ""
            if raw.isEmpty {
                if row.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
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
            let identity = try self.identity(of: number)
            let already = try state.withLock { s -> Bool in
                try refresh(&s)
                guard let at = s.index[identity] else { return event == .optin }
                return s.events[at].event == event
            }
            if already {
                report.unchanged += 1
                continue
            }
            let name = (csvPath as NSString).lastPathComponent
            if try record(OptOutEvent(recordedAt: date, number: number, event: event, source: "import:\(name):\(row.line)")) {
                report.recorded += 1
            } else {
                report.unchanged += 1
            }
        }
        report.issues.sort { $0.line < $1.line }
        return report
    }

    /// The current list as CSV (`number,state,since,keyword,modem,source`): opted-out numbers
    /// only unless `includeOptedIn`. In hashed mode the numbers are `hmac:` identifiers.
    public func exportCSV(includeOptedIn: Bool = false) throws -> String {
        var out = CSV.record(["number", "state", "since", "keyword", "modem", "source"])
        for entry in try current() where entry.optedOut || includeOptedIn {
            out += CSV.record([entry.number, entry.lastEvent.event.rawValue, RecordCoding.timestamp(entry.lastEvent.recordedAt),
                               entry.lastEvent.keyword, entry.lastEvent.modem, entry.lastEvent.source])
        }
        return out
    }

    // MARK: Internals

    /// The index key of a number: its HMAC when a key exists (so plain and hashed rows meet),
    /// else the E.164 string.
    private func identity(of number: String) throws -> String {
        try Self.identity(of: number, key: key, path: path)
    }

    private static func identity(of number: String, key: HMACKey?, path: String) throws -> String {
        if HMACKey.isIdentifier(number) {
            guard key != nil else {
                throw RecordsError.invalidFile(path: path, reason: "holds hashed numbers but the key file (optout.key) is missing")
            }
            return number
        }
        let e164 = try E164.validated(number)
        return key?.identifier(forE164: e164) ?? e164
    }

    private static func dedupKey(identity: String, event: OptOutEvent) -> String? {
        event.source.hasPrefix("sms:") ? identity + "|" + event.event.rawValue + "|" + event.source : nil
    }

    private func refresh(_ s: inout State) throws {
        try s.refresh { rows, issues, s in try Self.fold(rows, issues: issues, into: &s, key: key, path: path) }
    }

    private static func fold(_ rows: [CSV.Record], issues: [RecordIssue], into s: inout State, key: HMACKey?, path: String) throws {
        var problems = issues
        for row in rows {
            switch parse(row, path: path) {
            case let .failure(issue):
                problems.append(issue)
            case let .success(event):
                let identity: String
                do {
                    identity = try Self.identity(of: event.number, key: key, path: path)
                } catch {
                    problems.append(RecordIssue(path: path, line: row.line, reason: "hashed number but no key file (optout.key)"))
                    continue
                }
                s.events.append(event)
                let at = s.events.count - 1
                if let previous = s.index[identity], s.events[previous].recordedAt > event.recordedAt {
                    // an older event appended later (an import of history): it does not decide
                } else {
                    s.index[identity] = at
                }
                if let dedup = dedupKey(identity: identity, event: event) { s.seen.insert(dedup) }
            }
        }
        if !problems.isEmpty {
            throw RecordsError.malformedFile(path: path, issues: problems.sorted { $0.line < $1.line })
        }
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

    private static func fields(of event: OptOutEvent) -> [String] {
        [RecordCoding.timestamp(event.recordedAt), event.number, event.event.rawValue, event.keyword, event.text, event.modem, event.source]
    }
}
