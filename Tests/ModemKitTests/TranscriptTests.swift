import ATProtocol
import ModemKit
import SMSCodec
import Simulator
import Testing
import TestSupport

/// Every response of every profile, captured from a whole session with the simulator (boot chatter,
/// echo, vendor noise, PIN, identity, sends, inbound, list/read/delete, errors, a URC mid-answer),
/// replayed into the decoder whole, byte by byte and in random chunks: the frames must not change.
@Suite("Decoder on captured sessions of every profile")
struct TranscriptTests {
    static func capture(_ profile: ModemProfile) async throws -> [TranscriptTransport.Event] {
        let box = TranscriptBox()
        var options = ModemOptions.testing()
        options.newMessageIndications = [[2, 1, 0, 2, 0], [2, 1, 0, 1, 0], [2, 1]]
        let bench = try await Bench.make(profile, .memory, options: options, wrap: { transport, _ in
            let transcript = TranscriptTransport(transport)
            box.transcript = transcript
            return transcript
        }, configure: { configuration in
            configuration.pin = "1234"
            configuration.bootURCs = true
            configuration.noiseInterval = .milliseconds(1)
        })
        let modem = bench.modem
        _ = try await modem.raw("ATE1", timeout: .seconds(2))   // echo on, as after power-up
        _ = try await modem.raw("AT+CGMI", timeout: .seconds(2))
        try await modem.initialise()
        try await modem.unlockIfNeeded(pin: "1234")
        _ = try await modem.identity()
        _ = try await modem.pinRetries()
        _ = try await modem.registration()
        _ = try await modem.signal()
        _ = try await modem.storageUsage()
        _ = try await modem.serviceCentre()
        _ = try await modem.ownNumber()
        for pdu in try SMSSubmitEncoder.encode(to: "+33612345678", text: String(repeating: "Nouveautés en magasin ! ", count: 8)) {
            _ = try await modem.send(pdu)
        }
        _ = try await bench.simulator.injectInbound(from: "+33698765432", text: "STOP", partOrder: nil)
        _ = try await bench.simulator.injectInbound(from: "Boutique", text: String(repeating: "a long one ", count: 20), partOrder: [2, 1])
        await bench.simulator.inject(fault: .urcMidResponse("+CMTI: \"SM\",7"), command: "+CMGL")
        let listed = try await modem.listMessages()
        if let first = listed.first {
            _ = try await modem.readMessage(index: first.index)
            try await modem.deleteMessage(index: first.index)
        }
        _ = try await modem.raw("AT+NOSUCH", timeout: .seconds(2))
        await bench.simulator.inject(fault: .cms(500), command: "+CMGS")
        _ = try? await modem.send(try SMSSubmitEncoder.encode(to: "+33612345678", text: "x")[0])
        await bench.simulator.inject(fault: .cme(14), command: "+CPMS")
        _ = try? await modem.storageUsage()
        await bench.tearDown()
        return box.transcript?.events ?? []
    }

    /// Replays a capture: the decoder context follows the writes; the reads between two writes are
    /// cut into chunks by `split`.
    static func replay(_ events: [TranscriptTransport.Event], split: ([UInt8]) -> [[UInt8]]) -> [[ATFrame]] {
        var decoder = ATFrameDecoder()
        var segments: [[ATFrame]] = [[]]
        var pending: [UInt8] = []
        func flush() {
            for chunk in split(pending) { segments[segments.count - 1] += decoder.feed(chunk) }
            pending = []
        }
        for event in events {
            switch event {
            case .read(let bytes):
                pending += bytes
            case .wrote(let bytes):
                flush()
                segments.append([])
                if bytes.last == 0x0D {
                    let line = String(decoding: bytes.dropLast(), as: UTF8.self)
                    decoder.commandSent(line, expectsPrompt: line.uppercased().hasPrefix("AT+CMGS="))
                } else if bytes.last == 0x1A {
                    // Ctrl-Z alone ends the PDU whose digits were written before (or with) it.
                    if bytes.count > 1 { decoder.dataSent(String(decoding: bytes.dropLast(), as: UTF8.self)) }
                } else if bytes.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x46).contains($0) }) {
                    decoder.dataSent(String(decoding: bytes, as: UTF8.self))   // the PDU's digits, before its Ctrl-Z
                }
            }
        }
        flush()
        return segments
    }

    @Test("whole, byte by byte and in random chunks give the same frames", arguments: storageProfiles)
    func sameFrames(profile: ModemProfile) async throws {
        let events = try await Self.capture(profile)
        let reads = events.reduce(0) { if case .read(let b) = $1 { $0 + b.count } else { $0 } }
        #expect(reads > 500, "a whole session was captured")
        let whole = Self.replay(events) { [$0] }
        #expect(Self.replay(events) { $0.map { [$0] } } == whole)
        var generator = SeededGenerator(seed: 2026)
        for _ in 0..<20 {
            let chunked = Self.replay(events) { bytes in
                var chunks: [[UInt8]] = []
                var index = 0
                while index < bytes.count {
                    let size = Int(generator.next() % 9) + 1
                    chunks.append(Array(bytes[index..<min(bytes.count, index + size)]))
                    index += size
                }
                return chunks
            }
            #expect(chunked == whole)
        }
        let frames = whole.flatMap { $0 }
        #expect(!frames.contains { if case .discarded = $0 { true } else { false } }, "nothing the simulator says is garbage")
        #expect(frames.contains(.unsolicited(.newMessage(storage: "SM", index: 7))))
        #expect(frames.contains { if case .echo = $0 { true } else { false } })
        #expect(frames.contains(.prompt))
    }
}

final class TranscriptBox: @unchecked Sendable {
    var transcript: TranscriptTransport?
}

