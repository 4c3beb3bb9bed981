/// Decodes PDUs as `AT+CMGL` / `AT+CMGR` give them in PDU mode (TS 27.005 §3.4.2): the SMSC
/// field first, then the TPDU. TP-MTI selects the type for a stored message (TS 23.040 §9.2.3.1):
/// 00 SMS-DELIVER, 01 SMS-SUBMIT, 10 SMS-STATUS-REPORT; 11 is reserved and refused.
///
/// Never traps: any malformed input is a `CodecError`.
public enum PDUDecoder {
    public static func decode(hex: String) throws -> DecodedPDU {
        try decode(bytes: Hex.decode(hex))
    }

    /// `includesSMSC: false` for a bare TPDU (some modems omit the SMSC field in `+CMT`/`+CDS`).
    public static func decode(hex: String, includesSMSC: Bool) throws -> DecodedPDU {
        try decode(bytes: Hex.decode(hex), includesSMSC: includesSMSC)
    }

    /// `includesSMSC: false` for a bare TPDU (e.g. `+CMT` on modems that omit the SMSC field).
    public static func decode(bytes: [UInt8], includesSMSC: Bool = true) throws -> DecodedPDU {
        var reader = ByteReader(bytes)
        let smsc = includesSMSC ? try AddressCodec.decodeSMSC(&reader)?.value : nil
        let firstOctet = try reader.byte("first octet")
        switch firstOctet & 0x03 {
        case 0b00: return .deliver(try deliver(&reader, firstOctet: firstOctet, smsc: smsc))
        case 0b01: return .submit(try submit(&reader, firstOctet: firstOctet, smsc: smsc))
        case 0b10: return .statusReport(try statusReport(&reader, firstOctet: firstOctet, smsc: smsc))
        default: throw CodecError.unsupportedMessageType(firstOctet: firstOctet)
        }
    }

    static func deliver(_ reader: inout ByteReader, firstOctet: UInt8, smsc: String?) throws -> SMSDeliver {
        let originator = try AddressCodec.decodeTP(&reader, field: "TP-OA")
        let pid = try reader.byte("TP-PID")
        let dcs = DataCodingScheme(rawValue: try reader.byte("TP-DCS"))
        let scts = try TimestampCodec.decode(try reader.bytes(7, "TP-SCTS"), field: "TP-SCTS")
        let ud = try UserDataCodec.decode(&reader, udhi: firstOctet & 0x40 != 0, dcs: dcs)
        return SMSDeliver(
            smsc: smsc, originator: originator.value, originatorTypeOfAddress: originator.typeOfAddress,
            timestamp: scts.date, timeZoneOffsetMinutes: scts.timeZoneOffsetMinutes, text: ud.text,
            concatenation: ud.header?.concatenation, dataCoding: dcs, protocolIdentifier: pid,
            moreMessagesToSend: firstOctet & 0x04 == 0, replyPath: firstOctet & 0x80 != 0,
            statusReportIndication: firstOctet & 0x20 != 0, headerElements: ud.header?.elements ?? [],
            payload: dcs.encoding == .gsm7 ? [] : ud.payload)
    }

    static func submit(_ reader: inout ByteReader, firstOctet: UInt8, smsc: String?) throws -> SMSSubmit {
        let mr = try reader.byte("TP-MR")
        let destination = try AddressCodec.decodeTP(&reader, field: "TP-DA")
        let pid = try reader.byte("TP-PID")
        let dcs = DataCodingScheme(rawValue: try reader.byte("TP-DCS"))
        let validity = try ValidityPeriod.decode(format: (firstOctet >> 3) & 0x03, &reader)
        let ud = try UserDataCodec.decode(&reader, udhi: firstOctet & 0x40 != 0, dcs: dcs)
        return SMSSubmit(
            smsc: smsc, destination: destination.value, destinationTypeOfAddress: destination.typeOfAddress,
            messageReference: Int(mr), rejectDuplicates: firstOctet & 0x04 != 0,
            statusReportRequested: firstOctet & 0x20 != 0, replyPath: firstOctet & 0x80 != 0, validity: validity,
            protocolIdentifier: pid, dataCoding: dcs, text: ud.text, concatenation: ud.header?.concatenation,
            headerElements: ud.header?.elements ?? [])
    }

    static func statusReport(_ reader: inout ByteReader, firstOctet: UInt8, smsc: String?) throws -> SMSStatusReport {
        let mr = try reader.byte("TP-MR")
        let recipient = try AddressCodec.decodeTP(&reader, field: "TP-RA")
        let scts = try TimestampCodec.decode(try reader.bytes(7, "TP-SCTS"), field: "TP-SCTS")
        let dt = try TimestampCodec.decode(try reader.bytes(7, "TP-DT"), field: "TP-DT")
        let status = try reader.byte("TP-ST")
        var text: String?
        // TP-PI and what it announces are optional (§9.2.2.3); some networks pad with 0xFF.
        if !reader.isAtEnd {
            let pi = try reader.byte("TP-PI")
            if pi != 0xFF {
                var dcs = DataCodingScheme(rawValue: 0)
                if pi & 0x01 != 0 { _ = try reader.byte("TP-PID") }
                if pi & 0x02 != 0 { dcs = DataCodingScheme(rawValue: try reader.byte("TP-DCS")) }
                if pi & 0x04 != 0 {
                    text = try UserDataCodec.decode(&reader, udhi: firstOctet & 0x40 != 0, dcs: dcs).text
                }
            }
        }
        let (meaning, category) = SMSStatusReport.meaning(of: status)
        return SMSStatusReport(
            smsc: smsc, messageReference: Int(mr), recipient: recipient.value,
            recipientTypeOfAddress: recipient.typeOfAddress, serviceCentreTimestamp: scts.date,
            serviceCentreTimeZoneOffsetMinutes: scts.timeZoneOffsetMinutes, dischargeTime: dt.date,
            dischargeTimeZoneOffsetMinutes: dt.timeZoneOffsetMinutes, status: status, statusMeaning: meaning,
            delivered: category == .completed, category: category, reportsCommand: firstOctet & 0x20 != 0,
            moreMessagesToSend: firstOctet & 0x04 == 0, text: text)
    }
}
