import Foundation
import SMSCodec
import Testing
@testable import Simulator

@Suite("faults")
struct FaultTests {
    @Test("no reply: the command is swallowed, the next one is answered")
    func noReply() async throws {
        let (modem, wire) = try await connect()
        await modem.inject(fault: .noReply)
        try await wire.send("AT+CSQ\r")
        #expect(try await wire.command("AT") == "\r\nOK\r\n")
    }

    @Test("late: the answer is held back and comes just before the next command's")
    func late() async throws {
        let (modem, wire) = try await connect()
        await modem.inject(fault: .late, command: "+CSQ")
        try await wire.send("AT+CSQ\r")
        await modem.settle()
        #expect(await wire.take() == "")
        #expect(try await wire.command("AT+CPMS?") == "\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
        #expect(try await wire.read(until: "\r\nOK\r\n").hasPrefix("\r\n+CPMS: "))
    }

    @Test("chosen final results", arguments: [
        (SimulatorFault.error, "\r\nERROR\r\n"), (.cme(100), "\r\n+CME ERROR: 100\r\n"), (.cms(500), "\r\n+CMS ERROR: 500\r\n"),
    ])
    func finalResults(fault: SimulatorFault, answer: String) async throws {
        let (modem, wire) = try await connect()
        try await wire.command("AT+CMEE=1")
        await modem.inject(fault: fault)
        #expect(try await wire.command("AT+CSQ", final: answer) == answer)
        #expect(try await wire.command("AT") == "\r\nOK\r\n")
    }

    @Test("CMS errors on AT+CMGS come after the PDU, like the network's refusal", arguments: [500, 330, 38, 304])
    func cmsOnSend(code: Int) async throws {
        let (modem, wire) = try await connect()
        await modem.inject(fault: .cms(code), command: "+CMGS")
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Hi").first)
        #expect(try await submit(pdu, on: wire, final: "\(code)\r\n") == "\r\n+CMS ERROR: \(code)\r\n")
        #expect(await modem.submitted.isEmpty)
        #expect(try await submit(pdu, on: wire) == "\r\n+CMGS: 0\r\n\r\nOK\r\n")
    }

    @Test("sticky faults stay until cleared")
    func sticky() async throws {
        let (modem, wire) = try await connect()
        await modem.inject(fault: .error, command: "+CSQ", persistence: .sticky)
        try await wire.command("AT+CSQ", final: "ERROR\r\n")
        try await wire.command("AT+CSQ", final: "ERROR\r\n")
        await modem.clearFaults()
        #expect(try await wire.command("AT+CSQ") == "\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
    }

    @Test("garbage bytes before the answer")
    func garbage() async throws {
        let (modem, wire) = try await connect()
        await modem.inject(fault: .garbage([0xFF, 0x00, 0x41, 0xFE]))
        let answer = try await wire.command("AT")
        #expect(Array(answer.utf8.prefix(2)) != [0x0D, 0x0A])
        #expect(answer.hasSuffix("\r\nOK\r\n"))
    }

    @Test("a URC in the middle of a multi-line answer")
    func urcMidResponse() async throws {
        let (modem, wire) = try await connect()
        try await modem.injectInbound(from: "+33612345678", text: "a")
        await modem.inject(fault: .urcMidResponse("+CMTI: \"SM\",7"))
        let answer = try await wire.command("AT+CMGL=4")
        #expect(answer.hasPrefix("\r\n+CMGL: 1,0,,"))
        let lines = answer.split(separator: "\r\n", omittingEmptySubsequences: false)
        #expect(lines[2] == "")
        #expect(lines[3] == "+CMTI: \"SM\",7")
        #expect(answer.hasSuffix("\r\nOK\r\n"))
    }

    @Test("no reply after submit: the message left, the answer never comes")
    func ambiguousWindow() async throws {
        let (modem, wire) = try await connect()
        await modem.inject(fault: .noReplyAfterSubmit, command: "+CMGS")
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Hi").first)
        try await wire.send("AT+CMGS=\(pdu.tpduLength)\r")
        try await wire.read(until: "> ")
        try await wire.sendBytes(Array(pdu.hex.utf8) + [0x1A])
        #expect(try await wire.command("AT") == "\r\nOK\r\n")
        #expect(await modem.submitted.count == 1)
    }

    @Test("a hung port takes bytes and says nothing until cleared")
    func hang() async throws {
        let (modem, wire) = try await connect()
        await modem.inject(fault: .hang)
        try await wire.send("AT\r")
        await modem.settle()
        #expect(await wire.take() == "")
        await modem.clearFaults()
        #expect(try await wire.command("AT") == "\r\nOK\r\n")
    }

    @Test("unplug finishes the host's stream and writes fail; a new connection finds a rebooted modem")
    func unplug() async throws {
        let (modem, wire) = try await connect(configure: { $0.pin = "1234" })
        try await wire.command("AT+CPIN=\"1234\"")
        await modem.inject(fault: .unplug)
        try await wire.waitForEnd()
        await #expect(throws: SimulatorTransportError.self) { try await wire.send("AT\r") }
        let again = HostWire(await modem.connectInMemory())
        await again.start()
        #expect(try await again.command("AT+CPIN?") == "AT+CPIN?\r\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n")
    }

    @Test("unplug triggered by a command (mid-send)")
    func unplugOnCommand() async throws {
        let (modem, wire) = try await connect()
        await modem.inject(fault: .unplug, command: "+CSQ")
        try await wire.send("AT+CSQ\r")
        try await wire.waitForEnd()
    }

    @Test("an agent reconnecting keeps the modem's state")
    func reconnectKeepsState() async throws {
        let (modem, wire) = try await connect(configure: { $0.pin = "1234" })
        try await wire.command("AT+CPIN=\"1234\"")
        await wire.transport.close()
        let again = HostWire(await modem.connectInMemory())
        await again.start()
        #expect(try await again.command("AT+CPIN?") == "\r\n+CPIN: READY\r\n\r\nOK\r\n")
    }

    @Test("a URC right after the > prompt, while the PDU is being typed")
    func urcAfterPrompt() async throws {
        let (modem, wire) = try await connect()
        await modem.inject(fault: .urcMidResponse("+CMTI: \"SM\",3"), command: "+CMGS")
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Hi").first)
        try await wire.send("AT+CMGS=\(pdu.tpduLength)\r")
        #expect(try await wire.read(until: "+CMTI: \"SM\",3\r\n") == "\r\n> \r\n+CMTI: \"SM\",3\r\n")
        try await wire.sendBytes(Array(pdu.hex.utf8) + [0x1A])
        #expect(try await wire.read(until: "OK\r\n") == "\r\n+CMGS: 0\r\n\r\nOK\r\n")
    }
}
