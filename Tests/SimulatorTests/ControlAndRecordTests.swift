import Foundation
import SMSCodec
import Testing
@testable import Simulator

@Suite("control language and record file")
struct ControlAndRecordTests {
    @Test("control lines parse to commands", arguments: [
        ("inbound +33612345678 Stop !", ControlLine(modem: 0, command: .inbound(from: "+33612345678", text: "Stop !", order: nil))),
        ("@1 inbound-parts 2,1 MyShop a  long text", ControlLine(modem: 1, command: .inbound(from: "MyShop", text: "a  long text", order: [2, 1]))),
        ("fault cms 500", ControlLine(modem: 0, command: .fault(.cms(500), command: nil, persistence: .once))),
        ("fault cms 38 on +CMGS sticky", ControlLine(modem: 0, command: .fault(.cms(38), command: "+CMGS", persistence: .sticky))),
        ("fault no-reply on +CSQ times 3", ControlLine(modem: 0, command: .fault(.noReply, command: "+CSQ", persistence: .times(3)))),
        ("fault garbage FF00", ControlLine(modem: 0, command: .fault(.garbage([0xFF, 0x00]), command: nil, persistence: .once))),
        ("fault urc +CMTI: \"SM\",3", ControlLine(modem: 0, command: .fault(.urcMidResponse("+CMTI: \"SM\",3"), command: nil, persistence: .once))),
        ("fault hang", ControlLine(modem: 0, command: .fault(.hang, command: nil, persistence: .once))),
        ("fault clear", ControlLine(modem: 0, command: .clearFaults)),
        ("@2 unplug", ControlLine(modem: 2, command: .unplug)),
        ("plug", ControlLine(modem: 0, command: .plug)),
        ("registration roaming", ControlLine(modem: 0, command: .registration(.roaming))),
        ("signal 12", ControlLine(modem: 0, command: .signal(12))),
        ("urc ^RSSI: 9", ControlLine(modem: 0, command: .urc("^RSSI: 9"))),
        ("status", ControlLine(modem: 0, command: .status)),
        ("quit", ControlLine(modem: 0, command: .quit)),
    ])
    func parses(line: String, expected: ControlLine) throws {
        #expect(try ControlLine.parse(line) == expected)
    }

    @Test("blank lines and comments are nothing")
    func blank() throws {
        #expect(try ControlLine.parse("   ") == nil)
        #expect(try ControlLine.parse("# a comment") == nil)
    }

    @Test("bad lines are refused with a reason", arguments: ["inbound +336", "fault", "fault cms x", "fault teleport",
                                                            "signal 40", "registration maybe", "@x status", "dance"])
    func refuses(line: String) {
        #expect(throws: ControlSyntaxError.self) { try ControlLine.parse(line) }
    }

    @Test("each completed message is one fsynced JSON line, written before the last +CMGS answer")
    func recordFile() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sim-record-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try SubmissionRecorder(path: path)
        let (modem, wire) = try await connect(.simcom)
        await modem.record(to: recorder, as: "/dev/pts/test")
        let text = String(repeating: "Promo -20% ce week-end ! ", count: 8)
        let pdus = try SMSSubmitEncoder.encode(to: "+33612345678", text: text, options: SubmitOptions(concatReference: 7))
        for (i, pdu) in pdus.enumerated() {
            try await submit(pdu, on: wire)
            let lines = try SubmissionRecorder.read(path: path)
            #expect(lines.count == (i == pdus.count - 1 ? 1 : 0))
        }
        let record = try #require(try SubmissionRecorder.read(path: path).first)
        #expect(record.number == "+33612345678")
        #expect(record.text == text)
        #expect(record.parts == pdus.count)
        #expect(record.segments == pdus.count)
        #expect(record.references == Array(0..<pdus.count))
        #expect(record.concatReference == 7)
        #expect(record.modem == "/dev/pts/test")
        #expect(record.profile == "simcom")
        #expect(record.complete)
    }

    @Test("a PDU cancelled with ESC before its Ctrl-Z is recorded as abandoned, never as a message")
    func abandonedPDU() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sim-record-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try SubmissionRecorder(path: path)
        let (modem, wire) = try await connect()
        await modem.record(to: recorder, as: "sim")
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Bonjour").first)
        try await wire.send("AT+CMGS=\(pdu.tpduLength)\r")
        try await wire.read(until: "> ")
        try await wire.sendBytes(Array(pdu.hex.utf8))   // the digits, then (as after a crash) ESC instead of Ctrl-Z
        try await wire.sendBytes([0x1B])
        try await wire.read(until: "OK\r\n")
        #expect(try SubmissionRecorder.read(path: path).isEmpty)
        let abandoned = try SubmissionRecorder.readAbandoned(path: path)
        #expect(abandoned.map(\.number) == ["+33612345678"])
        #expect(abandoned.first?.pdu == pdu.hex.uppercased())
        // ESC at a prompt with nothing typed leaves no line; the next PDU is sent normally.
        try await wire.send("AT+CMGS=\(pdu.tpduLength)\r")
        try await wire.read(until: "> ")
        try await wire.sendBytes([0x1B])
        try await wire.read(until: "OK\r\n")
        try await submit(pdu, on: wire)
        #expect(try SubmissionRecorder.readAbandoned(path: path).count == 1)
        #expect(try SubmissionRecorder.read(path: path).map(\.number) == ["+33612345678"])
    }

    @Test("an unfinished multi-part message is written as incomplete at shutdown")
    func incompleteAtShutdown() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sim-record-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try SubmissionRecorder(path: path)
        let (modem, wire) = try await connect()
        await modem.record(to: recorder, as: "sim")
        let pdus = try SMSSubmitEncoder.encode(to: "+33612345678", text: String(repeating: "x", count: 200))
        try await submit(pdus[0], on: wire)
        #expect(try SubmissionRecorder.read(path: path).isEmpty)
        #expect(await modem.flushIncompleteSubmissions().count == 1)
        let record = try #require(try SubmissionRecorder.read(path: path).first)
        #expect(!record.complete)
        #expect(record.parts == 1)
        #expect(record.segments == 2)
    }

    @Test("a part re-sent after an error counts twice: the network took it twice")
    func resentPartCounts() async throws {
        let (modem, wire) = try await connect()
        let pdus = try SMSSubmitEncoder.encode(to: "+33612345678", text: String(repeating: "y", count: 200))
        try await submit(pdus[0], on: wire)
        try await submit(pdus[0], on: wire)
        try await submit(pdus[1], on: wire)
        let message = try #require(await modem.submitted.first)
        #expect(message.parts == 3)
        #expect(message.segments == 2)
        #expect(message.text == String(repeating: "y", count: 200))
    }
}
