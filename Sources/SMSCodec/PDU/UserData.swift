/// TP-UDL and TP-UD (TS 23.040 §9.2.3.16, §9.2.3.24): the text, optionally behind a header.
enum UserDataCodec {
    struct Decoded {
        var header: UserDataHeader?
        var text: String
        /// The payload octets after the header (8-bit data), or the UTF-16 units (UCS-2) as octets.
        var payload: [UInt8]
    }

    /// Encodes one part. For GSM 7-bit, TP-UDL counts septets (header septets included, the
    /// header padded to a septet boundary with fill bits); otherwise octets.
    static func encode(text: String, encoding: SMSEncoding, header: UserDataHeader?) throws -> (udl: UInt8, octets: [UInt8]) {
        let headerOctets = header?.encoded ?? []
        switch encoding {
        case .gsm7:
            guard let septets = GSMAlphabet.septets(for: text) else {
                throw CodecError.unencodableText(text, reason: "not in the GSM 7-bit default alphabet")
            }
            let headerSeptets = (headerOctets.count * 8 + 6) / 7
            let fill = headerSeptets * 7 - headerOctets.count * 8
            let udl = headerSeptets + septets.count
            guard udl <= 160 else { throw CodecError.invalidUserDataLength(udl: udl, reason: "more than 160 septets") }
            return (UInt8(udl), headerOctets + Septets.pack(septets, fillBits: fill))
        case .ucs2:
            let octets = headerOctets + UCS2.encode(text)
            guard octets.count <= 140 else {
                throw CodecError.invalidUserDataLength(udl: octets.count, reason: "more than 140 octets")
            }
            return (UInt8(octets.count), octets)
        case .eightBit:
            let octets = headerOctets + Array(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
            guard octets.count <= 140 else {
                throw CodecError.invalidUserDataLength(udl: octets.count, reason: "more than 140 octets")
            }
            return (UInt8(octets.count), octets)
        }
    }

    /// Decodes TP-UDL + TP-UD from `reader`. 8-bit data is returned as Latin-1 text and as `payload`.
    static func decode(_ reader: inout ByteReader, udhi: Bool, dcs: DataCodingScheme) throws -> Decoded {
        if dcs.compressed { throw CodecError.compressedUserData(dataCodingScheme: dcs.rawValue) }
        let udl = Int(try reader.byte("TP-UDL"))
        let octetCount: Int
        switch dcs.encoding {
        case .gsm7:
            guard udl <= 160 else { throw CodecError.invalidUserDataLength(udl: udl, reason: "more than 160 septets") }
            octetCount = Septets.octetCount(septets: udl)
        case .ucs2, .eightBit:
            guard udl <= 140 else { throw CodecError.invalidUserDataLength(udl: udl, reason: "more than 140 octets") }
            octetCount = udl
        }
        let ud = try reader.bytes(octetCount, "TP-UD")
        var header: UserDataHeader?
        var headerOctets = 0
        if udhi {
            guard let udhl = ud.first else {
                throw CodecError.invalidUserDataHeader(reason: "TP-UDHI set but the user data is empty")
            }
            headerOctets = Int(udhl) + 1
            guard headerOctets <= ud.count else {
                throw CodecError.invalidUserDataHeader(reason: "header length \(udhl) exceeds the user data")
            }
            header = try UserDataHeader.parse(ud)
        }
        switch dcs.encoding {
        case .gsm7:
            let headerSeptets = (headerOctets * 8 + 6) / 7
            guard headerSeptets <= udl else {
                throw CodecError.invalidUserDataLength(udl: udl, reason: "shorter than the \(headerOctets)-octet header")
            }
            let fill = headerSeptets * 7 - headerOctets * 8
            let body = ud[headerOctets...]
            guard let septets = Septets.unpack(body, count: udl - headerSeptets, fillBits: fill) else {
                throw CodecError.invalidUserDataLength(udl: udl, reason: "septets overrun the user data")
            }
            let characterSet = try GSMCharacterSet.forLanguages(
                lockingShift: header?.lockingShiftLanguage, singleShift: header?.singleShiftLanguage)
            return Decoded(header: header, text: GSMAlphabet.text(from: septets, characterSet: characterSet), payload: septets)
        case .ucs2:
            let body = Array(ud[headerOctets...])
            guard body.count % 2 == 0 else {
                throw CodecError.invalidUserDataLength(udl: udl, reason: "odd number of UCS-2 octets (\(body.count))")
            }
            return Decoded(header: header, text: UCS2.decode(body), payload: body)
        case .eightBit:
            let body = Array(ud[headerOctets...])
            var scalars = String.UnicodeScalarView()
            for b in body { scalars.append(Unicode.Scalar(b)) }
            return Decoded(header: header, text: String(scalars), payload: body)
        }
    }
}
