import Foundation
import ModemKit
import SMSCodec
import Simulator
import Testing

@Suite("Modem faults: each recovered from or reported with a typed error")
struct FaultTests {
    /// Every command that should be answered gets a long timeout: on a loaded 2-core CI machine
    /// (the whole suite runs in parallel, with agents and simulators as child processes) an answer
    /// was seen to take over a second. Only the command a test wants to see time out gets a short
    /// one (`raw(_:timeout:)`), so a slow machine cannot fail a test and the suite stays quick.
    static let generous = ModemOptions.testing(timeout: .seconds(10))
    static let short = Duration.milliseconds(500)
    /// An answer that comes, but after `short`.
    static let late = Duration.seconds(1)

    @Test("no reply: .timeout, then the next command works", arguments: everyProfileAndLink)
    func noReply(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link, options: Self.generous)
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .noReply, command: "+CSQ")
        await #expect(throws: ModemError.timeout(command: "AT+CSQ")) { try await bench.modem.raw("AT+CSQ", timeout: Self.short) }
        #expect(try await bench.modem.signal().rssi == 20)
        #expect(try await bench.modem.storageUsage().read.total == 30)
    }

    @Test("a late answer to a timed-out command is never taken for the next command's", arguments: everyProfileAndLink)
    func lateAnswer(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link, options: Self.generous, configure: { $0.latency["+CSQ"] = Self.late })
        defer { Task { await bench.tearDown() } }
        await #expect(throws: ModemError.timeout(command: "AT+CSQ")) { try await bench.modem.raw("AT+CSQ", timeout: Self.short) }
        // The +CSQ answer and its OK arrive while the next command is on its way.
        let usage = try await bench.modem.storageUsage()
        #expect(usage.read.total == 30)
        let identity = try await bench.modem.raw("AT+CGSN", timeout: .seconds(2))
        #expect(identity.final == .ok)
        #expect(!identity.lines.contains { $0.hasPrefix("+CSQ") })
    }

    @Test("a resync whose own answer is late does not shift every later answer by one", arguments: everyProfileAndLink)
    func lateResync(profile: ModemProfile, link: Link) async throws {
        // The first resync (at initialise, after the ESC) is AT+CMEE?; its answer is held back until
        // the next command line arrives — after the timeout, exactly when the next round is asked.
        // Were that round the same query, the late answer would be taken for its own and every
        // later command would read its predecessor's answer. (A resync round waits as long as any
        // command: this test waits one `commandTimeout` once.)
        let bench = try await Bench.make(profile, link, options: .testing(timeout: .seconds(4)))
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .late, command: "+CMEE")
        try await bench.modem.initialise()
        #expect(try await bench.modem.signal().rssi == 20)
        #expect(try await bench.modem.storageUsage().read.total == 30)
        let identity = try await bench.modem.raw("AT+CGSN", timeout: .seconds(2))
        #expect(identity.final == .ok)
        #expect(identity.lines.count == 1 && identity.lines.allSatisfy { $0.allSatisfy(\.isNumber) })
    }

    @Test("plain ERROR: .error", arguments: everyProfileAndLink)
    func error(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link)
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .error, command: "+CSQ")
        await #expect(throws: ModemError.error(command: "AT+CSQ", result: "ERROR")) { try await bench.modem.signal() }
        #expect(try await bench.modem.signal().rssi == 20)
    }

    @Test("CME errors carry code and meaning", arguments: storageProfiles, [3, 4, 100])
    func cme(profile: ModemProfile, code: Int) async throws {
        let bench = try await Bench.ready(profile, .memory)
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .cme(code), command: "+CPMS")
        await #expect(throws: ModemError.cme(code: code, meaning: ATErrorCatalogue.meaning(of: code, in: .cme), command: "AT+CPMS?")) {
            try await bench.modem.storageUsage()
        }
    }

    @Test("SIM busy (CME 14) once is asked again; for good, it comes back typed")
    func simBusyIsAskedAgain() async throws {
        let bench = try await Bench.ready(.generic, .memory, options: .testing(timeout: .milliseconds(500)))
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .cme(14), command: "+CPMS")
        #expect(try await bench.modem.storageUsage().read.storage == "SM")
        await bench.simulator.inject(fault: .cme(14), command: "+CPMS", persistence: .sticky)
        await #expect(throws: ModemError.cme(code: 14, meaning: ATErrorCatalogue.meaning(of: 14, in: .cme), command: "AT+CPMS?")) {
            try await bench.modem.storageUsage()
        }
    }

    @Test("CMS errors on AT+CMGS come back typed, and the next send goes through", arguments: storageProfiles, [500, 330, 38, 304])
    func cmsOnSend(profile: ModemProfile, code: Int) async throws {
        let bench = try await Bench.ready(profile, .memory)
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .cms(code), command: "+CMGS")
        let pdu = try SMSSubmitEncoder.encode(to: "+33612345678", text: "hello")[0]
        do {
            _ = try await bench.modem.send(pdu)
            Issue.record("the send should have failed")
        } catch let error as ModemError {
            guard case .cms(let reported, _, let command) = error else {
                Issue.record("expected a CMS error, got \(error)")
                return
            }
            #expect(reported == code)
            #expect(command == "AT+CMGS=\(pdu.tpduLength)")
            #expect(error.isTemporary == ATErrorCatalogue.isTemporary(code, in: .cms))
        }
        _ = try await bench.modem.send(pdu)
        #expect(await bench.simulator.submitted.count == 1)
    }

    @Test("garbage before an answer is dropped and the answer still arrives", arguments: everyProfileAndLink)
    func garbage(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link)
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .garbage([0xFF, 0x00, 0xFE, 0x0D, 0x0A, 0x80, 0x81]), command: "+CSQ")
        #expect(try await bench.modem.signal().rssi == 20)
    }

    @Test("no answer after the PDU: .timeout, ESC sent, the modem usable again", arguments: everyProfileAndLink)
    func noReplyAfterSubmit(profile: ModemProfile, link: Link) async throws {
        var options = Self.generous
        options.sendTimeout = Self.short
        let bench = try await Bench.ready(profile, link, options: options)
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .noReplyAfterSubmit, command: "+CMGS")
        let pdu = try SMSSubmitEncoder.encode(to: "+33612345678", text: "hello")[0]
        await #expect(throws: ModemError.timeout(command: "AT+CMGS=\(pdu.tpduLength)")) { try await bench.modem.send(pdu) }
        #expect(try await bench.modem.signal().rssi == 20)
        _ = try await bench.modem.send(pdu)
    }

    @Test("a hung port times out every command, and recovers when it answers again", arguments: everyProfileAndLink)
    func hang(profile: ModemProfile, link: Link) async throws {
        // The second command waits out its resync round: `commandTimeout`, once.
        let bench = try await Bench.ready(profile, link, options: .testing(timeout: .seconds(4)))
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .hang)
        await #expect(throws: ModemError.timeout(command: "AT+CSQ")) { try await bench.modem.raw("AT+CSQ", timeout: Self.short) }
        await #expect(throws: ModemError.self) { try await bench.modem.signal() }
        await bench.simulator.clearFaults()
        #expect(try await bench.modem.signal().rssi == 20)
    }

    @Test("unplug: the command in flight fails with .transportClosed and the URC stream ends", arguments: everyProfileAndLink)
    func unplugInFlight(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link, options: .testing(timeout: .seconds(10)))
        defer { Task { await bench.tearDown() } }
        let last = Task { () -> UnsolicitedResult? in
            var last: UnsolicitedResult?
            for await event in bench.modem.unsolicited { last = event }
            return last
        }
        await bench.simulator.inject(fault: .hang)
        let inFlight = Task { try await bench.modem.signal() }
        await bench.simulator.settle()
        await bench.simulator.unplug()
        await #expect {
            _ = try await inFlight.value
        } throws: { error in
            if case ModemError.transportClosed = error { return true }
            return false
        }
        guard case .transportClosed(let port, _) = await last.value else {
            Issue.record("the URC stream did not end with .transportClosed")
            return
        }
        #expect(port == bench.modem.port)
        await #expect(throws: ModemError.self) { try await bench.modem.signal() }
        #expect(await bench.modem.isClosed)
    }

    @Test("unplug while idle is noticed without any command", arguments: everyProfileAndLink)
    func unplugIdle(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link)
        defer { Task { await bench.tearDown() } }
        let closed = Task { await firstEvent(on: bench.modem) { if case .transportClosed = $0 { true } else { false } } }
        await bench.simulator.unplug()
        #expect(await closed.value != nil)
    }

    @Test("commands from several tasks never interleave on the wire", arguments: storageProfiles)
    func oneInFlight(profile: ModemProfile) async throws {
        let bench = try await Bench.ready(profile, .memory)
        defer { Task { await bench.tearDown() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask {
                    if i.isMultiple(of: 2) {
                        let rssi = try await bench.modem.signal().rssi
                        #expect(rssi == 20)
                    } else {
                        let total = try await bench.modem.storageUsage().read.total
                        #expect(total == 30)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
