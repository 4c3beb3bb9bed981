import Foundation

/// Why a PDU handed to the simulator could not be taken (answered as `+CMS ERROR: 304`).
public struct PDUFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { "invalid PDU: \(reason)" }
}

/// Concatenation information element (TS 23.040 §9.2.3.24.1 and §9.2.3.24.8).
public struct ConcatenationHeader: Sendable, Equatable, Codable {
    public var reference: Int
    public var total: Int
    public var sequence: Int
}

/// The text alphabet of a short message (TS 23.038 §4).
public enum SimulatedEncoding: String, Sendable, Codable { case gsm7, ucs2, eightBit }

/// An SMS-SUBMIT as the simulated network receives it (TS 23.040 §9.2.2.2).
public struct DecodedSubmit: Sendable, Equatable {
    public var smsc: String?
    public var messageReference: Int
    public var destination: String
    public var statusReportRequested: Bool
    public var rejectDuplicates: Bool
    public var validityPeriodFormat: Int
    public var protocolIdentifier: UInt8
    public var dataCodingScheme: UInt8
    public var messageClass: Int?
    public var encoding: SimulatedEncoding
    public var concatenation: ConcatenationHeader?
    public var text: String
    /// TPDU length in octets, the `<length>` of `AT+CMGS` (TS 27.005 §3.5.1).
    public var tpduLength: Int
}

/// Cursor over PDU octets that throws instead of trapping on short input.
struct OctetReader {
    let octets: [UInt8]
    var position = 0
    init(_ octets: [UInt8]) { self.octets = octets }
    var remaining: Int { octets.count - position }
    mutating func byte(_ what: String) throws(PDUFormatError) -> UInt8 {
        guard position < octets.count else { throw PDUFormatError(reason: "truncated at \(what)") }
        defer { position += 1 }
        return octets[position]
    }
    mutating func bytes(_ count: Int, _ what: String) throws(PDUFormatError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw PDUFormatError(reason: "truncated at \(what)") }
        defer { position += count }
        return Array(octets[position..<position + count])
    }
}

enum SimulatorPDU {
    // MARK: hex

    static func octets(fromHex hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let high = nibble(chars[i]), let low = nibble(chars[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    static func hex(_ octets: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(octets.count * 2)
        for o in octets { out.append(digits[Int(o >> 4)]); out.append(digits[Int(o & 0x0F)]) }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: addresses (TS 23.040 §9.1.2.5, TS 24.011 §8.2.5.1 for the SMSC)

    /// Semi-octet digits, swapped per octet, padded with F.
    static func semiOctets(_ digits: String) -> [UInt8] {
        let values: [UInt8] = digits.unicodeScalars.map { scalar in
            switch scalar {
            case "*": 0x0A
            case "#": 0x0B
            default: UInt8(truncatingIfNeeded: scalar.value &- 0x30) & 0x0F
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < values.count {
            let low = values[i]
            let high: UInt8 = i + 1 < values.count ? values[i + 1] : 0x0F
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    static func digits(fromSemiOctets octets: [UInt8], count: Int) -> String {
        var out = ""
        for octet in octets {
            for value in [octet & 0x0F, octet >> 4] {
                guard out.count < count else { break }
                switch value {
                case 0...9: out.append(Character(Unicode.Scalar(value + 0x30)))
                case 0x0A: out.append("*")
                case 0x0B: out.append("#")
                case 0x0C: out.append("a")
                case 0x0D: out.append("b")
                case 0x0E: out.append("c")
                default: break
                }
            }
        }
        return out
    }

    static func isPhoneNumber(_ s: String) -> Bool {
        let body = s.hasPrefix("+") ? String(s.dropFirst()) : s
        return !body.isEmpty && body.count <= 20 && body.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
    }

    /// TP-OA / TP-DA / TP-RA: length in semi-octets, type of address, value.
    static func encodeAddress(_ address: String) -> [UInt8] {
        if isPhoneNumber(address) {
            let international = address.hasPrefix("+")
            let digits = international ? String(address.dropFirst()) : address
            return [UInt8(digits.count), international ? 0x91 : 0x81] + semiOctets(digits)
        }
        // Alphanumeric (TON 101): GSM 7-bit packed, at most 11 characters (TS 23.040 §9.1.2.5).
        let septets = GSMAlphabet.septets(for: String(address.prefix(11))) ?? GSMAlphabet.septets(for: "?")!
        let packed = GSMAlphabet.pack(Array(septets.prefix(11)))
        return [UInt8(packed.count * 2), 0xD0] + packed
    }

    static func decodeAddress(_ reader: inout OctetReader) throws(PDUFormatError) -> String {
        let length = Int(try reader.byte("address length"))
        let type = try reader.byte("type of address")
        let value = try reader.bytes((length + 1) / 2, "address")
        if type & 0x70 == 0x50 {
            return GSMAlphabet.text(from: GSMAlphabet.unpack(value, count: length * 4 / 7))
        }
        let digits = digits(fromSemiOctets: value, count: length)
        return type & 0x70 == 0x10 ? "+" + digits : digits
    }

    /// The SMSC field that leads a PDU in PDU mode (TS 27.005 §3.1 `<pdu>`).
    static func encodeSMSC(_ smsc: String?) -> [UInt8] {
        guard let smsc, isPhoneNumber(smsc) else { return [0x00] }
        let international = smsc.hasPrefix("+")
        let digits = international ? String(smsc.dropFirst()) : smsc
        let body = [UInt8(international ? 0x91 : 0x81)] + semiOctets(digits)
        return [UInt8(body.count)] + body
    }

    // MARK: time stamps (TS 23.040 §9.2.3.11)

    static func encodeTimestamp(_ date: Date, offsetMinutes: Int) -> [UInt8] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offsetMinutes * 60) ?? TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func swapped(_ v: Int) -> UInt8 { UInt8((v % 10) << 4 | (v / 10) % 10) }
        let quarters = abs(offsetMinutes) / 15
        var zone = swapped(quarters)
        if offsetMinutes < 0 { zone |= 0x08 }
        return [swapped((c.year ?? 2000) % 100), swapped(c.month ?? 1), swapped(c.day ?? 1),
                swapped(c.hour ?? 0), swapped(c.minute ?? 0), swapped(c.second ?? 0), zone]
    }

    // MARK: SMS-SUBMIT decoding

    /// Decodes a PDU as `AT+CMGS` carries it: SMSC field first, then an SMS-SUBMIT TPDU.
    static func decodeSubmit(hex: String) throws(PDUFormatError) -> DecodedSubmit {
        guard let all = octets(fromHex: hex) else { throw PDUFormatError(reason: "not an even count of hex digits") }
        var reader = OctetReader(all)
        let smscLength = Int(try reader.byte("SMSC length"))
        var smsc: String?
        if smscLength > 0 {
            let field = try reader.bytes(smscLength, "SMSC address")
            let digits = digits(fromSemiOctets: Array(field.dropFirst()), count: (smscLength - 1) * 2)
            smsc = field[0] & 0x70 == 0x10 ? "+" + digits : digits
        }
        let tpduStart = reader.position
        let first = try reader.byte("first octet")
        guard first & 0x03 == 0x01 else { throw PDUFormatError(reason: "TP-MTI \(first & 0x03) is not SMS-SUBMIT") }
        let mr = try reader.byte("TP-MR")
        let destination = try decodeAddress(&reader)
        let pid = try reader.byte("TP-PID")
        let dcs = try reader.byte("TP-DCS")
        let vpf = Int(first >> 3) & 0x03
        switch vpf {
        case 2: _ = try reader.byte("TP-VP")
        case 1, 3: _ = try reader.bytes(7, "TP-VP")
        default: break
        }
        let udl = Int(try reader.byte("TP-UDL"))
        let ud = Array(all[reader.position...])
        let (encoding, messageClass) = try alphabet(of: dcs)
        let hasHeader = first & 0x40 != 0
        var header: [UInt8] = []
        if hasHeader {
            guard let udhl = ud.first, ud.count >= Int(udhl) + 1 else { throw PDUFormatError(reason: "user data header longer than the user data") }
            header = Array(ud[1..<(1 + Int(udhl))])
        }
        let text: String
        switch encoding {
        case .gsm7:
            let needed = (udl * 7 + 7) / 8
            guard udl <= 160, ud.count == needed else { throw PDUFormatError(reason: "TP-UDL \(udl) septets needs \(needed) octets, got \(ud.count)") }
            let skip = hasHeader ? ((header.count + 1) * 8 + 6) / 7 : 0
            guard skip <= udl else { throw PDUFormatError(reason: "user data header longer than TP-UDL") }
            text = GSMAlphabet.text(from: Array(GSMAlphabet.unpack(ud, count: udl).dropFirst(skip)))
        case .ucs2, .eightBit:
            guard udl <= 140, ud.count == udl else { throw PDUFormatError(reason: "TP-UDL \(udl) octets, got \(ud.count)") }
            let body = Array(ud.dropFirst(hasHeader ? header.count + 1 : 0))
            if encoding == .ucs2 {
                guard body.count % 2 == 0 else { throw PDUFormatError(reason: "odd UCS-2 length") }
                var units: [UInt16] = []
                for i in stride(from: 0, to: body.count, by: 2) { units.append(UInt16(body[i]) << 8 | UInt16(body[i + 1])) }
                text = String(decoding: units, as: UTF16.self)
            } else {
                text = SimulatorPDU.hex(body)
            }
        }
        return DecodedSubmit(
            smsc: smsc, messageReference: Int(mr), destination: destination,
            statusReportRequested: first & 0x20 != 0, rejectDuplicates: first & 0x04 != 0,
            validityPeriodFormat: vpf, protocolIdentifier: pid, dataCodingScheme: dcs, messageClass: messageClass,
            encoding: encoding, concatenation: concatenation(in: header), text: text,
            tpduLength: all.count - tpduStart)
    }

    /// TP-DCS alphabet and class (TS 23.038 §4).
    static func alphabet(of dcs: UInt8) throws(PDUFormatError) -> (SimulatedEncoding, Int?) {
        switch dcs >> 4 {
        case 0x0...0x7:
            guard dcs & 0x20 == 0 else { throw PDUFormatError(reason: "compressed text (TP-DCS \(dcs)) is not supported") }
            let messageClass = dcs & 0x10 != 0 ? Int(dcs & 0x03) : nil
            switch (dcs >> 2) & 0x03 {
            case 1: return (.eightBit, messageClass)
            case 2: return (.ucs2, messageClass)
            default: return (.gsm7, messageClass)
            }
        case 0xC, 0xD: return (.gsm7, nil)
        case 0xE: return (.ucs2, nil)
        case 0xF: return (dcs & 0x04 != 0 ? .eightBit : .gsm7, Int(dcs & 0x03))
        default: throw PDUFormatError(reason: "reserved TP-DCS \(dcs)")
        }
    }

    static func concatenation(in header: [UInt8]) -> ConcatenationHeader? {
        var i = 0
        while i + 1 < header.count {
            let id = header[i], length = Int(header[i + 1])
            let start = i + 2
            guard start + length <= header.count else { return nil }
            let value = Array(header[start..<start + length])
            if id == 0x00, length == 3 { return ConcatenationHeader(reference: Int(value[0]), total: Int(value[1]), sequence: Int(value[2])) }
            if id == 0x08, length == 4 { return ConcatenationHeader(reference: Int(value[0]) << 8 | Int(value[1]), total: Int(value[2]), sequence: Int(value[3])) }
            i = start + length
        }
        return nil
    }

    // MARK: SMS-DELIVER encoding (what the network hands the modem)

    /// The parts of `text` as the network would deliver them: GSM 7-bit when every character is in
    /// the default alphabet or its extension, UCS-2 otherwise; 160/153 septets or 70/67 UTF-16 units
    /// per part (TS 23.040 §9.2.3.24.1), never splitting an escape or a surrogate pair.
    static func splitForDelivery(_ text: String) -> (SimulatedEncoding, [[UInt8]]) {
        if let septets = GSMAlphabet.septets(for: text) {
            if septets.count <= 160 { return (.gsm7, [septets]) }
            var parts: [[UInt8]] = []
            var current: [UInt8] = []
            var i = 0
            while i < septets.count {
                let unit = septets[i] == 0x1B && i + 1 < septets.count ? 2 : 1
                if current.count + unit > 153 { parts.append(current); current = [] }
                current.append(contentsOf: septets[i..<i + unit])
                i += unit
            }
            if !current.isEmpty { parts.append(current) }
            return (.gsm7, parts)
        }
        let units = Array(text.utf16)
        func bytes(_ slice: ArraySlice<UInt16>) -> [UInt8] { slice.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }
        if units.count <= 70 { return (.ucs2, [bytes(units[...])]) }
        var parts: [[UInt8]] = []
        var start = 0
        while start < units.count {
            var end = min(start + 67, units.count)
            if end < units.count, UTF16.isLeadSurrogate(units[end - 1]) { end -= 1 }
            parts.append(bytes(units[start..<end]))
            start = end
        }
        return (.ucs2, parts)
    }

    /// SMS-DELIVER PDUs (SMSC field first) for `text` from `originator` (TS 23.040 §9.2.2.1).
    static func encodeDeliver(from originator: String, text: String, timestamp: Date, offsetMinutes: Int,
                              smsc: String?, reference: Int) -> [String] {
        let (encoding, parts) = splitForDelivery(text)
        let concatenated = parts.count > 1
        return parts.enumerated().map { index, payload in
            var tpdu: [UInt8] = [concatenated ? 0x44 : 0x04]
            tpdu += encodeAddress(originator)
            tpdu.append(0x00) // TP-PID
            tpdu.append(encoding == .ucs2 ? 0x08 : 0x00)
            tpdu += encodeTimestamp(timestamp, offsetMinutes: offsetMinutes)
            let header: [UInt8] = concatenated ? [0x05, 0x00, 0x03, UInt8(reference & 0xFF), UInt8(parts.count), UInt8(index + 1)] : []
            switch encoding {
            case .gsm7:
                let headerSeptets = header.isEmpty ? 0 : (header.count * 8 + 6) / 7
                let fill = header.isEmpty ? 0 : headerSeptets * 7 - header.count * 8
                let packed = GSMAlphabet.pack(payload, fillBits: fill)
                tpdu.append(UInt8(headerSeptets + payload.count))
                var ud = header + packed
                let needed = (headerSeptets + payload.count) * 7
                ud = Array(ud.prefix((needed + 7) / 8))
                tpdu += ud
            case .ucs2, .eightBit:
                tpdu.append(UInt8(header.count + payload.count))
                tpdu += header + payload
            }
            return hex(encodeSMSC(smsc) + tpdu)
        }
    }

    /// TPDU length of a stored PDU (SMSC field excluded), as `+CMGL`/`+CMGR` report it.
    static func tpduLength(ofHex hex: String) -> Int {
        guard let all = octets(fromHex: hex), let first = all.first else { return 0 }
        return max(0, all.count - 1 - Int(first))
    }

    // MARK: text-mode views of stored PDUs (TS 27.005 §3.4.2 text mode)

    /// `yy/MM/dd,hh:mm:ss±zz` from a TP-SCTS (TS 27.005 §3.1 `<scts>`).
    static func timestampText(_ octets: [UInt8]) -> String {
        guard octets.count == 7 else { return "" }
        func value(_ o: UInt8) -> Int { Int(o & 0x0F) * 10 + Int(o >> 4) }
        let zone = Int(octets[6] & 0x07) * 10 + Int(octets[6] >> 4)
        let sign = octets[6] & 0x08 != 0 ? "-" : "+"
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(two(value(octets[0])))/\(two(value(octets[1])))/\(two(value(octets[2]))),"
            + "\(two(value(octets[3]))):\(two(value(octets[4]))):\(two(value(octets[5])))\(sign)\(two(zone))"
    }

    /// What text mode shows of a stored PDU: the header fields and the text.
    enum TextView {
        case deliver(originator: String, type: Int, timestamp: String, text: String)
        case statusReport(reference: Int, recipient: String, type: Int, submitted: String, discharged: String, status: Int)
    }

    static func textView(ofHex hex: String) throws(PDUFormatError) -> TextView {
        guard let all = octets(fromHex: hex), let smscLength = all.first else { throw PDUFormatError(reason: "not hex") }
        var reader = OctetReader(all)
        _ = try reader.bytes(1 + Int(smscLength), "SMSC")
        let first = try reader.byte("first octet")
        switch first & 0x03 {
        case 0x00:
            let typePosition = reader.position + 1
            let originator = try decodeAddress(&reader)
            let type = Int(all[typePosition])
            _ = try reader.byte("TP-PID")
            let dcs = try reader.byte("TP-DCS")
            let scts = try reader.bytes(7, "TP-SCTS")
            let udl = Int(try reader.byte("TP-UDL"))
            let ud = Array(all[reader.position...])
            let (encoding, _) = try alphabet(of: dcs)
            let headerLength = first & 0x40 != 0 ? Int(ud.first ?? 0) + 1 : 0
            let text: String
            switch encoding {
            case .gsm7:
                let skip = headerLength > 0 ? (headerLength * 8 + 6) / 7 : 0
                text = GSMAlphabet.text(from: Array(GSMAlphabet.unpack(ud, count: udl).dropFirst(skip)))
            case .ucs2:
                let body = Array(ud.dropFirst(headerLength))
                var units: [UInt16] = []
                for i in stride(from: 0, to: body.count - 1, by: 2) { units.append(UInt16(body[i]) << 8 | UInt16(body[i + 1])) }
                text = String(decoding: units, as: UTF16.self)
            case .eightBit:
                text = SimulatorPDU.hex(Array(ud.dropFirst(headerLength)))
            }
            return .deliver(originator: originator, type: type, timestamp: timestampText(scts), text: text)
        case 0x02:
            let reference = Int(try reader.byte("TP-MR"))
            let typePosition = reader.position + 1
            let recipient = try decodeAddress(&reader)
            let type = Int(all[typePosition])
            let submitted = try reader.bytes(7, "TP-SCTS")
            let discharged = try reader.bytes(7, "TP-DT")
            let status = Int(try reader.byte("TP-ST"))
            return .statusReport(reference: reference, recipient: recipient, type: type,
                                 submitted: timestampText(submitted), discharged: timestampText(discharged), status: status)
        default:
            throw PDUFormatError(reason: "no text view for TP-MTI \(first & 0x03)")
        }
    }

    // MARK: SMS-STATUS-REPORT encoding (TS 23.040 §9.2.2.3)

    static func encodeStatusReport(reference: Int, recipient: String, submitted: Date, discharged: Date,
                                   offsetMinutes: Int, status: UInt8, smsc: String?) -> String {
        var tpdu: [UInt8] = [0x06, UInt8(reference & 0xFF)]
        tpdu += encodeAddress(recipient)
        tpdu += encodeTimestamp(submitted, offsetMinutes: offsetMinutes)
        tpdu += encodeTimestamp(discharged, offsetMinutes: offsetMinutes)
        tpdu.append(status)
        return hex(encodeSMSC(smsc) + tpdu)
    }
}
