import Foundation
import SMSCodec
import Testing
@testable import Simulator

/// Sends one PDU through the prompt and returns the answer after Ctrl-Z.
@discardableResult
func submit(_ pdu: SubmitPDU, on wire: HostWire, final: String = "OK\r\n") async throws -> String {
    try await wire.send("AT+CMGS=\(pdu.tpduLength)\r")
    try await wire.read(until: "> ")
    try await wire.sendBytes(Array(pdu.hex.utf8) + [0x1A])
    return try await wire.read(until: final)
}

@Suite("sending")
struct SMSSendTests {
    @Test("a submission is answered with incrementing references and recorded decoded", arguments: ModemProfile.allCases)
    func referencesAndRecord(profile: ModemProfile) async throws {
        let (modem, wire) = try await connect(profile)
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Hello {world} €").first)
        #expect(try await submit(pdu, on: wire) == "\r\n+CMGS: 0\r\n\r\nOK\r\n")
        #expect(try await submit(pdu, on: wire) == "\r\n+CMGS: 1\r\n\r\nOK\r\n")
        let sent = await modem.submitted
        #expect(sent.count == 2)
        #expect(sent.first?.number == "+33612345678")
        #expect(sent.first?.text == "Hello {world} €")
        #expect(sent.first?.references == [0])
        #expect(sent.first?.pdus == [pdu.hex])
    }

    @Test("a multi-part UCS-2 message is reassembled across its parts")
    func multiPart() async throws {
        let (modem, wire) = try await connect()
        let text = String(repeating: "Café ☕ ", count: 30)
        let pdus = try SMSSubmitEncoder.encode(to: "0612345678", text: text, options: SubmitOptions(concatReference: 42))
        #expect(pdus.count > 1)
        for pdu in pdus { try await submit(pdu, on: wire) }
        let sent = try #require(await modem.submitted.first)
        #expect(await modem.submitted.count == 1)
        #expect(sent.text == text)
        #expect(sent.number == "0612345678")
        #expect(sent.parts == pdus.count)
        #expect(sent.segments == pdus.count)
        #expect(sent.concatenationReference == 42)
        #expect(sent.encoding == .ucs2)
        #expect(sent.references == Array(0..<pdus.count))
    }

    @Test("the PDU length must match AT+CMGS=<n>: CMS 304")
    func lengthMismatch() async throws {
        let (modem, wire) = try await connect()
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Hi").first)
        try await wire.send("AT+CMGS=\(pdu.tpduLength + 1)\r")
        try await wire.read(until: "> ")
        try await wire.sendBytes(Array(pdu.hex.utf8) + [0x1A])
        #expect(try await wire.read(until: "304\r\n") == "\r\n+CMS ERROR: 304\r\n")
        #expect(await modem.submitted.isEmpty)
    }

    @Test("malformed PDUs are refused with CMS 304", arguments: ["0011", "00110", "001100XX", "0001000B913316325476F80000"])
    func malformed(hex: String) async throws {
        let (_, wire) = try await connect()
        try await wire.send("AT+CMGS=\(max(7, hex.count / 2 - 1))\r")
        try await wire.read(until: "> ")
        try await wire.sendBytes(Array(hex.utf8) + [0x1A])
        #expect(try await wire.read(until: "304\r\n") == "\r\n+CMS ERROR: 304\r\n")
    }

    @Test("ESC abandons the PDU with OK and nothing leaves")
    func escapeAborts() async throws {
        let (modem, wire) = try await connect()
        try await wire.send("AT+CMGS=20\r")
        #expect(try await wire.read(until: "> ") == "\r\n> ")
        try await wire.sendBytes(Array("0011".utf8) + [0x1B])
        #expect(try await wire.read(until: "OK\r\n") == "\r\nOK\r\n")
        #expect(await modem.submitted.isEmpty)
    }

    @Test("no SMSC in the PDU and none on the SIM: CMS 330")
    func noServiceCentre() async throws {
        let (_, wire) = try await connect(configure: { $0.serviceCentre = nil })
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Hi").first)
        #expect(try await submit(pdu, on: wire, final: "330\r\n") == "\r\n+CMS ERROR: 330\r\n")
    }

    @Test("not registered: CMS 331")
    func notRegistered() async throws {
        let (_, wire) = try await connect(configure: { $0.registration = .searching })
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Hi").first)
        #expect(try await submit(pdu, on: wire, final: "331\r\n") == "\r\n+CMS ERROR: 331\r\n")
    }

    @Test("a status report comes back as +CDS when asked by TP-SRR and CNMI ds=1")
    func statusReportDirect() async throws {
        let (_, wire) = try await connect(configure: { $0.deliveryStatus = ["+33612345678": 0x46] })
        try await wire.command("AT+CNMI=2,1,0,1,0")
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Hi", options: SubmitOptions(requestStatusReport: true)).first)
        try await submit(pdu, on: wire)
        try await wire.read(until: "+CDS: ")
        let length = try await wire.read(until: "\r\n").trimmingCharacters(in: .whitespacesAndNewlines)
        let line = try await wire.read(until: "\r\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard case .statusReport(let report) = try PDUDecoder.decode(hex: line) else {
            Issue.record("not a status report: \(line)")
            return
        }
        #expect(report.messageReference == 0)
        #expect(report.recipient == "+33612345678")
        #expect(report.status == 0x46)
        #expect(Int(length) == line.count / 2 - 1 - Int(line.prefix(2))!)
    }

    @Test("with CNMI ds=2 the status report is stored and announced by +CDSI")
    func statusReportStored() async throws {
        let (_, wire) = try await connect()
        try await wire.command("AT+CNMI=2,1,0,2,0")
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Hi", options: SubmitOptions(requestStatusReport: true)).first)
        try await submit(pdu, on: wire)
        #expect(try await wire.read(until: "+CDSI: \"SM\",1\r\n") == "\r\n+CDSI: \"SM\",1\r\n")
        let listed = try await wire.command("AT+CMGR=1")
        let hex = try #require(listed.split(separator: "\r\n").dropFirst().first.map(String.init))
        guard case .statusReport = try PDUDecoder.decode(hex: hex) else {
            Issue.record("stored PDU is not a status report")
            return
        }
    }

    @Test("a recipient the network refuses gets its CMS error")
    func rejectedRecipient() async throws {
        let (modem, wire) = try await connect(configure: { $0.rejectedRecipients = ["+33699999999": 21] })
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33699999999", text: "Hi").first)
        #expect(try await submit(pdu, on: wire, final: "21\r\n") == "\r\n+CMS ERROR: 21\r\n")
        #expect(await modem.submitted.isEmpty)
    }
}
