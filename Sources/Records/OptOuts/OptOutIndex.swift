/// How `optouts.csv` names a number, in a form that costs no string: an E.164 number packed in
/// 64 bits, or the 32 bytes of an `hmac:` identifier.
enum StoredNumber: Hashable {
    case e164(UInt64)
    case hashed(HMACDigest)

    /// `+` and 8–15 ASCII digits (E164.isValid), or `hmac:` and 64 hex digits
    /// (HMACKey.isIdentifier); surrounding spaces and tabs are not part of it. `nil` otherwise.
    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        var start = 0, end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        let b = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if let packed = Self.packE164(b) {
            self = .e164(packed)
        } else if let digest = HMACDigest(identifier: b) {
            self = .hashed(digest)
        } else {
            return nil
        }
    }

    init?(_ text: String) {
        var text = text
        guard let parsed = text.withUTF8({ StoredNumber($0) }) else { return nil }
        self = parsed
    }

    /// The digit count in bits 50–53, the number below: `+0612…` and `+612…` stay apart, and
    /// 15 digits (< 10¹⁵ < 2⁵⁰) always fit.
    static func packE164(_ b: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard b.count >= 9, b.count <= 16, b[0] == UInt8(ascii: "+") else { return nil }
        var value: UInt64 = 0
        for byte in b[1...] {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ UInt64(digit)
        }
        return UInt64(b.count - 1) << 50 | value
    }

    /// `+33612345678` back from `packE164`.
    static func unpackE164(_ packed: UInt64) -> String {
        let digits = Int(packed >> 50)
        var value = packed & ((1 << 50) - 1)
        var out = [UInt8](repeating: UInt8(ascii: "0"), count: digits + 1)
        out[0] = UInt8(ascii: "+")
        var index = digits
        while index > 0 {
            out[index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
            index -= 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The 32 bytes of an HMAC-SHA-256 identifier, as four words (hashable, no allocation).
struct HMACDigest: Hashable {
    var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    init(bytes: some Sequence<UInt8>) {
        var words: [UInt64] = [0, 0, 0, 0]
        for (i, byte) in bytes.prefix(32).enumerated() { words[i / 8] = words[i / 8] << 8 | UInt64(byte) }
        (w0, w1, w2, w3) = (words[0], words[1], words[2], words[3])
    }

    /// `hmac:` and 64 hex digits (either case).
    init?(identifier b: UnsafeBufferPointer<UInt8>) {
        guard b.count == 69, b[0] == UInt8(ascii: "h"), b[1] == UInt8(ascii: "m"), b[2] == UInt8(ascii: "a"),
              b[3] == UInt8(ascii: "c"), b[4] == UInt8(ascii: ":") else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for i in 0..<64 {
            let c = b[5 + i]
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            switch i / 16 {
            case 0: words.0 = words.0 << 4 | UInt64(v)
            case 1: words.1 = words.1 << 4 | UInt64(v)
            case 2: words.2 = words.2 << 4 | UInt64(v)
            default: words.3 = words.3 << 4 | UInt64(v)
            }
        }
        (w0, w1, w2, w3) = words
    }
}

/// The fold of `optouts.csv` kept in memory: per number, where its deciding event is in the file
/// (byte offset), when it was recorded and whether it is an opt-out — 16 bytes, no strings.
/// The events themselves stay in the file and are read again when asked for (`state(of:)`,
/// `current()`), so 100 000 numbers take a few MB, not a dictionary of strings.
struct OptOutIndex {
    struct Entry {
        /// `recorded_at` in milliseconds since 1970.
        var millis: Int64
        /// Byte offset of the row in the file << 1, | 1 for an opt-out.
        var position: UInt64

        init(millis: Int64, offset: Int, optedOut: Bool) {
            self.millis = millis
            position = UInt64(truncatingIfNeeded: offset) << 1 | (optedOut ? 1 : 0)
        }

        var offset: Int { Int(truncatingIfNeeded: position >> 1) }
        var optedOut: Bool { position & 1 == 1 }

        /// The fold's rule: the latest `recorded_at` decides; at equal times the later row.
        static func latest(_ a: Entry?, _ b: Entry?) -> Entry? {
            guard let a else { return b }
            guard let b else { return a }
            return (a.millis, a.position >> 1) >= (b.millis, b.position >> 1) ? a : b
        }
    }

    var plain: [UInt64: Entry] = [:]
    var hashed: [HMACDigest: Entry] = [:]
    /// Rows folded in.
    var eventCount = 0
    /// Hashes of (number, event, source) of the events that came from an SMS (`sms:` source), so
    /// that a re-processed SMS is found without keeping its source string. A hit is confirmed
    /// against the file (a hash can collide).
    var smsEvents: Set<Int> = []

    mutating func fold(_ number: StoredNumber, millis: Int64, offset: Int, optedOut: Bool) {
        let entry = Entry(millis: millis, offset: offset, optedOut: optedOut)
        eventCount += 1
        switch number {
        case let .e164(key):
            if let previous = plain[key], previous.millis > millis { return }
            plain[key] = entry
        case let .hashed(digest):
            if let previous = hashed[digest], previous.millis > millis { return }
            hashed[digest] = entry
        }
    }

    static func smsEventHash(_ number: StoredNumber, optedOut: Bool, source: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(number)
        hasher.combine(optedOut)
        hasher.combine(bytes: source)
        return hasher.finalize()
    }

    static func smsEventHash(_ number: StoredNumber, optedOut: Bool, source: String) -> Int {
        var source = source
        return source.withUTF8 { smsEventHash(number, optedOut: optedOut, source: UnsafeRawBufferPointer($0)) }
    }
}
