/// The GSM 7-bit default alphabet and its extension table (TS 23.038 §6.2.1 and §6.2.1.1).
///
/// The simulator keeps its own small codec on purpose: it is the independent oracle that checks
/// what `SMSCodec` produces, so a bug shared by both could not hide a wrong PDU.
enum GSMAlphabet {
    /// Default alphabet, index = septet value.
    static let basic: [Unicode.Scalar] = Array(
        ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1B}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
         + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà").unicodeScalars)

    /// Extension table: septet after the escape (0x1B) -> character.
    static let extended: [UInt8: Unicode.Scalar] = [
        0x0A: "\u{0C}", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\",
        0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€",
    ]

    static let basicIndex: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (index, scalar) in basic.enumerated() where index != 0x1B { map[scalar] = UInt8(index) }
        return map
    }()

    static let extendedIndex: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (septet, scalar) in extended { map[scalar] = septet }
        return map
    }()

    /// Septets for `text`, or nil when a character is outside both tables.
    static func septets(for text: String) -> [UInt8]? {
        var result: [UInt8] = []
        for scalar in text.unicodeScalars {
            if let value = basicIndex[scalar] {
                result.append(value)
            } else if let value = extendedIndex[scalar] {
                result.append(0x1B)
                result.append(value)
            } else {
                return nil
            }
        }
        return result
    }

    /// Text for septets; an unknown escape renders as the base table character (TS 23.038 note).
    static func text(from septets: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        var escaped = false
        for septet in septets {
            let value = septet & 0x7F
            if escaped {
                scalars.append(extended[value] ?? basic[Int(value)])
                escaped = false
            } else if value == 0x1B {
                escaped = true
            } else {
                scalars.append(basic[Int(value)])
            }
        }
        return String(scalars)
    }

    /// Packs septets LSB first after `fillBits` zero bits (TS 23.040 §9.2.3.24: fill bits after a UDH).
    static func pack(_ septets: [UInt8], fillBits: Int = 0) -> [UInt8] {
        let totalBits = fillBits + septets.count * 7
        var octets = [UInt8](repeating: 0, count: (totalBits + 7) / 8)
        var bit = fillBits
        for septet in septets {
            for i in 0..<7 where septet & (1 << i) != 0 {
                octets[(bit + i) / 8] |= 1 << UInt8((bit + i) % 8)
            }
            bit += 7
        }
        return octets
    }

    /// Unpacks `count` septets from `octets` (bit 0 first); missing bits read as zero.
    static func unpack(_ octets: [UInt8], count: Int) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        for n in 0..<count {
            var value: UInt8 = 0
            for i in 0..<7 {
                let bit = n * 7 + i
                let index = bit / 8
                if index < octets.count, octets[index] & (1 << UInt8(bit % 8)) != 0 { value |= 1 << UInt8(i) }
            }
            result.append(value)
        }
        return result
    }
}
