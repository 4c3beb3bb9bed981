import ModemKit
import SMSCodec
import Simulator
import Testing

@Suite("On the wire: only what the work needs")
struct WireTests {
    @Test("sending writes AT+CMGS and the PDU per part, nothing else", arguments: storageProfiles)
    func sendPathIsLean(profile: ModemProfile) async throws {
        let box = Box()
        let bench = try await Bench.ready(profile, .memory, wrap: { transport, _ in
            let recorder = RecordingTransport(transport)
            box.recorder = recorder
            return recorder
        })
        defer { Task { await bench.tearDown() } }
        let recorder = try #require(box.recorder)
        recorder.reset()
        var pdus: [SubmitPDU] = []
        for i in 0..<5 { pdus += try SMSSubmitEncoder.encode(to: "+3361234567\(i)", text: "Message \(i)") }
        for pdu in pdus { _ = try await bench.modem.send(pdu) }
        let expected = pdus.flatMap { ["AT+CMGS=\($0.tpduLength)", $0.hex] }
        #expect(recorder.lines == expected)
    }

    @Test("initialise writes a fixed, short script")
    func initialiseScript() async throws {
        let box = Box()
        let bench = try await Bench.ready(.generic, .memory, wrap: { transport, _ in
            let recorder = RecordingTransport(transport)
            box.recorder = recorder
            return recorder
        })
        defer { Task { await bench.tearDown() } }
        let recorder = try #require(box.recorder)
        // ESC first: a modem left at a `> ` prompt by a killed agent would swallow everything else.
        // It goes alone, then (after a pause) a bare CR: a modem that discards a line beginning with
        // ESC loses only that empty line. AT+CMEE? then drops the OK some modems answer to ESC.
        #expect(recorder.writes.prefix(3) == [[0x1B], [0x0D], Array("AT+CMEE?\r".utf8)])
        #expect(recorder.lines == ["\u{1B}", "AT+CMEE?", "AT", "ATE0", "AT+CMEE=1", "AT+CMGF=0", "AT+CPMS=\"SM\",\"SM\",\"SM\"", "AT+CSMS=0", "AT+CNMI=2,1,0,2,0"])
    }
}

final class Box: @unchecked Sendable {
    var recorder: RecordingTransport?
}
