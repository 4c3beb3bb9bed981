import Foundation
import ModemKit
import Simulator
import Testing

/// A restarted agent finds the modem as the previous process left it — possibly at the `> ` prompt
/// of an `AT+CMGS` whose PDU never came (kill -9 mid-send). Initialisation must recover.
@Suite struct StalePromptTests {
    @Test("initialise() recovers a modem left at the > prompt by a killed agent", arguments: storageProfiles)
    func recoversFromPrompt(profile: ModemProfile) async throws {
        let simulator = SimulatedModem(profile: profile, configuration: .fast)
        let path = try await simulator.openPseudoTerminal()
        defer { Task { await simulator.shutdown() } }

        // The "killed agent": opens the port, starts a submission, gets the prompt and vanishes.
        let first = try SerialTransport.open(path: path)
        try await first.write(Array("ATE0\rAT+CMGF=0\rAT+CMGS=20\r".utf8))
        var seen = ""
        for try await chunk in first.incoming {
            seen += String(decoding: chunk, as: UTF8.self)
            if seen.contains("> ") { break }
        }
        #expect(seen.contains("> "))
        await first.close()

        // The restarted agent.
        let modem = Modem(transport: try SerialTransport.open(path: path), options: .testing())
        try await modem.initialise()
        let response = try await modem.raw("AT", timeout: .seconds(3))
        #expect(response.final.isSuccess)
        #expect(await simulator.submitted.isEmpty)
        await modem.close()
    }
}
