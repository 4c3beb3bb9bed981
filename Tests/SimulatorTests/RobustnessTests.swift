import Foundation
import Testing
@testable import Simulator
import TestSupport


@Suite("robustness")
struct RobustnessTests {
    /// Random bytes, biased towards AT syntax, fed in random chunks, never trap the engine, and
    /// it answers a plain AT afterwards (after ESC, CR and ATZ to leave any PDU prompt and mode).
    @Test("random input never traps and the modem still answers", arguments: ModemProfile.allCases)
    func fuzzEngine(profile: ModemProfile) {
        var rng = SeededGenerator(seed: 0x5EED_0000 + UInt64(profile.rawValue.count))
        let alphabet = Array("AT+CMGSLRDPINEQVZ&F=?,;\"0123456789^$\r\n\u{1A}\u{1B}\u{08} >".utf8)
        for round in 0..<200 {
            var configuration = SimulatorConfiguration.fast
            configuration.pin = round.isMultiple(of: 2) ? "1234" : nil
            var engine = ModemEngine(profile: profile, configuration: configuration)
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 1...400, using: &rng) {
                input.append(Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng))
            }
            var offset = 0
            while offset < input.count {
                let size = Int.random(in: 1...16, using: &rng)
                _ = engine.receive(Array(input[offset..<min(offset + size, input.count)]))
                offset += size
            }
            _ = engine.receive([0x1B] + Array("\rATZ\rATE0\r".utf8))
            let answer = engine.receive(Array("AT\r".utf8)).compactMap { step -> [UInt8]? in
                if case .write(let bytes) = step { return bytes } else { return nil }
            }.flatMap { $0 }
            let text = String(decoding: answer, as: UTF8.self)
            if profile == .qualcommPinFirst, configuration.pin != nil {
                // Locked, it refuses even ATE0 and AT: still an answer (CME 11, or 12 after wrong PINs).
                #expect(text == "\r\nOK\r\n" || text.hasSuffix("\r\n+CME ERROR: 11\r\n") || text.hasSuffix("\r\n+CME ERROR: 12\r\n"), "round \(round): \(text)")
            } else {
                #expect(text == "\r\nOK\r\n", "round \(round)")
            }
        }
    }

    @Test("random PDUs never trap the decoders")
    func fuzzPDU() {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<5000 {
            let octets = (0..<Int.random(in: 0...60, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let hex = SimulatorPDU.hex(octets)
            _ = try? SimulatorPDU.decodeSubmit(hex: hex)
            _ = try? SimulatorPDU.textView(ofHex: hex)
            _ = SimulatorPDU.tpduLength(ofHex: hex)
        }
    }

    @Test("the simulator's SMS-DELIVER and SMSCodec's agree byte for byte on a single part")
    func deliverMatchesCodec() throws {
        let date = Date(timeIntervalSince1970: 1_790_000_000)
        for text in ["Stop !", "Désabonnement [ok] €5", "Ça marche 👍"] {
            let ours = SimulatorPDU.encodeDeliver(from: "+33612345678", text: text, timestamp: date, offsetMinutes: 60,
                                                  smsc: "+33689004000", reference: 0)
            let theirs = try SMSCodecBridge.deliver(from: "+33612345678", text: text, timestamp: date, offsetMinutes: 60, smsc: "+33689004000")
            #expect(ours == theirs, "\(text)")
        }
    }

    @Test("Huawei noise arrives between answers and AT^CURC=0 silences it")
    func huaweiNoise() async throws {
        let (_, wire) = try await connect(.huawei, configure: { $0.noiseInterval = .milliseconds(5) })
        try await wire.read(until: "^RSSI: 20\r\n")
        try await wire.read(until: "^HCSQ: \"LTE\",")
        // Noise never splits an answer.
        #expect(try await wire.command("AT+CSQ").hasSuffix("\r\n+CSQ: 20,99\r\n\r\nOK\r\n"))
        var engine = ModemEngine(profile: .huawei, configuration: .fast)
        #expect(!engine.noise().isEmpty)
        _ = engine.receive(Array("AT^CURC=0\r".utf8))
        #expect(engine.noise().isEmpty)
    }
}
