import Crypto
import Foundation
import Synchronization

/// API tokens: `<data>/tokens.json` (0600) keeps, per token, its name, rights, creation time and
/// the SHA-256 of the secret — never the secret, which `smsagent token create` prints once.
///
/// The file is re-read when its modification time changes, so a token created or revoked from
/// the command line takes effect on the running server's next request.
public final class TokenStore: Sendable {
    public struct Entry: Sendable, Equatable, Codable {
        public var name: String
        public var readOnly: Bool
        public var createdAt: Date
        /// Hex SHA-256 of the token.
        public var sha256: String

        enum CodingKeys: String, CodingKey {
            case name, sha256
            case readOnly = "read_only"
            case createdAt = "created_at"
        }
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case invalidName(String)
        case exists(String)
        case notFound(String)
        case unreadable(path: String, reason: String)
        case unwritable(path: String, reason: String)

        public var description: String {
            switch self {
            case .invalidName(let name): "token name '\(name)': use 1–64 letters, digits, '-', '_' or '.'"
            case .exists(let name): "a token named '\(name)' exists: revoke it first or choose another name"
            case .notFound(let name): "no token named '\(name)'"
            case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
            case .unwritable(let path, let reason): "cannot write \(path): \(reason)"
            }
        }
    }

    public static let fileName = "tokens.json"
    /// Printed in front of every token so a leaked one is recognisable in logs and scanners.
    public static let prefix = "smsa_"

    public let path: String
    private let cache = Mutex<(modified: Date?, entries: [Entry])>((nil, []))

    public init(dataDirectory: String) {
        path = dataDirectory + "/" + Self.fileName
    }

    public func list() throws -> [Entry] {
        let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        if let cached = cache.withLock({ $0.modified == modified && modified != nil ? $0.entries : nil }) { return cached }
        guard let modified else { return [] }
        let entries: [Entry]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            entries = try decoder.decode([Entry].self, from: data)
        } catch {
            throw Failure.unreadable(path: path, reason: "\(error)")
        }
        cache.withLock { $0 = (modified, entries) }
        return entries
    }

    /// Creates a token and returns its secret (shown once).
    public func create(name: String, readOnly: Bool, now: Date = Date()) throws -> String {
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw Failure.invalidName(name)
        }
        var entries = try list()
        guard !entries.contains(where: { $0.name == name }) else { throw Failure.exists(name) }
        var generator = SystemRandomNumberGenerator()
        let secret = Self.prefix + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        entries.append(Entry(name: name, readOnly: readOnly, createdAt: now, sha256: Self.digest(secret)))
        try write(entries)
        return secret
    }

    public func revoke(name: String) throws {
        var entries = try list()
        guard entries.contains(where: { $0.name == name }) else { throw Failure.notFound(name) }
        entries.removeAll { $0.name == name }
        try write(entries)
    }

    /// The entry a presented token belongs to, or nil. Compares digests in constant time.
    public func authenticate(_ token: String) -> Entry? {
        guard token.hasPrefix(Self.prefix), token.utf8.count < 200, let entries = try? list() else { return nil }
        let presented = Array(Self.digest(token).utf8)
        var found: Entry?
        for entry in entries {
            let stored = Array(entry.sha256.utf8)
            guard stored.count == presented.count else { continue }
            var difference: UInt8 = 0
            for index in stored.indices { difference |= stored[index] ^ presented[index] }
            if difference == 0 { found = entry }
        }
        return found
    }

    static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Temp file (0600), fsync, rename, fsync of the directory.
    private func write(_ entries: [Entry]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data: Data
        do { data = try encoder.encode(entries) } catch { throw Failure.unwritable(path: path, reason: "\(error)") }
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure.unwritable(path: temp, reason: String(cString: strerror(errno))) }
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(temp, path) == 0 else {
            throw Failure.unwritable(path: path, reason: String(cString: strerror(errno)))
        }
        let directory = (path as NSString).deletingLastPathComponent
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
        cache.withLock { $0 = (nil, []) }
    }
}
