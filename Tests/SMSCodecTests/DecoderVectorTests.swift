import Foundation
import Testing
@testable import SMSCodec

/// Published PDUs decoded field by field. Each vector was checked by hand against TS 23.040
/// before being written here.
@Suite("PDU decoding: published vectors (TS 23.040 §9.2.2)")
struct DecoderVectorTests {
    struct DeliverVector: Sendable, CustomTestStringConvertible {
        var source: String
        var hex: String
        var smsc: String?
        var originator: String
        var timestamp: Date
        var offset: Int
        var text: String
        var testDescription: String { source }
    }

    static let delivers: [DeliverVector] = [
        // dreamfabric.com/sms "SMS-DELIVER" example (also subnets.ru/saved/sms_pdu_format.html):
        // SMSC +27381000015, OA type C8 (not international) 27838890001, SCTS 99-03-29 15:16:59 +2h.
        DeliverVector(
            source: "dreamfabric hellohello deliver",
            hex: "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37",
            smsc: "+27381000015", originator: "27838890001", timestamp: instant(1999, 3, 29, 15, 16, 59, offsetMinutes: 120),
            offset: 120, text: "hellohello"),
        // faucamp/python-gsmmodem test/test_pdu.py test_decode.
        DeliverVector(
            source: "python-gsmmodem Test2",
            hex: "06917228195339040B917228214365F700003130805120618005D4F29C2E03",
            smsc: "+2782913593", originator: "+27821234567", timestamp: instant(2013, 3, 8, 15, 2, 16, offsetMinutes: 120),
            offset: 120, text: "Test2"),
        DeliverVector(
            source: "python-gsmmodem +8h time zone",
            hex: "07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06C9CB6132885EC6D341EDF27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E",
            smsc: "+85290000000", originator: "+85291234567", timestamp: instant(2007, 4, 12, 23, 25, 42, offsetMinutes: 480),
            offset: 480, text: "It is easy to read text messages via AT commands."),
        DeliverVector(
            source: "python-gsmmodem escape sequences",
            hex: "06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910",
            smsc: "+2782913593", originator: "+27821234567", timestamp: instant(2013, 3, 26, 13, 35, 25, offsetMinutes: 120),
            offset: 120, text: "@{tést}!"),
        DeliverVector(
            source: "python-gsmmodem UDH 1/1 part, short SMSC",
            hex: "0591721891F1400781721881F800003160526104848059050003C30101916536FB1DCABEEB2074D85E064941B19CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC024941B19CAB0603DDD36C36A88C87A7E565D0DB0D82C55EB0DB4B068BCD5C20",
            smsc: "+2781191", originator: "2781188", timestamp: instant(2013, 6, 25, 16, 40, 48, offsetMinutes: 120),
            offset: 120, text: "Hello!You have R 19.50 FREE airtime available. R 19.50 will expire on 01/07/2013. "),
    ]

    @Test(arguments: delivers)
    func deliver(_ v: DeliverVector) throws {
        let d = try #require(try PDUDecoder.decode(hex: v.hex).deliver)
        #expect(d.smsc == v.smsc)
        #expect(d.originator == v.originator)
        #expect(d.timestamp == v.timestamp)
        #expect(d.timeZoneOffsetMinutes == v.offset)
        #expect(d.text == v.text)
    }

    @Test("UDH with IEI 00, total 1: concatenation info reference 0xC3, 1 of 1")
    func concatenationOfOne() throws {
        let d = try #require(try PDUDecoder.decode(hex: Self.delivers[4].hex).deliver)
        #expect(d.concatenation == ConcatenationInfo(reference: 0xC3, total: 1, sequence: 1))
    }

    /// python-gsmmodem: SMS-SUBMIT read back, VP relative A9 = 3 days, TP-SRR, MR 0x0D.
    @Test("SMS-SUBMIT read back: www.diafaan.com")
    func submitReadBack() throws {
        let s = try #require(try PDUDecoder.decode(hex: "07911326040000F0310D0B911326880736F40000A90FF7FBDD454E87CDE1B0DB357EB701").submit)
        #expect(s.smsc == "+31624000000")
        #expect(s.destination == "+31628870634")
        #expect(s.messageReference == 13)
        #expect(s.statusReportRequested)
        #expect(!s.rejectDuplicates)
        #expect(s.validity == .relative(minutes: 3 * 24 * 60))
        #expect(s.text == "www.diafaan.com")
    }

    @Test("SMS-SUBMIT read back: UCS-2 あ叶葉")
    func submitUCS2() throws {
        let s = try #require(try PDUDecoder.decode(hex: "07914346466554F601000B914316565811F9000806304253F68449").submit)
        #expect(s.smsc == "+34646456456")
        #expect(s.destination == "+34616585119")
        #expect(s.encoding == .ucs2)
        #expect(s.text == "あ叶葉")
    }

    @Test("SMS-SUBMIT read back: 8-bit data")
    func submitEightBit() throws {
        let s = try #require(try PDUDecoder.decode(hex: "0591721891F101000B917228214365F700040C48656C6C6F20776F726C6421").submit)
        #expect(s.encoding == .eightBit)
        #expect(s.text == "Hello world!")
    }

    @Test("SMS-SUBMIT read back: absolute validity period")
    func submitAbsoluteValidity() throws {
        let s = try #require(try PDUDecoder.decode(hex: "0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301").submit)
        #expect(s.validity == .absolute(date: instant(2013, 7, 10, 13, 39, 0, offsetMinutes: 120), timeZoneOffsetMinutes: 120))
        #expect(s.text == "Timestamp validity test")
    }

    /// python-gsmmodem: a PDU whose TP-DA length (12) counts the 0xF filler; the filler is tolerated,
    /// the TP-UDL (160 octets of UCS-2) is not.
    @Test("UCS-2 with TP-UDL above 140 is refused")
    func ucs2TooLong() {
        #expect(throws: CodecError.invalidUserDataLength(udl: 160, reason: "more than 140 octets")) {
            _ = try PDUDecoder.decode(hex: "0041010C910661345542F60008A0050003000301306F3044")
        }
    }

    /// amro.blogspot.com/2007/09/receiving-sms-status-report-message.html (+CDS without SMSC; "00" prepended).
    @Test("status report: delivered, +2h time zone")
    func statusReportDelivered() throws {
        let r = try #require(try PDUDecoder.decode(hex: "00" + "06000B910221815716F2709021510121807090215101718000").statusReport)
        #expect(r.messageReference == 0)
        #expect(r.recipient == "+20121875612")
        #expect(r.serviceCentreTimestamp == instant(2007, 9, 12, 15, 10, 12, offsetMinutes: 120))
        #expect(r.dischargeTime == instant(2007, 9, 12, 15, 10, 17, offsetMinutes: 120))
        #expect(r.status == 0)
        #expect(r.delivered)
        #expect(r.statusMeaning == "short message received by the SME")
    }

    /// python-gsmmodem status report, reference 214.
    @Test("status report: reference 214")
    func statusReportReference() throws {
        let r = try #require(try PDUDecoder.decode(hex: "0006D60B911326880736F4111011719551401110117195714000").statusReport)
        #expect(r.messageReference == 214)
        #expect(r.recipient == "+31628870634")
        #expect(r.dischargeTime == instant(2011, 1, 11, 17, 59, 17, offsetMinutes: 60))
    }

    /// python-gsmmodem: a ZTE status report whose address holds a 0xB ('#') semi-octet.
    @Test("status report with '#' in the address decodes, not traps")
    func zteStatusReport() throws {
        let r = try #require(try PDUDecoder.decode(hex: "0297F1061C0F910B487228297020F5317062419272803170624192138000").statusReport)
        #expect(r.messageReference == 28)
        #expect(r.recipient == "+#08427829207025")
        #expect(r.serviceCentreTimestamp == instant(2013, 7, 26, 14, 29, 27, offsetMinutes: 120))
    }

    @Test(arguments: [
        (UInt8(0x00), "short message received by the SME", true), (0x21, "SME busy; SC still trying", false),
        (0x46, "SM validity period expired", false), (0x65, "error in SME; SC not making further attempts", false),
    ] as [(UInt8, String, Bool)])
    func statusMeanings(status: UInt8, meaning: String, delivered: Bool) {
        #expect(SMSStatusReport.meaning(of: status).meaning == meaning)
        #expect((SMSStatusReport.meaning(of: status).category == .completed) == delivered)
    }

    /// Address fields from python-gsmmodem TestSmsPduAddressFields, including alphanumeric senders.
    @Test(arguments: [
        ("0A918967452301", "+9876543210"), ("099189674523F1", "+987654321"), ("0B917228195339F4", "+27829135934"),
        ("06D061F118", "abc"), ("0ED04669D0397C26A7", "FRANCOIS"), ("14D0E10D6FE3DBA036A94D19", "a[]{}€"),
        ("0AA11092997856", "0129998765"),
    ])
    func addressField(hex: String, value: String) throws {
        var reader = ByteReader(try Hex.decode(hex))
        #expect(try AddressCodec.decodeTP(&reader, field: "TP-OA").value == value)
        #expect(reader.isAtEnd)
        if !value.hasPrefix("0") {
            #expect(Hex.encode(try AddressCodec.encodeOriginator(value)) == hex)
        }
    }

    @Test(arguments: [
        // (TZ octet, minutes). The octet is swapped BCD quarters, sign in bit 3: python-gsmmodem's
        // TestTimestamp has 0x80 = +2h, 0x23 = +8h, 0x2B = -8h; ±79 quarters is the largest value.
        (UInt8(0x80), 120), (0x2B, -480), (0x23, 480), (0x00, 0), (0x48, -60), (0x4A, -360), (0x97, 1185), (0x9F, -1185),
    ] as [(UInt8, Int)])
    func timeZoneQuarters(octet: UInt8, minutes: Int) throws {
        let decoded = try TimestampCodec.decode([0x51, 0x11, 0x72, 0, 0, 0, octet], field: "TP-SCTS")
        #expect(decoded.timeZoneOffsetMinutes == minutes)
        #expect(decoded.date == instant(2015, 11, 27, 0, 0, 0, offsetMinutes: minutes))
        #expect(try TimestampCodec.encode(decoded.date, timeZoneOffsetMinutes: minutes).last == octet)
    }

    @Test(arguments: [
        [UInt8(0x51), 0x31, 0x72, 0, 0, 0, 0], // month 13
        [0x51, 0x20, 0x03, 0, 0, 0, 0], // 30 February
        [0x51, 0x11, 0x72, 0x42, 0, 0, 0], // hour 24
        [0x5A, 0x11, 0x72, 0, 0, 0, 0], // BCD digit A
        [0x51, 0x11, 0x72, 0, 0, 0, 0xA0], // TZ units digit A
    ])
    func invalidTimestamp(octets: [UInt8]) {
        #expect(throws: CodecError.self) { _ = try TimestampCodec.decode(octets, field: "TP-SCTS") }
    }

    @Test("DCS groups: class, UCS-2, 8-bit, message waiting, reserved → GSM (TS 23.038 §4)")
    func dataCodingGroups() {
        let cases: [(UInt8, SMSEncoding, SMSMessageClass?, Bool)] = [
            (0x00, .gsm7, nil, false), (0x08, .ucs2, nil, false), (0x04, .eightBit, nil, false),
            (0x10, .gsm7, .class0, false), (0x19, .ucs2, .class1, false), (0x0C, .gsm7, nil, false),
            (0x48, .ucs2, nil, false), (0xF0, .gsm7, .class0, false), (0xF5, .eightBit, .class1, false),
            (0xC8, .gsm7, nil, true), (0xE0, .ucs2, nil, true), (0x80, .gsm7, nil, false),
        ]
        for (raw, encoding, messageClass, waiting) in cases {
            let dcs = DataCodingScheme(rawValue: raw)
            #expect(dcs.encoding == encoding, "DCS 0x\(String(raw, radix: 16))")
            #expect(dcs.messageClass == messageClass, "DCS 0x\(String(raw, radix: 16))")
            #expect(dcs.isMessageWaitingIndication == waiting, "DCS 0x\(String(raw, radix: 16))")
        }
    }

    @Test("compressed user data is refused")
    func compressed() throws {
        // The Test2 deliver with DCS 0x20 (general group, compressed, GSM).
        let hex = "06917228195339040B917228214365F700003130805120618005D4F29C2E03"
            .replacingOccurrences(of: "F70000", with: "F70020")
        #expect(throws: CodecError.compressedUserData(dataCodingScheme: 0x20)) { _ = try PDUDecoder.decode(hex: hex) }
    }

    @Test("TP-MTI 11 is refused")
    func reservedMessageType() {
        #expect(throws: CodecError.unsupportedMessageType(firstOctet: 0x43)) {
            _ = try PDUDecoder.decode(hex: "0043010C910661345542F60008A0050003000301306F3044")
        }
    }

    @Test(arguments: ["", "0", "AFSDSDF LJJFKLDJKLFJ", "0G", "00 11"])
    func invalidHex(text: String) {
        #expect(throws: CodecError.self) { _ = try PDUDecoder.decode(hex: text) }
    }
}

@Suite("SMS-SUBMIT encoding: published vectors")
struct SubmitVectorTests {
    /// python-gsmmodem test_encodeSmsSubmit: default options, "Hello World!".
    @Test func helloWorld() throws {
        let pdus = try SMSSubmitEncoder.encode(to: "+27820001111", text: "Hello World!")
        #expect(pdus.map(\.hex) == ["0001000B917228001011F100000CC8329BFD065DDF72363904"])
        #expect(pdus[0].tpduLength == 24)
    }

    /// python-gsmmodem: UCS-2 with a 52-week validity and an explicit SMSC.
    @Test func ucs2WithSMSCAndValidity() throws {
        let pdus = try SMSSubmitEncoder.encode(
            to: "+123456789", text: "世界您好！",
            options: SubmitOptions(validity: .relative(minutes: 52 * 7 * 24 * 60), smsc: "+44000000000"))
        #expect(pdus.map(\.hex) == ["07914400000000F01100099121436587F90008F40A4E16754C60A8597DFF01"])
    }

    /// python-gsmmodem: absolute validity 2013-07-10 13:39 +02:00.
    @Test func absoluteValidity() throws {
        let pdus = try SMSSubmitEncoder.encode(
            to: "+27820001111", text: "Timestamp validity test",
            options: SubmitOptions(validity: .absolute(date: instant(2013, 7, 10, 13, 39, 0, offsetMinutes: 120), timeZoneOffsetMinutes: 120)))
        #expect(pdus.map(\.hex) == ["0019000B917228001011F100003170013193008017D474BB3CA787DB70903DCC4E93D3F43C885E9ED301"])
    }

    /// python-gsmmodem test_encodeSmsSubmit_concatenated: three GSM parts, TP-RD, reference 0,
    /// IEI 00 header and one fill bit — byte for byte.
    @Test func concatenatedLoremIpsum() throws {
        let text = "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.Ut enim ad minim veniam, quinostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.Duis aute irure dolor in reprehenderit in voluptate velit esse cillum doloe eu fugiat nulla pariatur.Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum"
        let pdus = try SMSSubmitEncoder.encode(to: "+15125551234", text: text, options: SubmitOptions(rejectDuplicates: true))
        #expect(pdus.map(\.hex) == [
            "0045000B915121551532F40000A0050003000301986F79B90D4AC3E7F53688FC66BFE5A0799A0E0AB7CB741668FC76CFCB637A995E9783C2E4343C3D4F8FD3EE33A8CC4ED359A079990C22BF41E5747DDE7E9341F4721BFE9683D2EE719A9C26D7DD74509D0E6287C56F791954A683C86FF65B5E06B5C36777181466A7E3F5B0AB4A0795DDE936284C06B5D3EE741B642FBBD3E1360B14AFA7DD",
            "0045000B915121551532F40000A0050003000302DE73BABC4E0695F165F9384D0FD3D36F37A8CE6687DBE337881D16BFE5E939C89D9EA741753A28CC4EC7EB6938A88C0795C3A0F1BBDD7E93DFA0F1DB3D2FC7EB61BA8B584FCF41E13ABD0C4ACBEBF23288FC66BFE5A0B41B242FC3E56574D94D2ECBD37450DA0DB2BFD975383D4C2F83EC65769A0E2ACFE765D038CD66D7DB20F29BFD2E83CA",
            "0045000B915121551532F400008C050003000303EA2073FD9C0ED341EE3A9B1D06C1C3F274985E97BB8AF871194E2FD7E5A079DA4D07BDC7E370791CA683C675789A1CA687E920F7DB0D82CBDF6972D94D6781E675371D947683C675363C0C8AD7D3A0B7D99C1EA7C32072795E96D7DD7450FBCD66A7E9A0B03BDD06A5C9A0F29C0E6287C56F79BD0D",
        ])
    }
}

@Suite("Bare TPDU without the SMSC field")
struct BareTPDUTests {
    /// amro.blogspot.com's +CDS status report, as the modem gave it (no SMSC field).
    @Test func bareStatusReport() throws {
        let bare = try PDUDecoder.decode(hex: "06000B910221815716F2709021510121807090215101718000", includesSMSC: false)
        let prefixed = try PDUDecoder.decode(hex: "0006000B910221815716F2709021510121807090215101718000")
        #expect(bare == prefixed)
    }
}

@Suite("SMS-DELIVER coding groups")
struct DeliverCodingTests {
    @Test("a flash SMS decodes with class 0")
    func flash() throws {
        let hex = try SMSDeliverEncoder.encode(
            from: "+33612345678", plan: SegmentPlanner.plan("Alerte"), timestamp: instant(2026, 1, 2, 3, 4, 5),
            messageClass: .flash)
        let d = try #require(try PDUDecoder.decode(hex: hex[0]).deliver)
        #expect(d.messageClass == .class0)
        #expect(d.dataCoding.rawValue == 0x10)
        #expect(d.text == "Alerte")
    }

    @Test("8-bit data is kept as the payload")
    func eightBit() throws {
        // DCS F5: data coding/message class group, 8-bit, class 1 (TS 23.038 §4).
        let hex = "00" + "04" + "0B913316325476F8" + "00F5" + "62102130405000" + "03" + "00FF7F"
        let d = try #require(try PDUDecoder.decode(hex: hex).deliver)
        #expect(d.encoding == .eightBit)
        #expect(d.messageClass == .class1)
        #expect(d.payload == [0x00, 0xFF, 0x7F])
    }

    @Test("a message waiting indication (DCS 0xC8) decodes as GSM text")
    func messageWaiting() throws {
        let hex = "00" + "04" + "0B913316325476F8" + "00C8" + "62102130405000" + "02" + "C834"
        let d = try #require(try PDUDecoder.decode(hex: hex).deliver)
        #expect(d.dataCoding.isMessageWaitingIndication)
        #expect(d.text == "Hi")
    }

    @Test("an unknown national language in the UDH is an error, not a guess")
    func unknownLanguage() throws {
        // UDH 03 25 01 06: locking shift table 6 (Hindi), not supported.
        let hex = "00" + "44" + "0B913316325476F8" + "0000" + "62102130405000" + "07" + Hex.encode([0x03, 0x25, 0x01, 0x06] + Septets.pack([0x41, 0x42], fillBits: 3))
        #expect(throws: CodecError.unsupportedNationalLanguage(identifier: 6, lockingShift: true)) {
            _ = try PDUDecoder.decode(hex: hex)
        }
    }
}
