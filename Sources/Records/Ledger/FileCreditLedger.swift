import Foundation
import Logging
import Synchronization

/// `credits.csv`, append-only (see `LedgerRow`). The opening balance comes from the
/// configuration and is not written in the file: `balance` is recomputed from it at load, so
/// changing it in the configuration changes the balance (the `balance` column keeps the history
/// as it was). A malformed row makes loading fail with every bad line named: a ledger that
/// cannot be summed is not guessed at.
///
/// The `kind` column (issue 14) came last and is optional when reading: a file written before it
/// keeps its 10-column header, its rows get their kind from the message id, and new rows carry
/// the kind as an 11th field.
public final class FileCreditLedger: CreditLedger, Sendable {
    public static let columns = ["time", "message_id", "recipient", "class", "segments", "credits", "balance", "modem", "refs", "part", "kind"]
    /// The columns every file has (those before `kind`).
    static let requiredColumns = 10

    public let path: String
    public let openingBalance: Int

    private struct State: FoldedCSVState {
        let file: AppendOnlyCSVFile
        var failure: RecordsError?
        func restarted() -> State {
            var fresh = State(file: file)
            fresh.reserved = reserved   // reservations are this process's, not the file's
            return fresh
        }
        var rows: [LedgerRow] = []
        var spent = 0
        var committed: Set<String> = []
        var reserved: [String: Int] = [:]
    }
    private let state: Mutex<State>

    public init(path: String, openingBalance: Int, permissions: RecordPermissions = .owner, logger: Logger = Logger(label: "smsagent.records.ledger")) throws {
        self.path = path
        self.openingBalance = openingBalance
        let file = try AppendOnlyCSVFile(path: path, columns: Self.columns, requiredColumns: Self.requiredColumns,
                                         mode: permissions.file, logger: logger)
        var initial = State(file: file)
        let loaded = try file.load()
        try Self.fold(loaded.rows, issues: loaded.issues, into: &initial, path: path)
        state = Mutex(initial)
    }

    public func balance() throws -> Int {
        try state.withLock { s in
            try refresh(&s)
            return openingBalance - s.spent
        }
    }

    public func available() throws -> Int {
        try state.withLock { s in
            try refresh(&s)
            return openingBalance - s.spent - s.reserved.values.reduce(0, +)
        }
    }

    public func reserve(messageID: String, credits: Int) throws {
        guard credits >= 0 else { throw RecordsError.invalidRecord("cannot reserve \(credits) credits") }
        try state.withLock { s in
            try refresh(&s)
            let free = openingBalance - s.spent - s.reserved.values.reduce(0, +) + (s.reserved[messageID] ?? 0)
            guard credits <= free else { throw RecordsError.insufficientCredits(available: max(0, free), requested: credits) }
            s.reserved[messageID] = credits
        }
    }

    public func release(messageID: String) {
        state.withLock { s in s.reserved[messageID] = nil }
    }

    @discardableResult
    public func commit(row: LedgerRow) throws -> Bool {
        if let part = row.part, part < 1 { throw RecordsError.invalidRecord("ledger part \(part) of \(row.messageID)") }
        if row.messageID.isEmpty { throw RecordsError.invalidRecord("ledger row without message id") }
        return try state.withLock { s in
            try s.file.withExclusiveLock {
                try refresh(&s)
                if let part = row.part, s.committed.contains(Self.key(row.messageID, part)) { return false }
                var stored = row
                stored.kind = row.effectiveKind
                stored.balance = openingBalance - s.spent - row.credits
                try s.file.append(Self.fields(of: stored))
                try refresh(&s)
                if let left = s.reserved[row.messageID] {
                    s.reserved[row.messageID] = left - row.credits > 0 ? left - row.credits : nil
                }
                return true
            }
        }
    }

    /// Adds credits (a negative-credit row with message id `topup`).
    public func topUp(credits: Int, note: String = "", at date: Date = Date()) throws {
        guard credits > 0 else { throw RecordsError.invalidRecord("a top-up adds a positive number of credits") }
        try commit(row: LedgerRow(time: date, messageID: "topup", recipient: note, messageClass: "", segments: 0,
                                  credits: -credits, modem: "", part: nil, kind: .topup))
    }

    public func isCommitted(messageID: String, part: Int) throws -> Bool {
        try state.withLock { s in
            try refresh(&s)
            return s.committed.contains(Self.key(messageID, part))
        }
    }

    public func rows() throws -> [LedgerRow] {
        try state.withLock { s in
            try refresh(&s)
            return s.rows
        }
    }

    /// Rows of one message, in part order.
    public func rows(messageID: String) throws -> [LedgerRow] {
        try rows().filter { $0.messageID == messageID }.sorted { ($0.part ?? 0) < ($1.part ?? 0) }
    }

    public func summary(by grouping: LedgerGrouping, timeZone: TimeZone = .current) throws -> [LedgerSummary] {
        LedgerSummary.summarize(try rows(), by: grouping, timeZone: timeZone)
    }

    // MARK: Internals

    private static func key(_ id: String, _ part: Int) -> String { id + "#" + String(part) }

    private func refresh(_ s: inout State) throws {
        try s.refresh { rows, issues, s in try Self.fold(rows, issues: issues, into: &s, path: path) }
    }

    private static func fold(_ records: [CSV.Record], issues: [RecordIssue], into s: inout State, path: String) throws {
        var problems = issues
        for record in records {
            let f = record.fields
            func bad(_ reason: String) { problems.append(RecordIssue(path: path, line: record.line, reason: reason)) }
            guard f.count >= requiredColumns else { bad("\(f.count) fields, expected \(columns.count)"); continue }
            guard let time = RecordCoding.parseTimestamp(f[0]) else { bad("time \(String(reflecting: f[0])) is not ISO 8601"); continue }
            guard !f[1].isEmpty else { bad("empty message_id"); continue }
            guard let segments = Int(f[4]), let credits = Int(f[5]), let balance = Int(f[6]) else {
                bad("segments, credits and balance must be integers"); continue
            }
            let refTexts = f[8].split(separator: " ", omittingEmptySubsequences: true)
            let refs = refTexts.compactMap { Int($0) }
            guard refs.count == refTexts.count else { bad("refs \(String(reflecting: f[8])) must be integers separated by spaces"); continue }
            var part: Int?
            if !f[9].isEmpty {
                guard let value = Int(f[9]), value >= 1 else { bad("part \(String(reflecting: f[9])) must be a number from 1"); continue }
                part = value
            }
            var kind: LedgerKind?
            if f.count > requiredColumns, !f[requiredColumns].isEmpty {
                guard let value = LedgerKind(rawValue: f[requiredColumns]) else {
                    bad("kind \(String(reflecting: f[requiredColumns])) is not one of \(LedgerKind.allCases.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                kind = value
            }
            let row = LedgerRow(time: time, messageID: f[1], recipient: f[2], messageClass: f[3], segments: segments,
                                credits: credits, balance: balance, modem: f[7], refs: refs, part: part,
                                kind: kind ?? LedgerKind.inferred(messageID: f[1]))
            if let part {
                // A duplicate written by hand or by an old version is not counted twice.
                guard s.committed.insert(key(row.messageID, part)).inserted else { continue }
            }
            s.rows.append(row)
            s.spent += credits
        }
        if !problems.isEmpty {
            throw RecordsError.malformedFile(path: path, issues: problems.sorted { $0.line < $1.line })
        }
    }

    private static func fields(of row: LedgerRow) -> [String] {
        [RecordCoding.timestamp(row.time), row.messageID, row.recipient, row.messageClass, String(row.segments),
         String(row.credits), String(row.balance), row.modem, row.refs.map(String.init).joined(separator: " "),
         row.part.map(String.init) ?? "", row.effectiveKind.rawValue]
    }
}
