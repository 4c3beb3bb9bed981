/// The alphabet of a message's user data (TS 23.038 §4, DCS bits 3–2).
public enum SMSEncoding: String, Codable, Sendable {
    case gsm7
    case ucs2
    case eightBit

    /// Units per part: single message, and each part of a concatenated message with the
    /// 8-bit-reference concatenation header (6 octets of UDH). TS 23.040 §9.2.3.16/§9.2.3.24.1.
    public var singlePartCapacity: Int {
        switch self {
        case .gsm7: 160
        case .ucs2: 70
        case .eightBit: 140
        }
    }

    public var multipartCapacity: Int {
        switch self {
        case .gsm7: 153
        case .ucs2: 67
        case .eightBit: 134
        }
    }
}

/// Message class carried in the DCS (TS 23.038 §4). Class 0 is a "flash" SMS, shown and not stored.
///
/// (Named `SMSMessageClass` so that it does not collide with the Compliance layer's
/// marketing/notification `MessageClass`.)
public enum SMSMessageClass: Int, Codable, Sendable, CaseIterable {
    case class0 = 0
    case class1 = 1
    case class2 = 2
    case class3 = 3

    /// Flash SMS: class 0.
    public static let flash = SMSMessageClass.class0
}
