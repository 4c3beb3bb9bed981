import Foundation
import ModemKit
import Records
import Simulator
import Testing
@testable import Agent

/// Issue 11: a modem whose `+CMTI` works is polled (`AT+CMGL`) only as a safety net
/// (`inbound.announced_poll_interval`, 5 min by default); one that takes no `AT+CNMI` keeps
/// `inbound.poll_interval` (30 s); and a poll that finds a message no `+CMTI` announced puts the
/// modem back on `poll_interval`. Counts of drains over a window, not timings.
@Suite struct InboundPollIntervalTests {
    /// Counts the worker's drains (each one `AT+CMGL`).
    actor CountingDrainer: InboundDrainer {
        let base: InboundProcessor
        private(set) var drains = 0
        init(base: InboundProcessor) { self.base = base }
        func drain(modem: Modem, modemID: String) async throws -> InboundReport {
            drains += 1
            return try await base.drain(modem: modem, modemID: modemID)
        }
        func receiveRouted(pduHex: String, modemID: String) async -> InboundReport {
            await base.receiveRouted(pduHex: pduHex, modemID: modemID)
        }
    }

    struct Setup {
        let f: DispatcherFixture
        let simulator: SimulatedModem
        let drainer: CountingDrainer
        let pool: ModemPool
    }

    /// One simulated modem, initialised (it has sent one message); `indications` are the
    /// `AT+CNMI` settings the worker tries (empty: none, the modem is polled only).
    func start(indications: [[Int]]?, announcedPoll: Duration) async throws -> Setup {
        let f = try DispatcherFixture(advancing: true, openingBalance: 1000) {
            $0.inbound.pollInterval = .milliseconds(100)
            $0.inbound.announcedPollInterval = announcedPoll
            $0.sending.statusReports = false
        }
        let simulator = RuntimeFixture.simulator("a", number: "+33600000001")
        var options = ModemOptions()
        if let indications { options.newMessageIndications = indications }
        let drainer = CountingDrainer(base: InboundProcessor(configuration: f.configuration, dataDirectory: f.data,
                                                             clock: SystemClock(), logger: f.log.logger))
        let pool = ModemPool(logger: f.log.logger) { [options] endpoint in
            ModemWorker(endpoint: endpoint, dispatcher: f.dispatcher, configuration: f.configuration, clock: SystemClock(),
                        inbound: drainer, modemOptions: options, logger: f.log.logger)
        }
        await pool.add(.simulated(simulator, id: "a", throttle: ThrottleSettings(minInterval: .zero, dailyCap: 0)))
        try f.enqueue("hello", to: "+33699999999", class: .notification)
        await pool.wakeAll()
        try await eventually("the modem is initialised and sending") { await !simulator.submitted.isEmpty }
        return Setup(f: f, simulator: simulator, drainer: drainer, pool: pool)
    }

    @Test func aModemThatAnnouncesIsNotPolledEveryPollInterval() async throws {
        let s = try await start(indications: nil, announcedPoll: .seconds(3600))
        defer { s.f.remove() }
        let before = await s.drainer.drains
        try await Task.sleep(for: .milliseconds(1500))   // 15 poll intervals
        #expect(await s.drainer.drains == before, "no AT+CMGL while +CMTI is trusted")
        // An announced message is still read at once.
        _ = try await s.simulator.injectInbound(from: "+33612345678", text: "Bonjour")
        try await eventually("the announced SMS is archived") { try s.f.data.inbox.all().count == 1 }
        await s.pool.stopAll()
    }

    @Test func aModemWithoutCNMIIsPolledEveryPollInterval() async throws {
        let s = try await start(indications: [], announcedPoll: .seconds(3600))
        defer { s.f.remove() }
        let before = await s.drainer.drains
        try await eventually("polled again and again") { await s.drainer.drains >= before + 3 }
        await s.pool.stopAll()
    }

    /// `AT+CNMI=2,0,…` is accepted but announces nothing: the safety-net poll finds the message,
    /// and from then on the modem is polled every `poll_interval`.
    @Test func aPollThatFindsAnUnannouncedMessageStopsTrustingTheAnnouncements() async throws {
        let s = try await start(indications: [[2, 0, 0, 0, 0]], announcedPoll: .seconds(1))
        defer { s.f.remove() }
        _ = try await s.simulator.injectInbound(from: "+33612345678", text: "Bonjour")
        try await eventually("the safety-net poll archives it") { try s.f.data.inbox.all().count == 1 }
        try await eventually("the modem is no longer trusted") { s.f.log.count(.notice, containing: "no +CMTI announced") == 1 }
        let before = await s.drainer.drains
        try await eventually("polled every poll_interval now") { await s.drainer.drains >= before + 3 }
        await s.pool.stopAll()
    }
}
