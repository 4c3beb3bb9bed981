import Foundation
import Logging
import Synchronization

/// `inbox.csv`, append-only (see `InboundRecord`), with an in-memory set of fingerprints so a
/// message re-listed after a crash is recognised.
///
/// Unlike the opt-out list and the ledger, a malformed row does not stop loading: the archive is
/// a log, and the decisions that must never be repeated are protected by their own records
/// (opt-out events carry the inbound fingerprint in `source`; confirmations have their own
/// log). Bad rows are kept in the file, reported in `issues` and logged with file and line.
public final class FileInboxArchive: InboxArchive, Sendable {
    public static let columns = ["received_at", "from", "text", "modem", "parts", "keyword_result", "sim_indices",
                                 "sent_at", "fingerprint", "status"]
    public let path: String
    private let logger: Logger

    private struct State {
        let file: AppendOnlyCSVFile
        var records: [InboundRecord] = []
        var fingerprints: Set<String> = []
        var issues: [RecordIssue] = []
    }
    private let state: Mutex<State>

    public init(path: String, permissions: RecordPermissions = .owner, logger: Logger = Logger(label: "smsagent.records.inbox")) throws {
        self.path = path
        self.logger = logger
        let file = try AppendOnlyCSVFile(path: path, columns: Self.columns, mode: permissions.file, logger: logger)
        var initial = State(file: file)
        let loaded = try file.load()
        Self.fold(loaded.rows, issues: loaded.issues, into: &initial, path: path, logger: logger)
        state = Mutex(initial)
    }

    @discardableResult
    public func append(_ record: InboundRecord) throws -> Bool {
        try state.withLock { s in
            try s.file.withExclusiveLock {
                refresh(&s)
                if s.fingerprints.contains(record.fingerprint) { return false }
                try s.file.append(Self.fields(of: record))
                refresh(&s)
                return true
            }
        }
    }

    public func contains(fingerprint: String) throws -> Bool {
        state.withLock { s in
            refresh(&s)
            return s.fingerprints.contains(fingerprint)
        }
    }

    public func all() throws -> [InboundRecord] {
        state.withLock { s in
            refresh(&s)
            return s.records
        }
    }

    public func review() throws -> [InboundRecord] { try all().filter(\.needsReview) }

    /// Malformed rows met so far (file and line).
    public var issues: [RecordIssue] { state.withLock { $0.issues } }

    private func refresh(_ s: inout State) {
        do {
            let update = try s.file.refresh()
            if update.replaced { s = State(file: s.file) }
            Self.fold(update.rows, issues: update.issues, into: &s, path: path, logger: logger)
        } catch {
            logger.error("cannot read new rows", metadata: ["file": "\(path)", "error": "\(error)"])
        }
    }

    private static func fold(_ rows: [CSV.Record], issues: [RecordIssue], into s: inout State, path: String, logger: Logger) {
        var problems = issues
        for row in rows {
            let f = row.fields
            func bad(_ reason: String) { problems.append(RecordIssue(path: path, line: row.line, reason: reason)) }
            guard f.count >= columns.count else { bad("\(f.count) fields, expected \(columns.count)"); continue }
            guard let receivedAt = RecordCoding.parseTimestamp(f[0]) else { bad("received_at is not ISO 8601"); continue }
            guard let parts = Int(f[4]) else { bad("parts is not a number"); continue }
            let indices = f[6].split(separator: " ").compactMap { Int($0) }
            let sentAt = f[7].isEmpty ? nil : RecordCoding.parseTimestamp(f[7])
            let record = InboundRecord(receivedAt: receivedAt, from: CSV.unprotect(f[1]), text: CSV.unprotect(f[2]), modem: f[3], parts: parts,
                                       keywordResult: f[5], simIndices: indices, sentAt: sentAt, fingerprint: f[8], status: f[9])
            s.records.append(record)
            s.fingerprints.insert(record.fingerprint)
        }
        for issue in problems {
            logger.error("malformed inbox row kept as is", metadata: ["file": "\(issue.path)", "line": "\(issue.line)", "reason": "\(issue.reason)"])
        }
        s.issues += problems
    }

    private static func fields(of r: InboundRecord) -> [String] {
        // Text and sender come from strangers: a spreadsheet opening inbox.csv must not run them.
        [RecordCoding.timestamp(r.receivedAt), CSV.protect(r.from), CSV.protect(r.text), r.modem, String(r.parts), r.keywordResult,
         r.simIndices.map(String.init).joined(separator: " "), r.sentAt.map(RecordCoding.timestamp) ?? "",
         r.fingerprint, r.status]
    }
}
