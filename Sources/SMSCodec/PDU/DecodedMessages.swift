#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A decoded PDU as `AT+CMGL` / `AT+CMGR` list it.
public enum DecodedPDU: Sendable, Equatable, Codable {
    case deliver(SMSDeliver)
    case statusReport(SMSStatusReport)
    case submit(SMSSubmit)
}

/// SMS-DELIVER (TS 23.040 §9.2.2.1): a message received from the network.
public struct SMSDeliver: Sendable, Equatable, Hashable, Codable {
    /// The SMSC field that preceded the TPDU, if not empty.
    public var smsc: String?
    /// "+336…", national digits, or an alphanumeric sender name.
    public var originator: String
    public var originatorTypeOfAddress: UInt8
    /// TP-SCTS as an instant, and the offset of the service centre's local time.
    public var timestamp: Date
    public var timeZoneOffsetMinutes: Int
    public var text: String
    public var concatenation: ConcatenationInfo?
    public var dataCoding: DataCodingScheme
    public var protocolIdentifier: UInt8
    /// TP-MMS inverted: the service centre has more messages waiting.
    public var moreMessagesToSend: Bool
    public var replyPath: Bool
    /// TP-SRI: the sender asked for a status report.
    public var statusReportIndication: Bool
    /// Every element of the user data header (concatenation, shift tables, others).
    public var headerElements: [InformationElement]
    /// The 8-bit payload (encoding `.eightBit`), or the big-endian UTF-16 octets (`.ucs2`), else empty.
    public var payload: [UInt8]

    public init(
        smsc: String? = nil, originator: String, originatorTypeOfAddress: UInt8, timestamp: Date,
        timeZoneOffsetMinutes: Int, text: String, concatenation: ConcatenationInfo? = nil,
        dataCoding: DataCodingScheme = DataCodingScheme(rawValue: 0), protocolIdentifier: UInt8 = 0,
        moreMessagesToSend: Bool = false, replyPath: Bool = false, statusReportIndication: Bool = false,
        headerElements: [InformationElement] = [], payload: [UInt8] = []
    ) {
        self.smsc = smsc
        self.originator = originator
        self.originatorTypeOfAddress = originatorTypeOfAddress
        self.timestamp = timestamp
        self.timeZoneOffsetMinutes = timeZoneOffsetMinutes
        self.text = text
        self.concatenation = concatenation
        self.dataCoding = dataCoding
        self.protocolIdentifier = protocolIdentifier
        self.moreMessagesToSend = moreMessagesToSend
        self.replyPath = replyPath
        self.statusReportIndication = statusReportIndication
        self.headerElements = headerElements
        self.payload = payload
    }

    public var encoding: SMSEncoding { dataCoding.encoding }
    public var messageClass: SMSMessageClass? { dataCoding.messageClass }
}

/// SMS-SUBMIT read back (TS 23.040 §9.2.2.2): what was, or will be, sent.
public struct SMSSubmit: Sendable, Equatable, Hashable, Codable {
    public var smsc: String?
    public var destination: String
    public var destinationTypeOfAddress: UInt8
    public var messageReference: Int
    public var rejectDuplicates: Bool
    public var statusReportRequested: Bool
    public var replyPath: Bool
    public var validity: ValidityPeriod
    public var protocolIdentifier: UInt8
    public var dataCoding: DataCodingScheme
    public var text: String
    public var concatenation: ConcatenationInfo?
    public var headerElements: [InformationElement]

    public var encoding: SMSEncoding { dataCoding.encoding }
    public var messageClass: SMSMessageClass? { dataCoding.messageClass }
}

/// SMS-STATUS-REPORT (TS 23.040 §9.2.2.3): what became of a message sent with TP-SRR.
public struct SMSStatusReport: Sendable, Equatable, Hashable, Codable {
    public var smsc: String?
    /// TP-MR of the SMS-SUBMIT this reports on (what `AT+CMGS` returned).
    public var messageReference: Int
    public var recipient: String
    public var recipientTypeOfAddress: UInt8
    /// TP-SCTS: when the service centre received the submitted message.
    public var serviceCentreTimestamp: Date
    public var serviceCentreTimeZoneOffsetMinutes: Int
    /// TP-DT: when the message was delivered (or the status last changed).
    public var dischargeTime: Date
    public var dischargeTimeZoneOffsetMinutes: Int
    /// TP-ST (§9.2.3.15).
    public var status: UInt8
    public var statusMeaning: String
    /// The message reached the recipient (TP-ST 0x00–0x1F, "short message transaction completed").
    public var delivered: Bool
    public var category: StatusCategory
    /// TP-SRQ: the report is about an SMS-COMMAND rather than an SMS-SUBMIT.
    public var reportsCommand: Bool
    public var moreMessagesToSend: Bool
    /// User data, when TP-PI announces it.
    public var text: String?

    public enum StatusCategory: String, Sendable, Codable {
        /// 0x00–0x1F: delivered or otherwise finished.
        case completed
        /// 0x20–0x3F: temporary error, the service centre keeps trying.
        case temporaryErrorRetrying
        /// 0x40–0x5F: permanent error, the service centre gave up.
        case permanentError
        /// 0x60–0x7F (and reserved values above): temporary error, the service centre stopped trying.
        case temporaryErrorStopped
    }

    /// TS 23.040 §9.2.3.15 TP-Status meanings.
    public static func meaning(of status: UInt8) -> (meaning: String, category: StatusCategory) {
        switch status {
        case 0x00: return ("short message received by the SME", .completed)
        case 0x01: return ("short message forwarded by the SC to the SME but the SC is unable to confirm delivery", .completed)
        case 0x02: return ("short message replaced by the SC", .completed)
        case 0x03...0x0F: return ("reserved (transaction completed)", .completed)
        case 0x10...0x1F: return ("SC-specific (transaction completed)", .completed)
        case 0x20: return ("congestion; SC still trying", .temporaryErrorRetrying)
        case 0x21: return ("SME busy; SC still trying", .temporaryErrorRetrying)
        case 0x22: return ("no response from SME; SC still trying", .temporaryErrorRetrying)
        case 0x23: return ("service rejected; SC still trying", .temporaryErrorRetrying)
        case 0x24: return ("quality of service not available; SC still trying", .temporaryErrorRetrying)
        case 0x25: return ("error in SME; SC still trying", .temporaryErrorRetrying)
        case 0x26...0x2F: return ("reserved temporary error; SC still trying", .temporaryErrorRetrying)
        case 0x30...0x3F: return ("SC-specific temporary error; SC still trying", .temporaryErrorRetrying)
        case 0x40: return ("remote procedure error", .permanentError)
        case 0x41: return ("incompatible destination", .permanentError)
        case 0x42: return ("connection rejected by SME", .permanentError)
        case 0x43: return ("not obtainable", .permanentError)
        case 0x44: return ("quality of service not available", .permanentError)
        case 0x45: return ("no interworking available", .permanentError)
        case 0x46: return ("SM validity period expired", .permanentError)
        case 0x47: return ("SM deleted by originating SME", .permanentError)
        case 0x48: return ("SM deleted by SC administration", .permanentError)
        case 0x49: return ("SM does not exist", .permanentError)
        case 0x4A...0x4F: return ("reserved permanent error", .permanentError)
        case 0x50...0x5F: return ("SC-specific permanent error", .permanentError)
        case 0x60: return ("congestion; SC not making further attempts", .temporaryErrorStopped)
        case 0x61: return ("SME busy; SC not making further attempts", .temporaryErrorStopped)
        case 0x62: return ("no response from SME; SC not making further attempts", .temporaryErrorStopped)
        case 0x63: return ("service rejected; SC not making further attempts", .temporaryErrorStopped)
        case 0x64: return ("quality of service not available; SC not making further attempts", .temporaryErrorStopped)
        case 0x65: return ("error in SME; SC not making further attempts", .temporaryErrorStopped)
        case 0x66...0x69: return ("reserved temporary error; SC not making further attempts", .temporaryErrorStopped)
        case 0x6A...0x7F: return ("SC-specific temporary error; SC not making further attempts", .temporaryErrorStopped)
        default: return ("reserved (treated as a permanent failure)", .permanentError)
        }
    }
}
