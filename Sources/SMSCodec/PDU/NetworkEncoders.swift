#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Builds the SMS-DELIVER PDUs a network would deliver for a text (for the simulator and tests).
/// TS 23.040 §9.2.2.1; parts carry the IEI 00 concatenation header like `SMSSubmitEncoder`'s.
public enum SMSDeliverEncoder {
    /// - Parameters:
    ///   - from: "+336…", national digits, or an alphanumeric sender (≤ 11 GSM characters).
    ///   - timestamp: TP-SCTS; `timeZoneOffsetMinutes` a multiple of 15.
    ///   - smsc: the SMSC field (nil writes `00`).
    /// - Returns: hex per part, SMSC field first, as `AT+CMGL` lists it.
    public static func encode(
        from: String, text: String, timestamp: Date, timeZoneOffsetMinutes: Int = 0, smsc: String? = nil,
        concatReference: UInt8 = 0
    ) throws -> [String] {
        try encode(
            from: from, plan: SegmentPlanner.plan(text), timestamp: timestamp, timeZoneOffsetMinutes: timeZoneOffsetMinutes,
            smsc: smsc, concatReference: concatReference)
    }

    public static func encode(
        from: String, plan: SegmentPlan, timestamp: Date, timeZoneOffsetMinutes: Int = 0, smsc: String? = nil,
        concatReference: UInt8 = 0, messageClass: SMSMessageClass? = nil
    ) throws -> [String] {
        let total = plan.parts.count
        guard total <= 255 else { throw CodecError.tooManyParts(needed: total, maximum: 255) }
        let smscField = try AddressCodec.encodeSMSC(smsc)
        let originator = try AddressCodec.encodeOriginator(from)
        let scts = try TimestampCodec.encode(timestamp, timeZoneOffsetMinutes: timeZoneOffsetMinutes)
        let dcs = DataCodingScheme(encoding: plan.encoding, messageClass: messageClass).rawValue
        return try plan.parts.enumerated().map { index, part in
            let header = total > 1 ? UserDataHeader.concatenation(reference: concatReference, total: total, sequence: index + 1) : nil
            // TP-MMS set (no more messages) on the last part; TP-UDHI when there is a header.
            var firstOctet: UInt8 = 0x00
            if index == total - 1 { firstOctet |= 0x04 }
            if header != nil { firstOctet |= 0x40 }
            let (udl, ud) = try UserDataCodec.encode(text: part, encoding: plan.encoding, header: header)
            return Hex.encode(smscField + [firstOctet] + originator + [0x00, dcs] + scts + [udl] + ud)
        }
    }
}

/// Builds an SMS-STATUS-REPORT (TS 23.040 §9.2.2.3) as a network would return it (for the simulator).
public enum StatusReportEncoder {
    /// - Parameters:
    ///   - reference: TP-MR of the submitted message (0–255).
    ///   - recipient: the number the message was sent to.
    ///   - status: TP-ST, e.g. 0x00 delivered, 0x46 validity expired.
    /// - Returns: hex, SMSC field first.
    public static func encode(
        reference: Int, recipient: String, submitted: Date, discharged: Date, status: UInt8, smsc: String? = nil,
        timeZoneOffsetMinutes: Int = 0
    ) throws -> String {
        guard (0...255).contains(reference) else { throw CodecError.valueOutOfRange(field: "TP-MR", value: reference) }
        let smscField = try AddressCodec.encodeSMSC(smsc)
        let address = try AddressCodec.encodeNumber(recipient)
        let scts = try TimestampCodec.encode(submitted, timeZoneOffsetMinutes: timeZoneOffsetMinutes)
        let dt = try TimestampCodec.encode(discharged, timeZoneOffsetMinutes: timeZoneOffsetMinutes)
        // First octet: TP-MTI 10, TP-MMS set (no more messages), TP-SRQ 0 (report on a SUBMIT).
        return Hex.encode(smscField + [0x06, UInt8(reference)] + address + scts + dt + [status])
    }
}
