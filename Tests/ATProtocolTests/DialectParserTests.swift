import ATProtocol
import Testing

/// The parsers on the answers of the dialects in issue 10 (Wavecom, PIN-first sticks, phones).
@Suite("dialect answers")
struct DialectParserTests {
    @Test("identity answers with a leading space (Wavecom) are trimmed", arguments: [
        ([" WAVECOM MODEM"], "+CGMI", "WAVECOM MODEM"),
        ([" MULTIBAND  900E  1800"], "+CGMM", "MULTIBAND  900E  1800"),
        ([" 012345678901237"], "+CGSN", "012345678901237"),
    ])
    func leadingSpace(lines: [String], prefix: String, expected: String) {
        #expect(ModemInfoParsers.identityValue(ATResponse(lines: lines, final: .ok), prefix: prefix) == expected)
    }

    @Test("an IMEI after a space is still an IMEI")
    func imeiAfterSpace() {
        #expect(ModemInfoParsers.imei(ATResponse(lines: [" 012345678901237"], final: .ok)) == "012345678901237")
    }

    @Test("Wavecom +CPINC counters: PIN1, PIN2, PUK1, PUK2")
    func wavecomCounters() {
        #expect(PINRetries.parse(["+CPINC: 2,3,10,10"]) == PINRetries(pin: 2, puk: 10))
        #expect(PINRetries.parse(["+CPINC: 3"]) == nil)
    }

    @Test("a phone's +CPMS without any memory is no storage usage")
    func emptyStorage() {
        #expect(StorageUsage.parse("+CPMS: ,,,,,,,,") == nil)
        #expect(StorageUsage.parse("+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30")?.read.storage == "SM")
    }

    @Test("+CME ERROR: 515 has a meaning and is worth retrying")
    func cme515() {
        guard case .cmeError(let detail)? = ATFinalResult.parse("+CME ERROR: 515") else {
            Issue.record("not a CME error")
            return
        }
        #expect(detail.code == 515)
        #expect(detail.meaning == "please wait, init or command processing in progress")
        #expect(ATErrorCatalogue.isTemporary(515, in: .cme))
    }

    @Test("the Wavecom counter command is among those tried")
    func counterCommands() {
        #expect(ATCommand.pinRetryCommands.map(\.line).contains("AT+CPINC"))
    }
}
