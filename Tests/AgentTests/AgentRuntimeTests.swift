import Compliance
import Discovery
import Foundation
import Logging
import ModemKit
import Records
import Simulator
import Testing
@testable import Agent

/// The agent in-process on in-memory simulated modems (no ptys, no processes).
struct RuntimeFixture {
    let root: URL
    var configuration: AgentConfiguration
    let log = CapturedLog()

    init(configure: (inout AgentConfiguration) -> Void = { _ in }) {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("runtime-\(UUID().uuidString)")
        var configuration = AgentConfiguration()
        configuration.dataDirectory = root.path
        configuration.sender.brand = "Boulangerie Martin"
        configuration.modems.discovery = false
        configuration.modems.throttle = ThrottleSettings(minInterval: .zero, dailyCap: 0)
        configuration.compliance.quietHours = .none
        configuration.statusInterval = .milliseconds(200)
        configuration.sending.retry.initialBackoff = .milliseconds(20)
        configuration.sending.retry.maxBackoff = .milliseconds(50)
        configure(&configuration)
        self.configuration = configuration
    }

    static func simulator(_ name: String, number: String, pin: String? = nil, profile: ModemProfile = .generic,
                          configure: (inout SimulatorConfiguration) -> Void = { _ in }) -> SimulatedModem {
        var configuration = SimulatorConfiguration.fast
        configuration.name = name
        configuration.ownNumber = number
        configuration.pin = pin
        configuration.statusReports = false
        configure(&configuration)
        return SimulatedModem(profile: profile, configuration: configuration)
    }

    /// Runs the agent around `body`, then stops it gracefully.
    func run(_ endpoints: [ModemEndpoint], _ body: (DataDirectory) async throws -> Void) async throws {
        let ready = Doorbell()
        let runtime = AgentRuntime(configuration: configuration, clock: SystemClock(), logger: log.logger, extraEndpoints: endpoints, ready: ready)
        let task = Task { try await runtime.run() }
        await ready.wait(upTo: .seconds(10))
        let data = try DataDirectory(path: root.path, options: .init(openingBalance: configuration.credits.openingBalance))
        do {
            try await body(data)
        } catch {
            await runtime.requestStop()
            _ = try? await task.value
            throw error
        }
        await runtime.requestStop()
        try await task.value
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

func eventually(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        if ContinuousClock.now >= deadline { throw HarnessTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

struct HarnessTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting until \(what)" }
}

@Suite struct AgentRuntimeTests {
    @Test func aWrongPINIsEnteredOnceAndTheOtherModemDoesTheWork() async throws {
        let f = RuntimeFixture()
        defer { f.remove() }
        let locked = RuntimeFixture.simulator("locked", number: "+33600000001", pin: "1234")
        let healthy = RuntimeFixture.simulator("healthy", number: "+33600000002")
        let endpoints = [ModemEndpoint.simulated(locked, id: "locked", pin: "0000", throttle: f.configuration.modems.throttle),
                         ModemEndpoint.simulated(healthy, id: "healthy", throttle: f.configuration.modems.throttle)]
        try await f.run(endpoints) { data in
            for i in 0..<10 { try data.outbox.enqueue(OutboxMessage(to: "+3361234560\(i)", text: "Message \(i)", messageClass: .notification)) }
            try await eventually("all are sent") { try data.outbox.counts().sent == 10 }
            // Parked: a state that never enters a PIN again (WorkerMachineTests prove it); no
            // sleep needed to look for a second try.
            try await eventually("the locked modem is parked") { f.log.count(.error, containing: "modem parked") >= 1 }
        }
        #expect(await locked.status.pinAttemptsLeft == 2, "one wrong PIN, never a second")
        #expect(await healthy.submitted.count == 10)
        #expect(await locked.submitted.isEmpty)
        #expect(f.log.count(.error, containing: "SIM problem") == 1)
    }

    @Test func aTemporaryNetworkErrorIsRetriedWithoutDuplicateOrLoss() async throws {
        let f = RuntimeFixture()
        defer { f.remove() }
        let modem = RuntimeFixture.simulator("a", number: "+33600000001")
        await modem.inject(fault: .cms(500), command: "+CMGS", persistence: .times(2))
        try await f.run([.simulated(modem, id: "a", throttle: f.configuration.modems.throttle)]) { data in
            for i in 0..<5 { try data.outbox.enqueue(OutboxMessage(to: "+3361234560\(i)", text: "Message \(i)", messageClass: .notification)) }
            try await eventually("all are sent") { try data.outbox.counts().sent == 5 }
            #expect(try data.ledger.rows().filter { $0.part != nil }.count == 5)
        }
        let numbers = await modem.submitted.map(\.number)
        #expect(numbers.count == 5)
        #expect(Set(numbers).count == 5)
    }

    @Test func theModemsBusyTimeCountsItsSubmissionsAndNotItsIdleTime() async throws {
        let f = RuntimeFixture()
        defer { f.remove() }
        // Each AT+CMGS takes 150 ms on the simulated network; four of them are at least 0.6 s busy.
        let modem = RuntimeFixture.simulator("a", number: "+33600000001") { $0.latency = ["+CMGS": .milliseconds(150)] }
        try await f.run([.simulated(modem, id: "a", throttle: f.configuration.modems.throttle)]) { data in
            let started = Date()
            for i in 0..<4 { try data.outbox.enqueue(OutboxMessage(to: "+3361234560\(i)", text: "Message \(i)", messageClass: .notification)) }
            try await eventually("all are sent") { try data.outbox.counts().sent == 4 }
            // Idle afterwards: the busy time must not grow with it.
            // A status.json written after the last message settled (an earlier one may have been
            // written while it was still on the air, its busy time counted up to then).
            try await eventually("status.json shows the busy time") {
                guard let status = try? StatusSnapshot.read(dataDirectory: data.path), status.queue.sent == 4 else { return false }
                return status.modems.first?.busySeconds.map { $0 >= 0.6 } == true
            }
            let first = try #require(try StatusSnapshot.read(dataDirectory: data.path).modems.first?.busySeconds)
            #expect(first < Date().timeIntervalSince(started), "busy time is at most the time since the first message")
            // status.json is rewritten when something changes: after an idle half second, a message
            // held until tomorrow changes the queue without making the modem busy.
            try await Task.sleep(for: .milliseconds(500))
            let idleUntil = Date()
            try data.outbox.enqueue(OutboxMessage(to: "+33612345699", text: "Tomorrow", messageClass: .notification,
                                                  notBefore: idleUntil.addingTimeInterval(86400)))
            try await eventually("a later status.json (the held message in its queue)", timeout: .seconds(5)) {
                try StatusSnapshot.read(dataDirectory: data.path).queue.new == 1
            }
            let later = try #require(try StatusSnapshot.read(dataDirectory: data.path).modems.first?.busySeconds)
            #expect(abs(later - first) < 0.05, "half a second idle adds nothing: an idle modem's busy time stays put (\(first) then \(later))")
        }
    }

    @Test func settledMessagesPastTheirRetentionAreDeletedAtStart() async throws {
        let f = RuntimeFixture { $0.sending.keepSettledFor = .seconds(30 * 86400) }
        defer { f.remove() }
        let outbox = try DataDirectory(path: f.root.path).outbox
        for id in ["last-year", "yesterday"] {
            try outbox.enqueue(OutboxMessage(id: id, to: "+33612345678", text: id, messageClass: .notification))
            _ = try outbox.claimNext(now: Date())
        }
        for id in ["last-year", "yesterday"] { try outbox.complete(id, result: SendResult(status: .sent, finishedAt: Date())) }
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-365 * 86400)],
                                              ofItemAtPath: f.root.path + "/outbox/sent/last-year.json")
        let a = RuntimeFixture.simulator("a", number: "+33600000001")
        try await f.run([.simulated(a, id: "a", throttle: f.configuration.modems.throttle)]) { data in
            try await eventually("last year's message is pruned") { try data.outbox.find("last-year") == nil }
            #expect(try data.outbox.find("yesterday")?.folder == .sent)
        }
        #expect(f.log.count(.info, containing: "settled messages past their retention deleted") == 1)
    }

    @Test func aSIMWithoutSMSSlotsReceivesThroughTheModemsMemory() async throws {
        // An IoT SIM with no SMS storage: with the default [SM, SM, SM] nothing could arrive (it
        // would wait at the SMSC for ever); modems.sms_storage [ME, ME, ME] lets it in.
        let f = RuntimeFixture { $0.modems.smsStorage = ["ME", "ME", "ME"] }
        defer { f.remove() }
        let a = RuntimeFixture.simulator("a", number: "+33600000001") { $0.storageCapacity = 0 }
        try await f.run([.simulated(a, id: "a", throttle: f.configuration.modems.throttle)]) { data in
            try data.outbox.enqueue(OutboxMessage(id: "first", to: "+33699999999", text: "ready?", messageClass: .notification))
            try await eventually("the modem is initialised") { await !a.submitted.isEmpty }
            _ = try await a.injectInbound(from: "+33612345678", text: "Bonjour, c'est ouvert dimanche ?")
            try await eventually("the message is archived") { try data.inbox.all().contains { $0.text.hasPrefix("Bonjour") } }
            try await eventually("and deleted from the modem's memory") { await a.storedPDUs(memory: "ME").isEmpty }
            #expect(await a.storedPDUs(memory: "SM").isEmpty, "nothing went to the SIM")
        }
    }

    @Test func aStopRepliedOnOneModemSuppressesMarketingOnEveryModem() async throws {
        let f = RuntimeFixture()
        defer { f.remove() }
        let a = RuntimeFixture.simulator("a", number: "+33600000001")
        let b = RuntimeFixture.simulator("b", number: "+33600000002")
        let endpoints = [ModemEndpoint.simulated(a, id: "a", throttle: f.configuration.modems.throttle),
                         ModemEndpoint.simulated(b, id: "b", throttle: f.configuration.modems.throttle)]
        try await f.run(endpoints) { data in
            _ = try await a.injectInbound(from: "+33612345678", text: "STOP")
            let number = try PhoneNumber.parse("0612345678", defaultCountry: "FR")
            try await eventually("the opt-out is on disk") { try data.optOuts.isOptedOut(number) }
            for i in 0..<6 { try data.outbox.enqueue(OutboxMessage(id: "promo-\(i)", to: "06 12 34 56 78", text: "Promo \(i)", messageClass: .marketing)) }
            try await eventually("every promo is settled") { try data.outbox.counts().new + data.outbox.counts().sending == 0 }
            for i in 0..<6 {
                #expect(try data.outbox.find("promo-\(i)")?.message.result?.status == .suppressed)
            }
        }
        let received = await a.submitted + b.submitted
        #expect(received.filter { $0.number == "+33612345678" }.count == 1, "only the confirmation")
    }

    /// Issue 14: a US recipient opts out by "any reasonable means" (the FCC's 2024 rule): free
    /// wording is an opt-out at once, through the whole agent; the same kind of sentence from a
    /// French number only waits for a person (review), as French practice wants keywords.
    @Test func aUSRecipientsFreeWordingOptsOutThroughTheAgent() async throws {
        let f = RuntimeFixture()
        defer { f.remove() }
        let a = RuntimeFixture.simulator("a", number: "+33600000001")
        try await f.run([.simulated(a, id: "a", throttle: f.configuration.modems.throttle)]) { data in
            let american = try PhoneNumber.parse("+1 202 555 0143", defaultCountry: "FR")
            let french = try PhoneNumber.parse("06 12 34 56 79", defaultCountry: "FR")
            _ = try await a.injectInbound(from: american.e164, text: "Please stop texting me")
            _ = try await a.injectInbound(from: french.e164, text: "Merci d'arrêter de m'envoyer des SMS")
            try await eventually("the US opt-out is on disk") { try data.optOuts.isOptedOut(american) }
            try await eventually("the French reply is archived") { try data.inbox.all().contains { $0.from == french.e164 } }
            #expect(try !data.optOuts.isOptedOut(french), "a French sentence without the keyword is not an opt-out by itself")
            #expect(try data.inbox.all().first { $0.from == french.e164 }?.needsReview == true, "but a person is asked")
            try data.outbox.enqueue(OutboxMessage(id: "promo-us", to: american.e164, text: "Sale today", messageClass: .marketing))
            try await eventually("the promo is settled") { try data.outbox.find("promo-us")?.folder != .new }
            try await eventually("the promo is suppressed") { try data.outbox.find("promo-us")?.message.result?.status == .suppressed }
        }
        let toAmerican = await a.submitted.filter { $0.number == "+12025550143" }
        #expect(toAmerican.count == 1, "only the opt-out confirmation went to the US number")
    }

    /// Issue 13.6: no sender.stop_number and a SIM that does not know its own number: marketing
    /// waits in the queue (its footer needs a STOP number), notifications still go, status says why.
    @Test func withoutAStopNumberOnlyMarketingWaits() async throws {
        let f = RuntimeFixture()
        defer { f.remove() }
        #expect(f.configuration.sender.stopNumber == nil)
        let a = RuntimeFixture.simulator("a", number: "+33600000001") { $0.ownNumber = nil }
        try await f.run([.simulated(a, id: "a", throttle: f.configuration.modems.throttle)]) { data in
            try data.outbox.enqueue(OutboxMessage(id: "promo", to: "+33612345678", text: "Promo", messageClass: .marketing))
            try data.outbox.enqueue(OutboxMessage(id: "ready", to: "+33612345679", text: "Votre commande est prête", messageClass: .notification))
            try await eventually("the notification is sent") { try data.outbox.find("ready")?.folder == .sent }
            try await eventually("status.json says why marketing waits") {
                let status = try StatusSnapshot.read(dataDirectory: data.path)
                return (status.modems.first?.warnings ?? []).contains { $0.contains("no STOP number") }
            }
            let promo = try #require(try data.outbox.find("promo"))
            #expect(promo.folder == .new || promo.folder == .queued, "marketing waits in the queue, never failed (\(promo.folder))")
            #expect(promo.message.result == nil)
        }
        #expect(await a.submitted.map(\.number) == ["+33612345679"], "only the notification went on the air")
        #expect(f.log.count(.error, containing: "no STOP number") == 1)
    }

    @Test func anEmptyMarketingInstallationWithoutBrandRefusesToStart() async throws {
        var f = RuntimeFixture()
        defer { f.remove() }
        f.configuration.sender.brand = nil
        let runtime = AgentRuntime(configuration: f.configuration, clock: SystemClock(), logger: f.log.logger)
        await #expect(throws: AgentStartError.self) { try await runtime.run() }
    }
}

@Suite struct ModemPoolTests {
    @Test func aModemThatLeavesMidCampaignHandsItsWorkToOneThatJoins() async throws {
        let f = try DispatcherFixture(advancing: true, openingBalance: 1000)
        defer { f.remove() }
        let throttle = ThrottleSettings(minInterval: .zero, dailyCap: 0)
        let a = RuntimeFixture.simulator("a", number: "+33600000001")
        let b = RuntimeFixture.simulator("b", number: "+33600000002")
        let pool = ModemPool(logger: f.log.logger) { endpoint in
            ModemWorker(endpoint: endpoint, dispatcher: f.dispatcher, configuration: f.configuration, clock: SystemClock(),
                        inbound: nil, logger: f.log.logger)
        }
        let watcher = try OutboxWatcher(directory: f.root.path + "/outbox/new")
        let wakeUps = Task { for await _ in watcher.events { await pool.wakeAll() } }
        defer { watcher.stop(); wakeUps.cancel() }
        for i in 0..<40 {
            try f.enqueue(String(format: "m%03d", i), to: "+336123456\(String(format: "%02d", i))", class: .notification)
        }
        await pool.add(.simulated(a, id: "a", throttle: throttle))
        try await eventually("modem a is sending") { await a.submitted.count >= 5 }
        await pool.add(.simulated(b, id: "b", throttle: throttle), deviceKey: "usb-b")
        await pool.remove(deviceKey: "a")
        await pool.wakeAll()
        try await eventually("every message is sent") { try f.data.outbox.counts().sent == 40 }
        await pool.stopAll()

        let onA = await a.submitted.map(\.number), onB = await b.submitted.map(\.number)
        #expect(!onB.isEmpty, "modem b took over")
        #expect(Set(onA).isDisjoint(with: onB))
        #expect(onA.count + onB.count == 40)
        #expect(await pool.count == 1)
    }
}

@Suite struct HungModemTests {
    @Test func aModemThatNeverPromptsIsNotTakenForAnAmbiguousSend() async throws {
        let f = try DispatcherFixture(advancing: true, openingBalance: 1000, configure: {
            $0.sending.retry.initialBackoff = .milliseconds(10)
            $0.sending.retry.maxBackoff = .milliseconds(20)
            $0.sending.retry.maxAttemptsPerMessage = 100
        })
        defer { f.remove() }
        let throttle = ThrottleSettings(minInterval: .zero, dailyCap: 0)
        let hung = RuntimeFixture.simulator("hung", number: "+33600000001")
        let good = RuntimeFixture.simulator("good", number: "+33600000002")
        // Short timeouts for the hung modem only: the good one must not be taken for hung on a
        // loaded machine.
        var hungOptions = ModemOptions()
        hungOptions.commandTimeout = .milliseconds(150)
        hungOptions.promptTimeout = .milliseconds(150)
        hungOptions.sendTimeout = .seconds(5)
        let pool = ModemPool(logger: f.log.logger) { [hungOptions] endpoint in
            ModemWorker(endpoint: endpoint, dispatcher: f.dispatcher, configuration: f.configuration, clock: SystemClock(),
                        inbound: nil, modemOptions: endpoint.id == "hung" ? hungOptions : ModemOptions(), logger: f.log.logger)
        }
        // As in the runtime: every file renamed into outbox/new/ or outbox/queued/ (a requeue) wakes the workers.
        let watcher = try OutboxWatcher(directory: f.root.path + "/outbox/new", also: [f.root.path + "/outbox/queued"])
        let wakeUps = Task { for await _ in watcher.events { await pool.wakeAll() } }
        defer { watcher.stop(); wakeUps.cancel() }
        await pool.add(.simulated(hung, id: "hung", throttle: throttle))
        try await eventually("the first modem is ready") { await pool.statuses().first?.state == "ready" }
        await hung.inject(fault: .hang)
        for i in 0..<10 {
            try f.enqueue(String(format: "m%02d", i), to: "+336123456\(String(format: "%02d", i))", class: .notification)
        }
        await pool.wakeAll()
        try await eventually("the hung modem failed a send") { f.log.count(.notice, containing: "re-initialising") > 0 }
        await pool.add(.simulated(good, id: "good", throttle: throttle))
        try await eventually("every message is sent", timeout: .seconds(30)) { try f.data.outbox.counts().sent == 10 }
        await pool.stopAll()

        #expect(await good.submitted.count == 10, "nothing was counted as sent without reaching the network")
        let assumed = try f.data.outbox.messages(in: .sent).filter { $0.result?.reason?.contains("assume") == true }
        #expect(assumed.isEmpty)
    }
}

@Suite struct SendErrorClassificationTests {
    @Test func anUnknownRecipientFailsAtOnceWhileTheModemStaysReady() async throws {
        let f = RuntimeFixture()
        defer { f.remove() }
        let modem = RuntimeFixture.simulator("a", number: "+33600000001")
        await modem.inject(fault: .cms(1), command: "+CMGS", persistence: .once)
        try await f.run([.simulated(modem, id: "a", throttle: f.configuration.modems.throttle)]) { data in
            try data.outbox.enqueue(OutboxMessage(id: "1-unknown", to: "+33612345601", text: "Bonjour", messageClass: .notification))
            try data.outbox.enqueue(OutboxMessage(id: "2-fine", to: "+33612345602", text: "Bonjour", messageClass: .notification))
            try await eventually("both are settled") { try data.outbox.counts().new + data.outbox.counts().sending == 0 }
            let unknown = try data.outbox.find("1-unknown")
            #expect(unknown?.folder == .failed)
            #expect(unknown?.message.result?.reason?.contains("CMS") == true)
            #expect(try data.outbox.find("2-fine")?.folder == .sent)
        }
    }
}

@Suite struct HotplugTests {
    @Test func aModemPluggedInAtRunTimeJoinsAndLeavesWhenUnplugged() async throws {
        let f = try DispatcherFixture(advancing: true, openingBalance: 1000, configure: {
            $0.modems.throttle = ThrottleSettings(minInterval: .zero, dailyCap: 0)
        })
        defer { f.remove() }
        let simulator = RuntimeFixture.simulator("stick", number: "+33600000001")
        let port = try await simulator.openPseudoTerminal(link: f.root.path + "-stick.tty")
        defer { try? FileManager.default.removeItem(atPath: f.root.path + "-stick.tty") }
        let runtime = AgentRuntime(configuration: f.configuration, clock: SystemClock(), logger: f.log.logger)
        let pool = ModemPool(logger: f.log.logger) { endpoint in
            ModemWorker(endpoint: endpoint, dispatcher: f.dispatcher, configuration: f.configuration, clock: SystemClock(),
                        inbound: nil, logger: f.log.logger)
        }
        let (events, feed) = AsyncStream.makeStream(of: HotplugEvent.self)
        let following = Task { await runtime.follow(events, discovery: ModemDiscovery(logger: f.log.logger), pool: pool) }
        for i in 0..<3 { try f.enqueue("m\(i)", to: "+3361234560\(i)", class: .notification) }

        feed.yield(.added(DiscoveredModem(id: "/sys/devices/usb1/1-1", vendorID: "12d1", productID: "1506", manufacturer: "HUAWEI",
                                          product: "E3372", serial: "ABC123", ports: [], atPort: port, reason: "test",
                                          probed: true)))
        try await eventually("the plugged modem sent the queue") { try f.data.outbox.counts().sent == 3 }
        #expect(await pool.statuses().map(\.id) == ["E3372-ABC123"])

        feed.yield(.removed(id: "/sys/devices/usb1/1-1", devnodes: [port]))
        try await eventually("the modem left the pool") { await pool.count == 0 }
        feed.finish()
        await following.value
        await pool.stopAll()
        #expect(await simulator.submitted.count == 3)
    }
}
