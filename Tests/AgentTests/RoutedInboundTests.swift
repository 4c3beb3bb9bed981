import Compliance
import Foundation
import ModemKit
import Records
import Simulator
import Testing
@testable import Agent

/// Some modems route new SMS to the host (`+CMT`, TS 27.005 §3.4.1 <mt>=2) instead of storing
/// them: the PDU exists nowhere else, so the worker must hand it to the inbound pipeline itself.
@Suite struct RoutedInboundTests {
    @Test func aStopRoutedWithCMTIsRecordedAndConfirmedThoughNothingIsStored() async throws {
        let f = try DispatcherFixture(advancing: true, openingBalance: 1000)
        defer { f.remove() }
        // A modem in phase 2+ service (+CSMS: 1) after power-on: unacknowledged routed messages
        // would switch routing off after the first. The engine selects service 0 at initialise.
        let simulator = RuntimeFixture.simulator("a", number: "+33600000001") { $0.initialSMSService = 1 }
        let options = {
            var options = ModemOptions()
            options.newMessageIndications = [[2, 2, 0, 0, 0]]   // route deliveries, store nothing
            return options
        }()
        let inbound = InboundProcessor(configuration: f.configuration, dataDirectory: f.data, clock: SystemClock(), logger: f.log.logger)
        let pool = ModemPool(logger: f.log.logger) { endpoint in
            ModemWorker(endpoint: endpoint, dispatcher: f.dispatcher, configuration: f.configuration, clock: SystemClock(),
                        inbound: inbound, modemOptions: options, logger: f.log.logger)
        }
        await pool.add(.simulated(simulator, id: "a", throttle: ThrottleSettings(minInterval: .zero, dailyCap: 0)))
        // A first send proves the worker has initialised the modem (AT+CNMI comes before any send).
        try f.enqueue("hello", to: "+33699999999", class: .notification)
        await pool.wakeAll()
        try await eventually("the modem is initialised and sending") { await !simulator.submitted.isEmpty }

        _ = try await simulator.injectInbound(from: "+33612345678", text: "Stop !")
        let number = try PhoneNumber.parse("0612345678", defaultCountry: "FR")
        try await eventually("the opt-out is on disk") { try f.data.optOuts.isOptedOut(number) }
        #expect(await simulator.storedPDUs().isEmpty, "routed, never stored")
        try await eventually("one confirmation left") { await simulator.submitted.contains { $0.number == "+33612345678" } }
        // More routed messages keep arriving: routing was not switched off after the first.
        _ = try await simulator.injectInbound(from: "+33611111111", text: "Bonjour")
        _ = try await simulator.injectInbound(from: "+33622222222", text: "Merci")
        try await eventually("both are archived", timeout: .seconds(10)) { try f.data.inbox.all().count == 3 }
        await pool.stopAll()
        #expect(try f.data.inbox.all().filter { $0.from == "+33612345678" }.count == 1)
        #expect(await simulator.storedPDUs().isEmpty, "routed, never stored")
    }

    /// Issue 16: a routed STOP whose recording fails exists nowhere else — it must be kept and
    /// recorded at the next try, not dropped.
    @Test func aRoutedStopWhoseRecordingFailsIsKeptAndRecordedLater() async throws {
        let f = try DispatcherFixture(advancing: true, openingBalance: 1000)
        defer { f.remove() }
        let simulator = RuntimeFixture.simulator("a", number: "+33600000001")
        var options = ModemOptions()
        options.newMessageIndications = [[2, 2, 0, 0, 0]]
        let inbound = FlakyRoutedDrainer(base: InboundProcessor(configuration: f.configuration, dataDirectory: f.data,
                                                                clock: SystemClock(), logger: f.log.logger), failures: 2)
        let pool = ModemPool(logger: f.log.logger) { [options] endpoint in
            ModemWorker(endpoint: endpoint, dispatcher: f.dispatcher, configuration: f.configuration, clock: SystemClock(),
                        inbound: inbound, modemOptions: options, logger: f.log.logger)
        }
        await pool.add(.simulated(simulator, id: "a", throttle: ThrottleSettings(minInterval: .zero, dailyCap: 0)))
        try f.enqueue("hello", to: "+33699999999", class: .notification)
        await pool.wakeAll()
        try await eventually("the modem is initialised and sending") { await !simulator.submitted.isEmpty }

        _ = try await simulator.injectInbound(from: "+33612345678", text: "Stop")
        let number = try PhoneNumber.parse("0612345678", defaultCountry: "FR")
        try await eventually("the opt-out is on disk after the failed tries") { try f.data.optOuts.isOptedOut(number) }
        #expect(await inbound.failed == 2)
        await pool.stopAll()
    }
}

/// Fails the first `failures` routed PDUs as a full disk would (the report lists a failure).
actor FlakyRoutedDrainer: InboundDrainer {
    let base: InboundProcessor
    private var left: Int
    private(set) var failed = 0

    init(base: InboundProcessor, failures: Int) {
        self.base = base
        self.left = failures
    }

    func drain(modem: Modem, modemID: String) async throws -> InboundReport {
        try await base.drain(modem: modem, modemID: modemID)
    }

    func receiveRouted(pduHex: String, modemID: String) async -> InboundReport {
        guard left > 0 else { return await base.receiveRouted(pduHex: pduHex, modemID: modemID) }
        left -= 1
        failed += 1
        var report = InboundReport(modemID: modemID)
        report.failures = ["injected: no space left on device"]
        return report
    }
}
