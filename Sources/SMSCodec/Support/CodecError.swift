/// Every way the codec can refuse input. Each case carries what a person needs to act
/// (the field, the offset in the PDU, the offending value) and prints as one line.
public enum CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The hex text is not an even number of hexadecimal digits.
    case invalidHex(reason: String)
    /// The PDU ended inside `field` (offset in octets, counting from the first octet of the hex given).
    case truncated(field: String, offset: Int)
    /// A number that is not dialable, or an address field that cannot be decoded.
    case invalidAddress(String, reason: String)
    /// TP-MTI `11` (reserved) — TS 23.040 §9.2.3.1.
    case unsupportedMessageType(firstOctet: UInt8)
    /// The DCS says the user data is compressed (TS 23.038 §4); compression (TS 23.042) is not supported.
    case compressedUserData(dataCodingScheme: UInt8)
    /// A national language shift table (TS 23.038 §6.2.1.2.4, UDH IEI 0x24/0x25) this codec does not know.
    case unsupportedNationalLanguage(identifier: UInt8, lockingShift: Bool)
    /// The user data header is inconsistent (TS 23.040 §9.2.3.24).
    case invalidUserDataHeader(reason: String)
    /// TP-UDL disagrees with the encoding or with the bytes present (TS 23.040 §9.2.3.16).
    case invalidUserDataLength(udl: Int, reason: String)
    /// A semi-octet (BCD) field holds a non-decimal digit (TS 23.040 §9.1.2.3).
    case invalidSemiOctet(field: String, octet: UInt8)
    /// A timestamp field holds an impossible date (TS 23.040 §9.2.3.11).
    case invalidTimestamp(field: String, reason: String)
    /// A time-zone offset that TP-SCTS cannot carry (multiples of 15 minutes, at most ±79 quarters).
    case invalidTimeZoneOffset(minutes: Int)
    /// The text needs more parts than a one-octet sequence number allows (TS 23.040 §9.2.3.24.1).
    case tooManyParts(needed: Int, maximum: Int)
    /// A validity period that TP-VP cannot express (TS 23.040 §9.2.3.12).
    case invalidValidityPeriod(reason: String)
    /// A text that cannot be carried where it was asked for (e.g. a non-GSM alphanumeric sender).
    case unencodableText(String, reason: String)
    /// A value outside its field's range (e.g. a message reference above 255).
    case valueOutOfRange(field: String, value: Int)

    public var description: String {
        switch self {
        case .invalidHex(let reason):
            return "invalid hex: \(reason)"
        case .truncated(let field, let offset):
            return "PDU truncated in \(field) at octet \(offset)"
        case .invalidAddress(let value, let reason):
            return "invalid address \"\(value)\": \(reason)"
        case .unsupportedMessageType(let octet):
            return "unsupported message type (first octet 0x\(Hex.byte(octet)), TP-MTI reserved)"
        case .compressedUserData(let dcs):
            return "compressed user data (DCS 0x\(Hex.byte(dcs))) is not supported (TS 23.042)"
        case .unsupportedNationalLanguage(let id, let locking):
            return "unsupported national language \(locking ? "locking" : "single") shift table \(id) (TS 23.038 §6.2.1.2.4)"
        case .invalidUserDataHeader(let reason):
            return "invalid user data header: \(reason)"
        case .invalidUserDataLength(let udl, let reason):
            return "invalid user data length \(udl): \(reason)"
        case .invalidSemiOctet(let field, let octet):
            return "invalid semi-octet 0x\(Hex.byte(octet)) in \(field)"
        case .invalidTimestamp(let field, let reason):
            return "invalid timestamp in \(field): \(reason)"
        case .invalidTimeZoneOffset(let minutes):
            return "time-zone offset \(minutes) min is not a multiple of 15 within ±19h45"
        case .tooManyParts(let needed, let maximum):
            return "text needs \(needed) parts; at most \(maximum) are possible"
        case .invalidValidityPeriod(let reason):
            return "invalid validity period: \(reason)"
        case .unencodableText(let text, let reason):
            return "cannot encode \"\(text)\": \(reason)"
        case .valueOutOfRange(let field, let value):
            return "\(field) \(value) is out of range"
        }
    }
}
