import ModemKit
import Testing

/// The `Modem` actor driving `ATSession` against scripted dialects: what the pure machine decides
/// must reach the callers through the real driver (writer loop, timer, cancellation).
@Suite("Modem driver: dialect quirks, errors that say what happened, cancellation")
struct SessionDriverTests {
    static let options = ModemOptions.testing(timeout: .seconds(5))

    @Test("Wavecom: +CPIN: READY without OK is the answer after the grace, and the next command works")
    func cpinWithoutFinal() async throws {
        let peer = ScriptedPeer { line in
            line == "AT+CPIN?" ? "\r\n+CPIN: READY\r\n" : ScriptedPeer.standard(line)
        }
        let modem = Modem(transport: peer, options: Self.options)
        #expect(try await modem.simStatus() == .ready)
        #expect(try await modem.signal().rssi == 20)
        await modem.close()
    }

    @Test("a late OK to AT+CPIN? (after the grace) is absorbed, not taken for the next answer")
    func cpinLateFinal() async throws {
        // The OK of AT+CPIN? comes only with the next line written: after the grace, exactly
        // when the next command (or its resync) is on its way.
        let peer = ScriptedPeer { line in
            switch line {
            case "AT+CPIN?": "\r\n+CPIN: READY\r\n"
            case "AT+CMEE?": "\r\nOK\r\n\r\n+CMEE: 1\r\n\r\nOK\r\n"
            default: ScriptedPeer.standard(line)
            }
        }
        let modem = Modem(transport: peer, options: Self.options)
        #expect(try await modem.simStatus() == .ready)
        let response = try await modem.raw("AT+CSQ", timeout: .seconds(5))
        #expect(response.lines == ["+CSQ: 20,99"])
        await modem.close()
    }

    @Test("nothing ever answered: a timeout, and hasAnswered stays false")
    func silentPort() async throws {
        let peer = ScriptedPeer { _ in nil }
        let modem = Modem(transport: peer, options: Self.options)
        await #expect(throws: ModemError.timeout(command: "AT")) { try await modem.raw("AT", timeout: .milliseconds(200)) }
        #expect(await !modem.hasAnswered)
        await modem.close()
    }

    @Test("an AT port whose command timed out says which command and what it answered")
    func timeoutAfterAnswers() async throws {
        let peer = ScriptedPeer { line in
            line == "AT+CGSN" ? "\r\n351234567890123\r\n" : ScriptedPeer.standard(line)
        }
        let modem = Modem(transport: peer, options: Self.options)
        #expect(try await modem.raw("AT", timeout: .seconds(5)).final == .ok)
        await #expect(throws: ModemError.timeout(command: "AT+CGSN", answered: ["351234567890123"])) {
            try await modem.raw("AT+CGSN", timeout: .milliseconds(200))
        }
        #expect(await modem.hasAnswered)
        #expect(ModemError.timeout(command: "AT+CGSN", answered: ["351234567890123"]).description.contains("351234567890123"))
    }

    @Test("a caller cancelled while its command waits its turn gets .cancelled and nothing is written")
    func cancelledWhileQueued() async throws {
        let peer = ScriptedPeer { line in line == "AT+CSQ" ? nil : ScriptedPeer.standard(line) }
        let modem = Modem(transport: peer, options: Self.options)
        let first = Task { try await modem.raw("AT+CSQ", timeout: .seconds(30)) }
        for await line in peer.heard where line == "AT+CSQ" { break }
        let second = Task { try await modem.raw("AT+CGMI", timeout: .seconds(5)) }
        second.cancel()
        await #expect(throws: ModemError.cancelled(command: "AT+CGMI")) { try await second.value }
        await modem.close()
        await #expect(throws: ModemError.self) { try await first.value }
        #expect(!peer.lines.contains("AT+CGMI"))
    }
}
