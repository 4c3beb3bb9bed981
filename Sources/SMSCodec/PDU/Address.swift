/// An address as carried in TP-OA / TP-DA / TP-RA (TS 23.040 §9.1.2.5) or the SMSC field of
/// the AT PDU (TS 24.011 §8.2.5.1).
public struct SMSAddress: Sendable, Codable, Equatable, Hashable {
    /// "+33612345678" (international), national/unknown digits, or the alphanumeric sender name.
    public var value: String
    /// Type-of-address octet: bit 7 set, type of number in bits 6–4, numbering plan in bits 3–0.
    public var typeOfAddress: UInt8

    public init(value: String, typeOfAddress: UInt8) {
        self.value = value
        self.typeOfAddress = typeOfAddress
    }

    public var typeOfNumber: TypeOfNumber { TypeOfNumber(rawValue: (typeOfAddress >> 4) & 0x07) ?? .unknown }

    /// TS 23.040 §9.1.2.5 type of number.
    public enum TypeOfNumber: UInt8, Sendable, Codable {
        case unknown = 0, international = 1, national = 2, networkSpecific = 3
        case subscriber = 4, alphanumeric = 5, abbreviated = 6, reserved = 7
    }

    /// ISDN/telephone numbering plan, international (0x91).
    public static let internationalType: UInt8 = 0x91
    /// ISDN/telephone numbering plan, national (0xA1).
    public static let nationalType: UInt8 = 0xA1
    /// ISDN/telephone numbering plan, type unknown (0x81): what handsets use for numbers dialled without "+".
    public static let unknownType: UInt8 = 0x81
    /// Alphanumeric (GSM 7-bit), numbering plan unknown (0xD0).
    public static let alphanumericType: UInt8 = 0xD0
}

enum AddressCodec {
    /// Digits of a dialable number: "+" and 1–20 digits; spaces, dots, hyphens and parentheses
    /// between digits are ignored. Anything else is `CodecError.invalidAddress`.
    static func dialable(_ raw: String) throws -> (international: Bool, digits: [UInt8]) {
        let trimmed = raw.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw CodecError.invalidAddress(raw, reason: "empty number") }
        var international = false
        var digits = [UInt8]()
        for (i, c) in trimmed.unicodeScalars.enumerated() {
            switch c {
            case "+" where i == 0:
                international = true
            case "0"..."9":
                digits.append(UInt8(c.value - 0x30))
            case " ", ".", "-", "(", ")":
                continue
            default:
                throw CodecError.invalidAddress(raw, reason: "'\(c)' is not a digit; use +<country><number> or national digits")
            }
        }
        guard !digits.isEmpty else { throw CodecError.invalidAddress(raw, reason: "no digits") }
        guard digits.count <= 20 else {
            throw CodecError.invalidAddress(raw, reason: "\(digits.count) digits; an SMS address holds at most 20")
        }
        return (international, digits)
    }

    static func semiOctets(_ digits: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity((digits.count + 1) / 2)
        var i = 0
        while i < digits.count {
            let lo = digits[i]
            let hi: UInt8 = i + 1 < digits.count ? digits[i + 1] : 0x0F
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    /// TP-DA / TP-OA / TP-RA for a dialable number: length in digits, type of address, BCD.
    static func encodeNumber(_ raw: String, nationalType: UInt8 = SMSAddress.unknownType) throws -> [UInt8] {
        let (international, digits) = try dialable(raw)
        return [UInt8(digits.count), international ? SMSAddress.internationalType : nationalType] + semiOctets(digits)
    }

    /// TP-OA for an alphanumeric sender (TS 23.040 §9.1.2.5: GSM 7-bit packed, length in semi-octets).
    static func encodeAlphanumeric(_ name: String) throws -> [UInt8] {
        guard let septets = GSMAlphabet.septets(for: name), !septets.isEmpty else {
            throw CodecError.invalidAddress(name, reason: "an alphanumeric sender must be 1–11 GSM characters")
        }
        guard septets.count <= 11 else {
            throw CodecError.invalidAddress(name, reason: "an alphanumeric sender holds at most 11 septets")
        }
        let packed = Septets.pack(septets)
        let semiOctets = (septets.count * 7 + 3) / 4
        return [UInt8(semiOctets), SMSAddress.alphanumericType] + packed
    }

    /// A sender given as text: a dialable number when it is one, else an alphanumeric name.
    static func encodeOriginator(_ raw: String) throws -> [UInt8] {
        if (try? dialable(raw)) != nil { return try encodeNumber(raw) }
        return try encodeAlphanumeric(raw)
    }

    /// The SMSC field of the AT PDU: `00` for the SIM's SMSC, else length in octets, type, BCD.
    static func encodeSMSC(_ raw: String?) throws -> [UInt8] {
        guard let raw else { return [0x00] }
        let (international, digits) = try dialable(raw)
        let bcd = semiOctets(digits)
        return [UInt8(bcd.count + 1), international ? SMSAddress.internationalType : SMSAddress.unknownType] + bcd
    }

    static func decodeSMSC(_ reader: inout ByteReader) throws -> SMSAddress? {
        let length = Int(try reader.byte("SMSC length"))
        guard length > 0 else { return nil }
        guard length <= 12 else { throw CodecError.invalidAddress("SMSC", reason: "length \(length) octets exceeds 12") }
        let toa = try reader.byte("SMSC type of address")
        let bcd = try reader.bytes(length - 1, "SMSC digits")
        // The SMSC length counts octets, so a trailing 0xF filler is part of the data.
        var digitCount = bcd.count * 2
        if let last = bcd.last, last >> 4 == 0x0F { digitCount -= 1 }
        let digits = try decodeDigits(bcd, count: digitCount, field: "SMSC")
        return SMSAddress(value: number(digits, toa: toa), typeOfAddress: toa)
    }

    static func decodeTP(_ reader: inout ByteReader, field: String) throws -> SMSAddress {
        let semiOctets = Int(try reader.byte("\(field) length"))
        let toa = try reader.byte("\(field) type of address")
        let octets = try reader.bytes((semiOctets + 1) / 2, "\(field) digits")
        if (toa >> 4) & 0x07 == SMSAddress.TypeOfNumber.alphanumeric.rawValue {
            let septetCount = semiOctets * 4 / 7
            guard let septets = Septets.unpack(octets, count: septetCount) else {
                throw CodecError.truncated(field: field, offset: reader.offset)
            }
            return SMSAddress(value: GSMAlphabet.text(from: septets), typeOfAddress: toa)
        }
        guard semiOctets <= 20 else {
            throw CodecError.invalidAddress(field, reason: "\(semiOctets) digits; at most 20 are allowed")
        }
        let digits = try decodeDigits(octets, count: semiOctets, field: field)
        return SMSAddress(value: number(digits, toa: toa), typeOfAddress: toa)
    }

    private static let digitCharacters: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "a", "b", "c"]

    /// TS 23.040 §9.1.2.3 semi-octets; 0xA–0xE are `* # a b c`, 0xF only as the final filler
    /// (tolerated when a sender counted it in the length).
    static func decodeDigits(_ octets: [UInt8], count: Int, field: String) throws -> String {
        var out = ""
        out.reserveCapacity(count)
        for i in 0..<count {
            let octet = octets[i / 2]
            let nibble = i % 2 == 0 ? octet & 0x0F : octet >> 4
            if nibble == 0x0F, i == count - 1, i % 2 == 1 { break }
            guard nibble < 0x0F else { throw CodecError.invalidSemiOctet(field: field, octet: octet) }
            out.append(digitCharacters[Int(nibble)])
        }
        return out
    }

    private static func number(_ digits: String, toa: UInt8) -> String {
        (toa >> 4) & 0x07 == SMSAddress.TypeOfNumber.international.rawValue ? "+" + digits : digits
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
