import Compliance
import Foundation
import Logging
import Synchronization

/// Opt-out confirmations queued, for the "at most one per number per 24 h" rule (COMPLIANCE.md).
public protocol ConfirmationLog: Sendable {
    /// Was a confirmation queued to `number` after `now - window`?
    func wasSent(to number: PhoneNumber, within window: TimeInterval, now: Date) throws -> Bool
    /// Atomically: if none went to `number` within `window`, records one for `messageID` and
    /// returns `true`; otherwise records nothing and returns `false`.
    func claim(for number: PhoneNumber, messageID: String, within window: TimeInterval, now: Date) throws -> Bool
}

/// `confirmations.csv` (`sent_at,number,message_id`): when an opt-out confirmation was queued to
/// a number, so that at most one goes to a number per 24 h (COMPLIANCE.md) — also when the same
/// STOP is processed twice. Numbers are stored like in `optouts.csv` (`hmac:` in hashed mode).
public final class FileConfirmationLog: ConfirmationLog, Sendable {
    public static let columns = ["sent_at", "number", "message_id"]
    public let path: String
    private let key: HMACKey?
    private let storeHashed: Bool

    private struct State: FoldedCSVState {
        let file: AppendOnlyCSVFile
        var failure: RecordsError?
        func restarted() -> State { State(file: file) }
        /// identity -> latest time
        var latest: [String: Date] = [:]
    }
    private let state: Mutex<State>

    public init(path: String, key: HMACKey? = nil, storeHashed: Bool = false,
                permissions: RecordPermissions = .owner, logger: Logger = Logger(label: "smsagent.records.confirmations")) throws {
        if storeHashed && key == nil { throw RecordsError.invalidFile(path: path, reason: "hashed mode needs the key file") }
        self.path = path
        self.key = key
        self.storeHashed = storeHashed
        let file = try AppendOnlyCSVFile(path: path, columns: Self.columns, mode: permissions.file, logger: logger)
        var initial = State(file: file)
        let loaded = try file.load()
        try Self.fold(loaded.rows, issues: loaded.issues, into: &initial, key: key, path: path)
        state = Mutex(initial)
    }

    /// Was a confirmation queued to `number` after `now - window`?
    public func wasSent(to number: PhoneNumber, within window: TimeInterval = 24 * 3600, now: Date = Date()) throws -> Bool {
        let identity = self.identity(of: number.e164)
        return try state.withLock { s in
            try refresh(&s)
            guard let last = s.latest[identity] else { return false }
            return last > now.addingTimeInterval(-window)
        }
    }

    /// Atomically: if no confirmation went to `number` within `window`, records one (fsync) for
    /// `messageID` and returns `true`; otherwise returns `false` and records nothing.
    public func claim(for number: PhoneNumber, messageID: String, within window: TimeInterval = 24 * 3600,
                      now: Date = Date()) throws -> Bool {
        let identity = self.identity(of: number.e164)
        let stored = storeHashed ? identity : number.e164
        return try state.withLock { s in
            try s.file.withExclusiveLock {
                try refresh(&s)
                if let last = s.latest[identity], last > now.addingTimeInterval(-window) { return false }
                try s.file.append([RecordCoding.timestamp(now), stored, messageID])
                try refresh(&s)
                return true
            }
        }
    }

    private func identity(of e164: String) -> String {
        if HMACKey.isIdentifier(e164) { return e164 }
        return key?.identifier(forE164: e164) ?? e164
    }

    private func refresh(_ s: inout State) throws {
        try s.refresh { rows, issues, s in try Self.fold(rows, issues: issues, into: &s, key: key, path: path) }
    }

    private static func fold(_ rows: [CSV.Record], issues: [RecordIssue], into s: inout State, key: HMACKey?, path: String) throws {
        var problems = issues
        for row in rows {
            guard row.fields.count >= 3, let date = RecordCoding.parseTimestamp(row.fields[0]) else {
                problems.append(RecordIssue(path: path, line: row.line, reason: "expected sent_at,number,message_id"))
                continue
            }
            let number = row.fields[1]
            let identity = HMACKey.isIdentifier(number) ? number : (key?.identifier(forE164: number) ?? number)
            if let previous = s.latest[identity], previous >= date { continue }
            s.latest[identity] = date
        }
        if !problems.isEmpty { throw RecordsError.malformedFile(path: path, issues: problems) }
    }
}
