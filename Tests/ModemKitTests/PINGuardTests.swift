import Foundation
import ModemKit
import Simulator
import Testing

@Suite("PIN guard: a wrong PIN is tried at most once, a PUK-locked SIM is never touched")
struct PINGuardTests {
    @Test("no PIN needed: nothing entered", arguments: storageProfiles)
    func noPIN(profile: ModemProfile) async throws {
        let bench = try await Bench.ready(profile, .memory)
        defer { Task { await bench.tearDown() } }
        try await bench.modem.unlockIfNeeded(pin: "1234")
        #expect(await bench.simulator.status.pinAttemptsLeft == 3)
    }

    @Test("the right PIN unlocks, then SMS works", arguments: everyProfileAndLink)
    func rightPIN(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link, configure: { $0.pin = "4321" })
        defer { Task { await bench.tearDown() } }
        #expect(try await bench.modem.simStatus() == .pinRequired)
        try await bench.modem.unlockIfNeeded(pin: "4321")
        #expect(try await bench.modem.simStatus() == .ready)
        #expect(try await bench.modem.storageUsage().read.total == 30)
        let announced = Task { await firstEvent(on: bench.modem) { if case .newMessage = $0 { true } else { false } } }
        _ = try await bench.simulator.injectInbound(from: "+33698765432", text: "hello")
        #expect(await announced.value != nil, "+CNMI set after the unlock")
    }

    @Test("a wrong PIN is entered once, then never again", arguments: storageProfiles)
    func wrongPINOnce(profile: ModemProfile) async throws {
        let bench = try await Bench.ready(profile, .memory, configure: { $0.pin = "4321" })
        defer { Task { await bench.tearDown() } }
        await #expect(throws: ModemError.pinRejected(remainingAttempts: 2)) { try await bench.modem.unlockIfNeeded(pin: "0000") }
        #expect(await bench.simulator.status.pinAttemptsLeft == 2)
        await #expect(throws: ModemError.pinAlreadyAttempted) { try await bench.modem.unlockIfNeeded(pin: "0000") }
        await #expect(throws: ModemError.pinAlreadyAttempted) { try await bench.modem.unlockIfNeeded(pin: "4321") }
        #expect(await bench.simulator.status.pinAttemptsLeft == 2)
    }

    @Test("no PIN configured: refused without entering anything", arguments: storageProfiles)
    func pinMissing(profile: ModemProfile) async throws {
        let bench = try await Bench.ready(profile, .memory, configure: { $0.pin = "4321" })
        defer { Task { await bench.tearDown() } }
        await #expect(throws: ModemError.pinRequired) { try await bench.modem.unlockIfNeeded(pin: nil) }
        #expect(await bench.simulator.status.pinAttemptsLeft == 3)
    }

    @Test("a PIN that is not 4 to 8 digits is refused before anything is sent", arguments: ["12\"4", "12", "1234\r"])
    func pinMalformed(value: String) async throws {
        let bench = try await Bench.ready(.generic, .memory, configure: { $0.pin = "4321" })
        defer { Task { await bench.tearDown() } }
        await #expect(throws: ModemError.self) { try await bench.modem.unlockIfNeeded(pin: value) }
        #expect(await bench.simulator.status.pinAttemptsLeft == 3)
    }

    @Test("one attempt left: the configured PIN is not risked", arguments: storageProfiles)
    func lastAttempt(profile: ModemProfile) async throws {
        let bench = try await Bench.ready(profile, .memory, configure: { $0.pin = "4321"; $0.pinAttempts = 3 })
        defer { Task { await bench.tearDown() } }
        for _ in 0..<2 { _ = try await bench.modem.raw("AT+CPIN=\"0000\"", timeout: .seconds(2)) }
        #expect(await bench.simulator.status.pinAttemptsLeft == 1)
        await #expect(throws: ModemError.pinAttemptsTooLow(remaining: 1)) { try await bench.modem.unlockIfNeeded(pin: "4321") }
        #expect(await bench.simulator.status.pinAttemptsLeft == 1)
    }

    @Test("PUK-only: refused, nothing entered", arguments: everyProfileAndLink)
    func pukOnly(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link, configure: { $0.pin = "4321"; $0.pinAttempts = 1 })
        defer { Task { await bench.tearDown() } }
        _ = try await bench.modem.raw("AT+CPIN=\"0000\"", timeout: .seconds(2))
        #expect(try await bench.modem.simStatus() == .pukRequired)
        await #expect(throws: ModemError.pukRequired) { try await bench.modem.unlockIfNeeded(pin: "4321") }
        let status = await bench.simulator.status
        #expect(status.pukAttemptsLeft == 10)
    }

    @Test("no SIM: typed error", arguments: storageProfiles)
    func noSIM(profile: ModemProfile) async throws {
        let bench = try await Bench.ready(profile, .memory, configure: { $0.simInserted = false })
        defer { Task { await bench.tearDown() } }
        #expect(try await bench.modem.simStatus() == .notInserted)
        await #expect(throws: ModemError.simNotInserted) { try await bench.modem.unlockIfNeeded(pin: "1234") }
    }
}
