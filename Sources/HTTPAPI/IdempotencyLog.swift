import Crypto
import Foundation
import Synchronization

/// `idempotency.csv`: `recorded_at,key,message_id,request` — which message an `Idempotency-Key`
/// created. The line is appended (fsync) *before* the message is queued under the id it names,
/// so a POST retried after a crash between the two queues that same id (the outbox refuses a
/// second file with one id) and never a second SMS. Keys are stored as SHA-256 of
/// `<token name>\u{1F}<key>`: two clients cannot collide, and the file holds no secret.
final class IdempotencyLog: Sendable {
    struct Entry: Sendable, Equatable {
        var messageID: String
        /// SHA-256 of the request's fields: the same key with another request is refused.
        var request: String
    }

    struct Failure: Error, CustomStringConvertible {
        var path: String
        var errno: Int32
        var description: String { "cannot append to \(path): \(String(cString: strerror(errno)))" }
    }

    static let fileName = "idempotency.csv"
    let path: String
    private let entries: Mutex<[String: Entry]>

    init(dataDirectory: String) {
        path = dataDirectory + "/" + Self.fileName
        var loaded: [String: Entry] = [:]
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                guard fields.count >= 4 else { continue }
                loaded[String(fields[1])] = Entry(messageID: String(fields[2]), request: String(fields[3]))
            }
        }
        entries = Mutex(loaded)
    }

    static func hash(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The entry for `key`, or — when there is none — the one `make()` creates, recorded durably.
    /// Returns whether it existed.
    func lookupOrRecord(client: String, key: String, request: String, make: () -> String) throws -> (entry: Entry, existed: Bool) {
        let keyHash = Self.hash(client + "\u{1F}" + key)
        return try entries.withLock { entries in
            if let entry = entries[keyHash] { return (entry, true) }
            let entry = Entry(messageID: make(), request: request)
            let line = "\(ISO8601DateFormatter().string(from: Date())),\(keyHash),\(entry.messageID),\(request)\n"
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw Failure(path: path, errno: errno) }
            defer { close(fd) }
            var size = stat()
            let text = (fstat(fd, &size) == 0 && size.st_size == 0 ? "recorded_at,key,message_id,request\n" : "") + line
            let bytes = Array(text.utf8)
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count, fsync(fd) == 0 else { throw Failure(path: path, errno: errno) }
            entries[keyHash] = entry
            return (entry, false)
        }
    }
}
