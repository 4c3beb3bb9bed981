import Foundation

/// One problem found in a CSV or JSON record file: where it is and what is wrong.
public struct RecordIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// 1-based line number of the first line of the offending record.
    public var line: Int
    public var reason: String

    public init(path: String, line: Int, reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(path):\(line): \(reason)" }
}

/// Every failure of the `Records` layer. Each case carries what a person needs to act:
/// the path, the errno and its meaning, the line of a bad row, the PID holding a lock.
public enum RecordsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A libc call failed. `operation` is the call (`open`, `fsync`, `rename` …).
    case system(operation: String, path: String, errno: Int32)
    /// Another process holds the data directory's lock.
    case locked(path: String, holderPID: Int32?)
    /// A spool file that cannot be used as a message (it has been moved to `failed/`).
    case malformedSpoolFile(path: String, reason: String)
    /// One or more malformed rows in a CSV record file; the file was not loaded.
    case malformedFile(path: String, issues: [RecordIssue])
    /// A record file in the wrong shape (bad header, unreadable key file …).
    case invalidFile(path: String, reason: String)
    /// No message with this id in the expected spool folder.
    case messageNotFound(id: String, folder: String)
    /// A message with this id is already in the outbox (`folder`).
    case duplicateMessageID(id: String, folder: String)
    /// An id that cannot name a spool file (path separators, empty, leading dot).
    case invalidMessageID(String)
    /// A number that is not in E.164 form (`+` and 8–15 digits).
    case invalidNumber(String)
    /// Not enough credits for a reservation.
    case insufficientCredits(available: Int, requested: Int)
    /// A value that cannot be recorded (e.g. a part number below 1).
    case invalidRecord(String)

    public var description: String {
        switch self {
        case let .system(operation, path, code):
            return "\(operation)(\(path)) failed: \(String(cString: strerror(code))) (errno \(code))"
        case let .locked(path, pid):
            if let pid { return "\(path) is locked by another smsagent (PID \(pid))" }
            return "\(path) is locked by another process"
        case let .malformedSpoolFile(path, reason):
            return "\(path): \(reason)"
        case let .malformedFile(path, issues):
            let shown = issues.prefix(5).map(\.description).joined(separator: "; ")
            let more = issues.count > 5 ? " (and \(issues.count - 5) more)" : ""
            return "\(path): \(issues.count) malformed row(s): \(shown)\(more)"
        case let .invalidFile(path, reason):
            return "\(path): \(reason)"
        case let .messageNotFound(id, folder):
            return "no message \(id) in \(folder)"
        case let .duplicateMessageID(id, folder):
            return "message \(id) is already in \(folder)"
        case let .invalidMessageID(id):
            return "invalid message id \(String(reflecting: id))"
        case let .invalidNumber(raw):
            return "not an E.164 number: \(String(reflecting: raw))"
        case let .insufficientCredits(available, requested):
            return "insufficient credits: \(requested) requested, \(available) available"
        case let .invalidRecord(reason):
            return reason
        }
    }
}
