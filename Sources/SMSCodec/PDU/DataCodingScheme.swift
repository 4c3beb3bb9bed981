/// TP-DCS (TS 23.038 §4), decoded into what the codec needs.
public struct DataCodingScheme: Sendable, Codable, Equatable, Hashable {
    public var rawValue: UInt8
    public var encoding: SMSEncoding
    public var messageClass: SMSMessageClass?
    public var compressed: Bool
    /// Coding group 01xx: the message is to be deleted after reading.
    public var markedForAutomaticDeletion: Bool
    /// Coding groups 1100–1110: a message waiting indication (voicemail, fax…).
    public var isMessageWaitingIndication: Bool

    /// Decodes any octet. Reserved codings are taken as the GSM 7-bit default alphabet, as
    /// TS 23.038 §4 requires of a receiving entity.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
        compressed = false
        markedForAutomaticDeletion = false
        isMessageWaitingIndication = false
        messageClass = nil
        switch rawValue >> 4 {
        case 0x0...0x7:
            compressed = rawValue & 0x20 != 0
            markedForAutomaticDeletion = rawValue & 0x40 != 0
            if rawValue & 0x10 != 0 { messageClass = SMSMessageClass(rawValue: Int(rawValue & 0x03)) }
            switch (rawValue >> 2) & 0x03 {
            case 1: encoding = .eightBit
            case 2: encoding = .ucs2
            default: encoding = .gsm7
            }
        case 0xC, 0xD:
            isMessageWaitingIndication = true
            encoding = .gsm7
        case 0xE:
            isMessageWaitingIndication = true
            encoding = .ucs2
        case 0xF:
            encoding = rawValue & 0x04 != 0 ? .eightBit : .gsm7
            messageClass = SMSMessageClass(rawValue: Int(rawValue & 0x03))
        default:
            encoding = .gsm7
        }
    }

    /// The DCS an originator uses: general coding group, uncompressed, with the class if any.
    public init(encoding: SMSEncoding, messageClass: SMSMessageClass? = nil) {
        var raw: UInt8
        switch encoding {
        case .gsm7: raw = 0x00
        case .eightBit: raw = 0x04
        case .ucs2: raw = 0x08
        }
        if let messageClass { raw |= 0x10 | UInt8(messageClass.rawValue) }
        self.init(rawValue: raw)
    }
}
