import Foundation
import Synchronization

/// `reviews.csv`: what a person decided about an inbound SMS kept for review (`review:STOP` in
/// `inbox.csv`): `decided_at,fingerprint,decision,by`. Append-only, one `write(2)` per line on an
/// `O_APPEND` descriptor, fsynced before `record` returns. The opt-out itself, when the decision is
/// `optout`, goes to `optouts.csv` like any other (source `review:<fingerprint>`) before this line.
public final class ReviewDecisions: Sendable {
    public enum Decision: String, Sendable, CaseIterable {
        case optout
        case none
    }

    public struct Entry: Sendable, Equatable {
        public var decidedAt: Date
        public var fingerprint: String
        public var decision: Decision
        public var by: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var errno: Int32
        public var description: String { "cannot append to \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
    }

    public static let fileName = "reviews.csv"
    public static let header = "decided_at,fingerprint,decision,by"
    public let path: String
    private let gate = Mutex<Void>(())

    public init(dataDirectory: String) {
        path = dataDirectory + "/" + Self.fileName
    }

    public func record(fingerprint: String, decision: Decision, by: String, at date: Date = Date()) throws {
        let safeBy = by.filter { $0 != "," && $0 != "\n" && $0 != "\r" && $0 != "\"" }
        let line = "\(InboundTime.iso(date)),\(fingerprint),\(decision.rawValue),\(safeBy)\n"
        try gate.withLock { _ in
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw Failure(path: path, errno: errno) }
            defer { close(fd) }
            var size = stat()
            let text = (fstat(fd, &size) == 0 && size.st_size == 0 ? Self.header + "\n" : "") + line
            let bytes = Array(text.utf8)
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count, fsync(fd) == 0 else { throw Failure(path: path, errno: errno) }
        }
    }

    /// The latest decision per fingerprint.
    public func decisions() -> [String: Entry] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var result: [String: Entry] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 4, let decision = Decision(rawValue: fields[2]), let date = AgentClocks.parseISO8601(fields[0]) else { continue }
            result[fields[1]] = Entry(decidedAt: date, fingerprint: fields[1], decision: decision, by: fields[3])
        }
        return result
    }
}
