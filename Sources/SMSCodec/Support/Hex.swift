/// Hexadecimal text as AT+CMGS / +CMGL carry PDUs (upper case on output, either case on input).
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Upper-case hex of `bytes`, two digits per octet.
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func byte(_ b: UInt8) -> String { encode([b]) }

    /// Octets of `text`. Leading/trailing white space is ignored; anything else must be hex digits, in pairs.
    public static func decode(_ text: String) throws -> [UInt8] {
        var utf8 = Array(text.utf8)
        while let last = utf8.last, last == 0x20 || last == 0x0A || last == 0x0D || last == 0x09 { utf8.removeLast() }
        var start = 0
        while start < utf8.count, utf8[start] == 0x20 || utf8[start] == 0x0A || utf8[start] == 0x0D || utf8[start] == 0x09 {
            start += 1
        }
        let count = utf8.count - start
        guard count % 2 == 0 else { throw CodecError.invalidHex(reason: "odd number of digits (\(count))") }
        var out = [UInt8]()
        out.reserveCapacity(count / 2)
        var i = start
        while i < utf8.count {
            guard let hi = value(utf8[i]) else {
                throw CodecError.invalidHex(reason: "character at position \(i - start) is not a hex digit")
            }
            guard let lo = value(utf8[i + 1]) else {
                throw CodecError.invalidHex(reason: "character at position \(i + 1 - start) is not a hex digit")
            }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
