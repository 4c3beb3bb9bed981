import Testing
@testable import SMSCodec

@Suite("SMS-SUBMIT encoding (TS 23.040 §9.2.2.2)")
struct SubmitEncoderTests {
    /// The classic worked example "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
    /// (dreamfabric.com/sms, reproduced by developershome.com "Sending SMS in PDU mode"):
    /// SMSC 00, first octet 11 (SUBMIT, VPF relative), MR 00, DA +46708251358, PID 00, DCS 00,
    /// VP AA (4 days), UDL 0A, "hellohello". `AT+CMGS=23`.
    @Test("the hellohello submit example")
    func hellohelloSubmit() throws {
        let pdus = try SMSSubmitEncoder.encode(
            to: "+46708251358", text: "hellohello", options: SubmitOptions(validity: .relative(minutes: 4 * 24 * 60)))
        #expect(pdus.count == 1)
        #expect(pdus[0].hex == "0011000B916407281553F80000AA0AE8329BFD4697D9EC37")
        #expect(pdus[0].tpduLength == 23)
    }

    @Test("no validity, national number, explicit SMSC")
    func nationalWithSMSC() throws {
        let pdus = try SMSSubmitEncoder.encode(
            to: "0612345678", text: "Hi", options: SubmitOptions(smsc: "+33609001390"))
        // SMSC 07 91 3336091093F0 | 01 00 0A 81 6021436587 00 00 02 C834
        #expect(pdus[0].hex == "07913306091093F00100" + "0A816021436587" + "0000" + "02C834")
        #expect(pdus[0].tpduLength == 14)
    }

    @Test("first octet bits: RD, VPF, SRR, UDHI")
    func firstOctetBits() throws {
        let text = String(repeating: "a", count: 161)
        let pdus = try SMSSubmitEncoder.encode(
            to: "+33612345678", text: text,
            options: SubmitOptions(requestStatusReport: true, validity: .relative(minutes: 60), rejectDuplicates: true))
        let bytes = try Hex.decode(pdus[0].hex)
        // 0x01 | RD 0x04 | VPF relative 0x10 | SRR 0x20 | UDHI 0x40
        #expect(bytes[1] == 0x75)
    }

    @Test(arguments: [
        (SMSMessageClass?.none, SMSEncoding.gsm7, UInt8(0x00)),
        (SMSMessageClass.flash, .gsm7, 0x10), (SMSMessageClass.class1, .gsm7, 0x11),
        (SMSMessageClass?.none, .ucs2, 0x08), (SMSMessageClass.flash, .ucs2, 0x18), (SMSMessageClass.class2, .ucs2, 0x1A),
    ] as [(SMSMessageClass?, SMSEncoding, UInt8)])
    func dcs(messageClass: SMSMessageClass?, encoding: SMSEncoding, raw: UInt8) {
        let dcs = DataCodingScheme(encoding: encoding, messageClass: messageClass)
        #expect(dcs.rawValue == raw)
        #expect(DataCodingScheme(rawValue: raw) == dcs)
    }

    @Test(arguments: [
        (5, 0), (60, 11), (720, 143), (721, 144), (750, 144), (1440, 167), (1441, 168), (2880, 168),
        (43200, 196), (44640, 197), (50400, 197), (635040, 255),
    ] as [(Int, UInt8)])
    func relativeValidity(minutes: Int, octet: UInt8) throws {
        #expect(try ValidityPeriod.relativeOctet(minutes: minutes) == octet)
        #expect(ValidityPeriod.minutes(relativeOctet: octet) >= minutes)
    }

    @Test(arguments: ["", "abc", "+33 6 12 ab", "++336", "+", "123456789012345678901", "06\u{0}12"])
    func nonDialableNumberIsAnError(number: String) {
        #expect {
            _ = try SMSSubmitEncoder.encode(to: number, text: "x")
        } throws: { error in
            if case CodecError.invalidAddress = error { return true }
            return false
        }
    }

    @Test("multipart: IEI 00 header, reference, 153 septets per part with one fill bit")
    func multipartHeader() throws {
        let text = String(repeating: "x", count: 200)
        let pdus = try SMSSubmitEncoder.encode(to: "+33612345678", text: text, options: SubmitOptions(concatReference: 0x42))
        #expect(pdus.count == 2)
        for (i, pdu) in pdus.enumerated() {
            let b = try Hex.decode(pdu.hex)
            // 00 | 41 00 0B 91 3316325476F8 00 00 UDL | 05 00 03 42 02 0i
            #expect(b[1] == 0x41)
            #expect(Array(b[14...19]) == [0x05, 0x00, 0x03, 0x42, 0x02, UInt8(i + 1)])
            #expect(pdu.tpduLength == b.count - 1)
        }
        #expect(try Hex.decode(pdus[0].hex)[13] == 160)
        #expect(try Hex.decode(pdus[1].hex)[13] == 7 + 47)
    }
}
