/// What to ask of the network when sending.
public struct SubmitOptions: Sendable, Equatable {
    /// TP-SRR: ask for an SMS-STATUS-REPORT.
    public var requestStatusReport: Bool
    /// TP-VP / TP-VPF.
    public var validity: ValidityPeriod
    /// TP-RD: let the service centre reject a duplicate (same TP-MR and TP-DA).
    public var rejectDuplicates: Bool
    /// SMSC to use; nil writes `00` (the SIM's SMSC, AT+CSCA).
    public var smsc: String?
    /// Message class in the DCS; `.flash` (class 0) for a flash SMS.
    public var messageClass: SMSMessageClass?
    /// Apply smart encoding before planning (see `SmartEncoding`).
    public var smartEncoding: Bool
    /// Reference of the 8-bit concatenation header; the caller makes it differ between
    /// consecutive multi-part messages to the same recipient.
    public var concatReference: UInt8
    /// TP-PID (TS 23.040 §9.2.3.9); 0 = plain SME-to-SME.
    public var protocolIdentifier: UInt8
    /// Type of address for numbers written without "+": 0x81 (unknown, what handsets send; the
    /// network applies national numbering) or 0xA1 (national).
    public var nationalTypeOfAddress: UInt8

    public init(
        requestStatusReport: Bool = false, validity: ValidityPeriod = .none, rejectDuplicates: Bool = false,
        smsc: String? = nil, messageClass: SMSMessageClass? = nil, smartEncoding: Bool = false,
        concatReference: UInt8 = 0, protocolIdentifier: UInt8 = 0, nationalTypeOfAddress: UInt8 = SMSAddress.unknownType
    ) {
        self.requestStatusReport = requestStatusReport
        self.validity = validity
        self.rejectDuplicates = rejectDuplicates
        self.smsc = smsc
        self.messageClass = messageClass
        self.smartEncoding = smartEncoding
        self.concatReference = concatReference
        self.protocolIdentifier = protocolIdentifier
        self.nationalTypeOfAddress = nationalTypeOfAddress
    }
}

/// One SMS-SUBMIT as handed to `AT+CMGS` in PDU mode (TS 27.005 §3.5.1).
public struct SubmitPDU: Sendable, Equatable, Hashable, Codable {
    /// The SMSC field followed by the TPDU, upper-case hex.
    public let hex: String
    /// Octets of the TPDU alone (the SMSC field excluded): the `<length>` of `AT+CMGS=<length>`.
    public let tpduLength: Int
    /// 1-based part number and the number of parts of the message.
    public let partNumber: Int
    public let totalParts: Int
    /// The text carried by this part.
    public let text: String
    public let encoding: SMSEncoding

    public init(hex: String, tpduLength: Int, partNumber: Int = 1, totalParts: Int = 1, text: String = "", encoding: SMSEncoding = .gsm7) {
        self.hex = hex
        self.tpduLength = tpduLength
        self.partNumber = partNumber
        self.totalParts = totalParts
        self.text = text
        self.encoding = encoding
    }
}

/// Builds SMS-SUBMIT PDUs (TS 23.040 §9.2.2.2).
///
/// Layout: SMSC field (`00` or length/type/BCD), first octet (TP-MTI 01, TP-RD, TP-VPF, TP-SRR,
/// TP-UDHI), TP-MR 0 (the modem assigns it), TP-DA, TP-PID, TP-DCS, TP-VP if any, TP-UDL, TP-UD.
/// Multi-part messages carry the 8-bit-reference concatenation header (IEI 00, §9.2.3.24.1).
public enum SMSSubmitEncoder {
    /// Plans `text` (with `options.smartEncoding`) and encodes every part.
    /// `to`: "+33612345678" or national digits; anything else is `CodecError.invalidAddress`.
    public static func encode(to: String, text: String, options: SubmitOptions = SubmitOptions()) throws -> [SubmitPDU] {
        try encode(to: to, plan: SegmentPlanner.plan(text, smartEncoding: options.smartEncoding), options: options)
    }

    /// Encodes a plan made earlier (so what is sent is exactly what was previewed and charged).
    public static func encode(to: String, plan: SegmentPlan, options: SubmitOptions = SubmitOptions()) throws -> [SubmitPDU] {
        let total = plan.parts.count
        guard total <= 255 else { throw CodecError.tooManyParts(needed: total, maximum: 255) }
        let smsc = try AddressCodec.encodeSMSC(options.smsc)
        let destination = try AddressCodec.encodeNumber(to, nationalType: options.nationalTypeOfAddress)
        let vp = try options.validity.encoded()
        let dcs = DataCodingScheme(encoding: plan.encoding, messageClass: options.messageClass).rawValue
        var pdus = [SubmitPDU]()
        pdus.reserveCapacity(total)
        for (index, part) in plan.parts.enumerated() {
            let header = total > 1
                ? UserDataHeader.concatenation(reference: options.concatReference, total: total, sequence: index + 1) : nil
            var firstOctet: UInt8 = 0x01
            if options.rejectDuplicates { firstOctet |= 0x04 }
            firstOctet |= options.validity.formatBits << 3
            if options.requestStatusReport { firstOctet |= 0x20 }
            if header != nil { firstOctet |= 0x40 }
            let (udl, ud) = try UserDataCodec.encode(text: part, encoding: plan.encoding, header: header)
            var tpdu = [firstOctet, 0x00]
            tpdu += destination
            tpdu.append(options.protocolIdentifier)
            tpdu.append(dcs)
            tpdu += vp
            tpdu.append(udl)
            tpdu += ud
            pdus.append(SubmitPDU(
                hex: Hex.encode(smsc + tpdu), tpduLength: tpdu.count, partNumber: index + 1, totalParts: total,
                text: part, encoding: plan.encoding))
        }
        return pdus
    }
}
