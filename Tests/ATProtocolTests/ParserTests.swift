import ATProtocol
import Testing

@Suite("Typed response parsers")
struct ParserTests {
    @Test("+CSQ to dBm (TS 27.007 §8.5)", arguments: [
        ("+CSQ: 0,99", -113 as Int?), ("+CSQ: 1,0", -111), ("+CSQ: 20,99", -73), ("+CSQ: 31,7", -51),
        ("+CSQ: 99,99", nil), ("+CSQ: 100,99", -116), ("+CSQ: 191,99", -25),
    ])
    func signal(line: String, dBm: Int?) throws {
        let quality = try #require(SignalQuality.parse(line))
        #expect(quality.dBm == dBm)
    }

    @Test("+CSQ rejects out-of-range and malformed values", arguments: ["+CSQ: 32,99", "+CSQ: -1,0", "+CSQ: x,y", "+CSQ: 20", "+CREG: 1,1", ""])
    func signalMalformed(line: String) {
        #expect(SignalQuality.parse(line) == nil)
    }

    @Test("registration read responses in every form", arguments: [
        ("+CREG: 0,1", RegistrationStatus(domain: .cs, state: .home)),
        ("+CREG: 2,5,\"1A2B\",\"3C4D\"", RegistrationStatus(domain: .cs, state: .roaming, areaCode: "1A2B", cellID: "3C4D")),
        ("+CREG: 2,1,\"1A2B\",\"3C4D\",7", RegistrationStatus(domain: .cs, state: .home, areaCode: "1A2B", cellID: "3C4D", accessTechnology: 7)),
        ("+CGREG: 1,2", RegistrationStatus(domain: .gprs, state: .searching)),
        ("+CEREG: 2,1,\"1A2B\",\"01C3D4E5\",7", RegistrationStatus(domain: .eps, state: .home, areaCode: "1A2B", cellID: "01C3D4E5", accessTechnology: 7)),
        ("+CREG: 2,1, 00C3, 0000DAC4", RegistrationStatus(domain: .cs, state: .home, areaCode: "00C3", cellID: "0000DAC4")),
        ("+CEREG: 0,3", RegistrationStatus(domain: .eps, state: .denied)),
    ])
    func registrationQuery(line: String, expected: RegistrationStatus) {
        #expect(RegistrationStatus.parseQueryResponse(line) == expected)
    }

    @Test("registration URCs (no <n>)", arguments: [
        ("+CREG: 1", RegistrationStatus(domain: .cs, state: .home)),
        ("+CREG: 5,\"1A2B\",\"3C4D\",0", RegistrationStatus(domain: .cs, state: .roaming, areaCode: "1A2B", cellID: "3C4D", accessTechnology: 0)),
        ("+CGREG: 0", RegistrationStatus(domain: .gprs, state: .notRegistered)),
        ("+CEREG: 1,\"1A2B\",\"01C3D4E5\",7", RegistrationStatus(domain: .eps, state: .home, areaCode: "1A2B", cellID: "01C3D4E5", accessTechnology: 7)),
    ])
    func registrationURC(line: String, expected: RegistrationStatus) {
        #expect(RegistrationStatus.parseUnsolicited(line) == expected)
    }

    @Test("registration: registered states", arguments: [
        (RegistrationStatus.State.home, true), (.roaming, true), (.smsOnlyHome, true), (.smsOnlyRoaming, true),
        (.notRegistered, false), (.searching, false), (.denied, false), (.unknown, false), (.emergencyOnly, false),
    ])
    func registered(state: RegistrationStatus.State, expected: Bool) {
        #expect(RegistrationStatus(domain: .cs, state: state).isRegistered == expected)
    }

    @Test("+CPIN codes (TS 27.007 §8.3)", arguments: [
        ("+CPIN: READY", SIMStatus.ready), ("+CPIN: SIM PIN", .pinRequired), ("+CPIN: SIM PUK", .pukRequired),
        ("+CPIN: \"SIM PIN\"", .pinRequired), ("+CPIN: SIM PIN2", .pin2Required), ("+CPIN: SIM PUK2", .puk2Required),
        ("+CPIN: PH-SIM PIN", .locked("PH-SIM PIN")), ("+CPIN: NOT INSERTED", .notInserted),
    ])
    func simStatus(line: String, expected: SIMStatus) {
        #expect(SIMStatus.parse(line) == expected)
    }

    @Test("PIN retry counters, standard and vendor", arguments: [
        (["+CPINR: SIM PIN,3,3", "+CPINR: SIM PUK,10,10", "+CPINR: SIM PIN2,3,3"], PINRetries(pin: 3, puk: 10)),
        (["^CPIN: SIM PIN,2,10,2,10,3"], PINRetries(pin: 2, puk: 10)),
        (["^CPIN: READY,,10,3,10,3"], PINRetries(pin: 3, puk: 10)),
        (["+QPINC: \"SC\",1,10", "+QPINC: \"P2\",3,10"], PINRetries(pin: 1, puk: 10)),
        (["+SPIC: 3,10,3,10"], PINRetries(pin: 3, puk: 10)),
    ])
    func pinRetries(lines: [String], expected: PINRetries) {
        #expect(PINRetries.parse(lines) == expected)
    }

    @Test("no retry counter in unrelated lines")
    func pinRetriesAbsent() {
        #expect(PINRetries.parse(["+CPIN: READY", "OK"]) == nil)
    }

    @Test("+CPMS read and set forms (TS 27.005 §3.2.2)")
    func storage() throws {
        let read = try #require(StorageUsage.parse("+CPMS: \"SM\",3,30,\"ME\",0,100,\"SM\",3,30"))
        #expect(read.read == .init(storage: "SM", used: 3, total: 30))
        #expect(read.write == .init(storage: "ME", used: 0, total: 100))
        #expect(read.receive?.free == 27)
        let set = try #require(StorageUsage.parse("+CPMS: 3,30,3,30,3,30"))
        #expect(set.read == .init(storage: nil, used: 3, total: 30))
        #expect(StorageUsage.parse("+CPMS: \"SM\",3") == nil)
    }

    @Test("+CSCA forms", arguments: [
        ("+CSCA: \"+33689004000\",145", "+33689004000" as String?), ("+CSCA: \"33689004000\",145", "+33689004000"),
        ("+CSCA: \"0689004000\",129", "0689004000"), ("+CSCA: \"\",129", nil),
        ("+CSCA: \"002B00330033003600380039003000300034003000300030\",145", "+33689004000"),
    ])
    func serviceCentre(line: String, expected: String?) {
        #expect(ModemInfoParsers.serviceCentre(line) == expected)
    }

    @Test("+CNUM forms (TS 27.007 §7.1)")
    func ownNumber() {
        #expect(ModemInfoParsers.ownNumbers(["+CNUM: \"Own\",\"+33600000001\",145"]) == ["+33600000001"])
        #expect(ModemInfoParsers.ownNumbers(["+CNUM: ,\"33600000001\",145", "+CNUM: \"Fax\",\"0600000002\",129"]) == ["+33600000001", "0600000002"])
        #expect(ModemInfoParsers.ownNumbers(["+CNUM: ,\"\",129"]).isEmpty)
    }

    @Test("ICCID from every family's command", arguments: [
        ("+CCID: 8933019876543210123", "8933019876543210123"),
        ("8933019876543210123", "8933019876543210123"),
        ("+QCCID: 8933019876543210123F", "8933019876543210123"),
        ("+ICCID: 89330198765432101234", "89330198765432101234"),
        ("^ICCID: 983310896745230121F3", "8933019876543210123"),
        ("+CRSM: 144,0,\"983310896745230121F3\"", "8933019876543210123"),
    ])
    func iccid(line: String, expected: String) {
        #expect(ModemInfoParsers.iccid(ATResponse(lines: [line], final: .ok)) == expected)
    }

    @Test("ICCID absent: SIM file not found, or not an ICCID", arguments: ["+CRSM: 106,130", "+CCID: 1234", "ERROR"])
    func iccidAbsent(line: String) {
        #expect(ModemInfoParsers.iccid(ATResponse(lines: [line], final: .ok)) == nil)
    }

    @Test("identity values, prefixed, bare or labelled", arguments: [
        (["+CGMI: \"Quectel\""], "+CGMI", "Quectel"), (["huawei"], "+CGMI", "huawei"),
        (["Manufacturer: huawei"], "+CGMI", "huawei"), (["+CGMM: EC25"], "+CGMM", "EC25"),
        (["Revision: 1418B04SIM800L24"], "+CGMR", "1418B04SIM800L24"),
    ])
    func identityValue(lines: [String], prefix: String, expected: String) {
        #expect(ModemInfoParsers.identityValue(ATResponse(lines: lines, final: .ok), prefix: prefix) == expected)
    }

    @Test("IMEI and IMSI are digits of the right length")
    func imeiIMSI() {
        #expect(ModemInfoParsers.imei(ATResponse(lines: ["356938035643809"], final: .ok)) == "356938035643809")
        #expect(ModemInfoParsers.imei(ATResponse(lines: ["+CGSN: \"356938035643809\""], final: .ok)) == "356938035643809")
        #expect(ModemInfoParsers.imei(ATResponse(lines: ["not-an-imei"], final: .ok)) == nil)
        #expect(ModemInfoParsers.imsi(ATResponse(lines: ["208019876543210"], final: .ok)) == "208019876543210")
    }

    @Test("+CMGS message reference (TS 27.005 §3.5.1)")
    func messageReference() {
        #expect(ModemInfoParsers.messageReference(["+CMGS: 17"]) == 17)
        #expect(ModemInfoParsers.messageReference(["+CMGS: 255,\"24/01/01,10:00:00+04\""]) == 255)
        #expect(ModemInfoParsers.messageReference(["+CMGS: 256"]) == nil)
        #expect(ModemInfoParsers.messageReference([]) == nil)
    }

    @Test("+CMGL in PDU mode: pairs of header and PDU; malformed entries are rejected, not fatal")
    func list() {
        let lines = [
            "+CMGL: 0,1,,23", "07913386094000F0040B913386893214F00000", "+CMGL: 3,0,\"\",24", "0791AB",
            "+CMGL: x,0,,5", "+CMGL: 4,0,,5",
        ]
        let (messages, rejected) = StoredMessage.parseList(lines)
        #expect(messages == [
            StoredMessage(index: 0, status: .receivedRead, length: 23, pduHex: "07913386094000F0040B913386893214F00000"),
            StoredMessage(index: 3, status: .receivedUnread, length: 24, pduHex: "0791AB"),
        ])
        #expect(rejected == ["+CMGL: x,0,,5", "+CMGL: 4,0,,5"])
    }

    @Test("+CMGR in PDU mode; an empty slot is nil")
    func read() {
        #expect(StoredMessage.parseRead(["+CMGR: 1,,23", "0791AB"], index: 5) == StoredMessage(index: 5, status: .receivedRead, length: 23, pduHex: "0791AB"))
        #expect(StoredMessage.parseRead([], index: 5) == nil)
        #expect(StoredMessage.parseRead(["+CMGR: 0,,0"], index: 5) == nil)
    }

    @Test("fields: quotes protect commas, spaces around values are dropped")
    func fields() {
        let (name, fields) = ATFields.split("+COPS: 0,0,\"Orange, F\" ,7")
        #expect(name == "+COPS")
        #expect(fields.map(\.value) == ["0", "0", "Orange, F", "7"])
        #expect(fields.map(\.quoted) == [false, false, true, false])
    }
}
