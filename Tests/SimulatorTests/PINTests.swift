import Foundation
import Testing
@testable import Simulator

@Suite("SIM PIN")
struct PINTests {
    @Test("three wrong PINs lock to PUK; the PUK sets a new PIN")
    func lockoutToPUK() async throws {
        let (_, wire) = try await connect(configure: { $0.pin = "1234" })
        try await wire.command("AT+CMEE=1")
        #expect(try await wire.command("AT+CPIN?") == "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n")
        for _ in 1...3 {
            #expect(try await wire.command("AT+CPIN=\"0000\"", final: "ERROR: 16\r\n") == "\r\n+CME ERROR: 16\r\n")
        }
        #expect(try await wire.command("AT+CPIN?") == "\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+CPIN=\"1234\"", final: "ERROR: 12\r\n") == "\r\n+CME ERROR: 12\r\n")
        #expect(try await wire.command("AT+CPIN=\"12345678\",\"4321\"") == "\r\nOK\r\n")
        #expect(try await wire.command("AT+CPIN?") == "\r\n+CPIN: READY\r\n\r\nOK\r\n")
    }

    @Test("ten wrong PUKs block the SIM for good")
    func pukExhausted() async throws {
        let (modem, wire) = try await connect(configure: { $0.pin = "1234"; $0.pinAttempts = 1; $0.pukAttempts = 2 })
        try await wire.command("AT+CMEE=1")
        try await wire.command("AT+CPIN=\"0000\"", final: "ERROR: 16\r\n")
        try await wire.command("AT+CPIN=\"00000000\",\"1111\"", final: "ERROR: 16\r\n")
        try await wire.command("AT+CPIN=\"00000000\",\"1111\"", final: "ERROR: 16\r\n")
        #expect(try await wire.command("AT+CPIN?", final: "ERROR: 262\r\n") == "\r\n+CME ERROR: 262\r\n")
        #expect(await modem.status.sim == "blocked")
    }

    @Test("retry counters through the family's command", arguments: [
        (ModemProfile.generic, "AT+CPINR=\"SIM PIN\"", "+CPINR: SIM PIN,2,3"),
        (.huawei, "AT^CPIN?", "^CPIN: SIM PIN,2,10,2,10,3"),
        (.simcom, "AT+SPIC", "+SPIC: 2,10,3,10"),
        (.sim7600, "AT+SPIC", "+SPIC: 2,10,3,10"),
        (.quectel, "AT+QPINC=\"SC\"", "+QPINC: \"SC\",2,10"),
    ])
    func retryCounters(profile: ModemProfile, command: String, answer: String) async throws {
        let (_, wire) = try await connect(profile, configure: { $0.pin = "1234" })
        try await wire.command("AT+CPIN=\"9999\"", final: "ERROR\r\n")
        #expect(try await wire.command(command) == "\r\n\(answer)\r\n\r\nOK\r\n")
    }

    @Test("SMS commands need the SIM unlocked (CMS 311), registration follows the unlock")
    func smsNeedsPIN() async throws {
        let (_, wire) = try await connect(.quectel, configure: { $0.pin = "1234"; $0.bootURCs = true })
        try await wire.command("AT+CMEE=1;+CREG=1")
        #expect(try await wire.command("AT+CMGL=4", final: "311\r\n") == "\r\n+CMS ERROR: 311\r\n")
        #expect(try await wire.command("AT+CREG?") == "\r\n+CREG: 1,0\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+CPIN=\"1234\"", final: "+CREG: 1\r\n")
                == "\r\nOK\r\n\r\n+CPIN: READY\r\n\r\n+QIND: SMS DONE\r\n\r\n+QIND: PB DONE\r\n\r\n+CREG: 1\r\n")
    }

    @Test("no SIM inserted: CME 10")
    func noSIM() async throws {
        let (_, wire) = try await connect(configure: { $0.simInserted = false })
        try await wire.command("AT+CMEE=1")
        #expect(try await wire.command("AT+CPIN?", final: "10\r\n") == "\r\n+CME ERROR: 10\r\n")
    }
}
