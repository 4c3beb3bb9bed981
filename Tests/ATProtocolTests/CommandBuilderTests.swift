import ATProtocol
import Testing

@Suite("Command builders: nothing from user data can reach the modem unescaped")
struct CommandBuilderTests {
    /// Bytes that end a line, end a string, submit or abort a PDU.
    static let dangerous: [UInt8] = [0x0D, 0x0A, 0x22, 0x1A, 0x1B]

    static func assertSafe(_ command: ATCommand) {
        #expect(!command.line.utf8.contains { dangerous.contains($0) && $0 != 0x22 })
        #expect(command.bytes.last == 0x0D)
        #expect(command.bytes.filter { $0 == 0x0D }.count == 1)
    }

    @Test("a PIN with injection is refused", arguments: ["12\"34", "1234\r", "1234\u{1A}", "12345\"\rAT+CPIN=\"0000", "abcd", "123", "123456789", ""])
    func pin(value: String) {
        #expect(throws: ATCommandError.self) { try ATCommand.enterPIN(value) }
    }

    @Test("a good PIN is quoted")
    func goodPIN() throws {
        let command = try ATCommand.enterPIN("0000")
        #expect(command.line == "AT+CPIN=\"0000\"")
        Self.assertSafe(command)
    }

    @Test("a service centre with injection is refused", arguments: ["+33\"6", "+336\r", "+33\u{1A}", "+33 6", "abc", "", "+"])
    func serviceCentre(value: String) {
        #expect(throws: ATCommandError.self) { try ATCommand.setServiceCentre(value) }
    }

    @Test("a service centre is written with its type")
    func goodServiceCentre() throws {
        #expect(try ATCommand.setServiceCentre("+33609001390").line == "AT+CSCA=\"+33609001390\",145")
        #expect(try ATCommand.setServiceCentre("0609001390").line == "AT+CSCA=\"0609001390\",129")
    }

    @Test("a PDU must be hex digits: no Ctrl-Z, ESC, CR or quote inside", arguments: ["00\u{1A}11", "0011\r", "00\u{1B}1", "00\"1", "0G", "001", ""])
    func pdu(value: String) {
        #expect(throws: ATCommandError.self) { try ATCommand.pduPayload(value) }
    }

    @Test("a PDU payload ends with exactly one Ctrl-Z")
    func pduPayload() throws {
        let payload = try ATCommand.pduPayload("0011AB")
        #expect(payload == Array("0011AB".utf8) + [0x1A])
    }

    @Test("raw commands refuse line breaks and control characters", arguments: ["AT+CSQ\rAT+CMGD=1,4", "AT\n", "AT+CMGS=5\u{1A}", "AT\u{1B}", "ATé", "+CSQ", ""])
    func raw(value: String) {
        #expect(throws: ATCommandError.self) { try ATCommand.raw(value) }
    }

    @Test("raw commands keep quotes the person wrote")
    func rawQuotes() throws {
        let command = try ATCommand.raw("AT+CPMS=\"SM\",\"SM\",\"SM\"")
        #expect(command.line == "AT+CPMS=\"SM\",\"SM\",\"SM\"")
        #expect(try ATCommand.raw("AT+CMGS=20").expectsPrompt)
    }

    @Test("quoted strings refuse quotes, backslashes and control characters", arguments: ["a\"b", "a\\b", "a\rb", "\u{1A}"])
    func quoted(value: String) {
        #expect(throws: ATCommandError.self) { try ATCommand.quoted(value, field: "text") }
    }

    @Test("storage names are two capital letters", arguments: [["SM\""], ["S"], ["sm"], ["SM", "ME", "MT", "BM"], []])
    func storage(value: [String]) {
        #expect(throws: ATCommandError.self) { try ATCommand.selectStorage(value) }
    }

    @Test("numeric parameters are range-checked")
    func ranges() throws {
        #expect(throws: ATCommandError.self) { try ATCommand.sendPDU(tpduLength: 0) }
        #expect(throws: ATCommandError.self) { try ATCommand.sendPDU(tpduLength: 256) }
        #expect(throws: ATCommandError.self) { try ATCommand.readMessage(index: -1) }
        #expect(throws: ATCommandError.self) { try ATCommand.deleteMessage(index: 1, flag: 5) }
        #expect(throws: ATCommandError.self) { try ATCommand.newMessageIndications([2, 1, 0, 9, 0]) }
        #expect(try ATCommand.sendPDU(tpduLength: 23).line == "AT+CMGS=23")
        #expect(try ATCommand.newMessageIndications([2, 1, 0, 2, 0]).line == "AT+CNMI=2,1,0,2,0")
    }
}

@Suite("CME/CMS table")
struct ErrorCatalogueTests {
    @Test("codes map to their meanings (TS 27.007 §9.2, TS 27.005 §3.2.5)", arguments: [
        (ATErrorCatalogue.Table.cme, 10, "SIM not inserted"), (.cme, 16, "incorrect password"), (.cme, 14, "SIM busy"),
        (.cms, 500, "unknown error"), (.cms, 330, "SMSC address unknown"), (.cms, 322, "memory full"), (.cms, 38, "network out of order"),
        (.cms, 304, "invalid PDU mode parameter"), (.cme, 9999, "unknown error 9999"), (.cms, 60, "network error (RP cause 60)"),
    ])
    func meanings(table: ATErrorCatalogue.Table, code: Int, meaning: String) {
        #expect(ATErrorCatalogue.meaning(of: code, in: table) == meaning)
    }

    @Test("verbose texts map back to codes")
    func verbose() {
        #expect(ATErrorCatalogue.code(forMeaning: "SIM PUK required", in: .cme) == 12)
        #expect(ATErrorCatalogue.code(forMeaning: "memory full", in: .cms) == 322)
        #expect(ATErrorCatalogue.code(forMeaning: "nonsense", in: .cms) == nil)
    }

    @Test("temporary errors are told apart from permanent ones")
    func temporary() {
        #expect(ATErrorCatalogue.isTemporary(38, in: .cms))
        #expect(ATErrorCatalogue.isTemporary(14, in: .cme))
        #expect(!ATErrorCatalogue.isTemporary(1, in: .cms))
        #expect(!ATErrorCatalogue.isTemporary(16, in: .cme))
    }
}
