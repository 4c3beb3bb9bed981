#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation

/// The secret of the hashed opt-out mode (COMPLIANCE.md: a keyed hash of the number is the
/// privacy-preserving form of the list). Stored as 64 hex digits in `<data>/optout.key`, mode 0600.
/// Losing the key makes a hashed list unusable: back it up with the data directory.
public struct HMACKey: Sendable {
    private let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 16 else { throw RecordsError.invalidRecord("an HMAC key needs at least 16 bytes") }
        self.bytes = bytes
    }

    /// `hmac:` + hex of HMAC-SHA-256 (RFC 2104, FIPS 180-4) over the UTF-8 E.164 number.
    public func identifier(forE164 e164: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(e164.utf8), using: SymmetricKey(data: bytes))
        return "hmac:" + mac.map(FileSystem.hex).joined()
    }

    /// The same HMAC as 32 bytes (what the opt-out index keys hashed numbers by).
    func digest(forE164 e164: String) -> HMACDigest {
        HMACDigest(bytes: HMAC<SHA256>.authenticationCode(for: Data(e164.utf8), using: SymmetricKey(data: bytes)))
    }

    /// Reads the key file; `nil` if it does not exist.
    public static func load(path: String) throws -> HMACKey? {
        guard FileSystem.exists(path) else { return nil }
        let text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count == 64, let bytes = decodeHex(text) else {
            throw RecordsError.invalidFile(path: path, reason: "the key file must hold 64 hex digits (32 bytes)")
        }
        return try HMACKey(bytes: bytes)
    }

    /// Reads the key file, creating it (32 random bytes, 0600) on first use.
    public static func loadOrCreate(path: String) throws -> HMACKey {
        if let key = try load(path: path) { return key }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let fd: Int32
        do {
            fd = try FileSystem.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        } catch RecordsError.system(_, _, EEXIST) {
            if let key = try load(path: path) { return key }
            throw RecordsError.invalidFile(path: path, reason: "key file appeared empty")
        }
        defer { FileSystem.close(fd) }
        try FileSystem.writeAll(fd, Array((bytes.map(FileSystem.hex).joined() + "\n").utf8), path: path)
        try FileSystem.fsync(fd, path: path)
        try FileSystem.fsyncDirectory((path as NSString).deletingLastPathComponent)
        return try HMACKey(bytes: bytes)
    }

    static func decodeHex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(chars.count / 2)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var index = 0
        while index < chars.count {
            guard let high = value(chars[index]), let low = value(chars[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    package static func isIdentifier(_ raw: String) -> Bool {
        raw.hasPrefix("hmac:") && raw.utf8.count == 69 && decodeHex(String(raw.dropFirst(5))) != nil
    }
}
