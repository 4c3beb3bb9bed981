import Foundation
import Testing
@testable import Simulator

@Suite("text mode and SIM initialisation")
struct TextModeTests {
    @Test("vendor profiles send in text mode: number, prompt per line, Ctrl-Z", arguments: [ModemProfile.huawei, .simcom, .quectel])
    func sendText(profile: ModemProfile) async throws {
        let (modem, wire) = try await connect(profile)
        try await wire.command("AT+CMGF=1")
        try await wire.send("AT+CMGS=\"+33612345678\"\r")
        #expect(try await wire.read(until: "> ") == "\r\n> ")
        try await wire.send("Bonjour\r")
        #expect(try await wire.read(until: "> ") == "\r\n> ")
        try await wire.sendBytes(Array("STOP au 36180".utf8) + [0x1A])
        #expect(try await wire.read(until: "OK\r\n") == "\r\n+CMGS: 0\r\n\r\nOK\r\n")
        #expect(await modem.submitted.first?.text == "Bonjour\nSTOP au 36180")
        #expect(await modem.submitted.first?.number == "+33612345678")
    }

    @Test("text mode lists and reads with status names, originator and time stamp")
    func listText() async throws {
        let (modem, wire) = try await connect(.simcom, configure: { $0.clock = { Date(timeIntervalSince1970: 1_790_000_000) } })
        try await modem.injectInbound(from: "+33612345678", text: "Stop !")
        try await wire.command("AT+CMGF=1")
        let listed = try await wire.command("AT+CMGL=\"ALL\"")
        #expect(listed == "\r\n+CMGL: 1,\"REC UNREAD\",\"+33612345678\",,\"26/09/21,15:13:20+04\"\r\nStop !\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+CMGR=1") == "\r\n+CMGR: \"REC READ\",\"+33612345678\",,\"26/09/21,15:13:20+04\"\r\nStop !\r\n\r\nOK\r\n")
    }

    @Test("after the PIN the SIM is busy for a while (CMS 314), then announces it is ready")
    func simBusyAfterPIN() async throws {
        let (_, wire) = try await connect(.simcom, configure: {
            // Long enough that both commands below land while it is busy, even on a loaded machine.
            $0.pin = "1234"; $0.simInitialisation = .seconds(2); $0.bootURCs = true
        })
        try await wire.command("AT+CMEE=1")
        try await wire.command("AT+CPIN=\"1234\"")
        #expect(try await wire.command("AT+CPMS?", final: "314\r\n") == "\r\n+CMS ERROR: 314\r\n")
        #expect(try await wire.command("AT+CIMI", final: "14\r\n") == "\r\n+CME ERROR: 14\r\n")
        #expect(try await wire.read(until: "SMS Ready\r\n") == "\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n")
        #expect(try await wire.command("AT+CPMS?").hasPrefix("\r\n+CPMS: \"SM\",0,30"))
    }
}
