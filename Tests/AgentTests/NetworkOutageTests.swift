import Foundation
import ModemKit
import Records
import Simulator
import Synchronization
import Testing
@testable import Agent

/// Counts the registration queries a worker writes (how long it has been waiting, in polls).
final class CountingTransport: ByteTransport, Sendable {
    let base: any ByteTransport
    private let registrationQueries = Mutex<Int>(0)

    init(base: any ByteTransport) { self.base = base }

    var name: String { base.name }
    var incoming: AsyncThrowingStream<[UInt8], any Error> { base.incoming }
    var registrationQueryCount: Int { registrationQueries.withLock { $0 } }

    func write(_ bytes: [UInt8]) async throws {
        if bytes.starts(with: Array("AT+CREG?".utf8)) { registrationQueries.withLock { $0 += 1 } }
        try await base.write(bytes)
    }

    func close() async { await base.close() }
}

/// Issue 9.5 / invariant 9: a network outage during a campaign fails no message. The outage is
/// measured in the worker's registration polls (its backoff shortened to milliseconds), not in
/// seconds of wall time: 20 polls at the production backoff (1 s doubling to 60 s) is well over
/// 30 s without service.
@Suite struct NetworkOutageTests {
    @Test func anOutageDuringACampaignFailsNoMessageAndTheQueueGoesWhenTheNetworkReturns() async throws {
        let f = try DispatcherFixture(advancing: true, openingBalance: 1000, configure: {
            $0.sending.retry.initialBackoff = .milliseconds(5)
            $0.sending.retry.maxBackoff = .milliseconds(20)
            $0.sending.retry.maxAttemptsPerMessage = 2
        })
        defer { f.remove() }
        let throttle = ThrottleSettings(minInterval: .zero, dailyCap: 0)
        let modem = RuntimeFixture.simulator("a", number: "+33600000001")
        let transport = CountingTransport(base: await modem.connectInMemory())
        let pool = ModemPool(logger: f.log.logger) { endpoint in
            ModemWorker(endpoint: endpoint, dispatcher: f.dispatcher, configuration: f.configuration, clock: SystemClock(),
                        inbound: nil, logger: f.log.logger)
        }
        let watcher = try OutboxWatcher(directory: f.root.path + "/outbox/new")
        let wakeUps = Task { for await _ in watcher.events { await pool.wakeAll() } }
        defer { watcher.stop(); wakeUps.cancel() }
        for i in 0..<20 {
            try f.enqueue(String(format: "m%02d", i), to: "+336123456\(String(format: "%02d", i))", class: .notification)
        }
        await pool.add(ModemEndpoint(id: "a", port: "sim:a", throttle: throttle, origin: "simulated") { transport })
        try await eventually("the campaign is under way") { try f.data.outbox.counts().sent >= 3 }

        await modem.setRegistration(.notRegistered)
        try await eventually("the status follows the network") { await pool.statuses().first?.state == "waiting for network" }
        let pollsBefore = transport.registrationQueryCount
        try await eventually("the outage lasts 20 registration polls") { transport.registrationQueryCount >= pollsBefore + 20 }
        #expect(try f.data.outbox.counts().failed == 0)

        await modem.setRegistration(.home)
        try await eventually("the queue goes out when the network returns") { try f.data.outbox.counts().sent == 20 }
        // The last message is in sent/ a moment before the worker publishes its state again.
        try await eventually("the modem is ready again") { await pool.statuses().first?.state == "ready" }
        let status = try #require(await pool.statuses().first)
        #expect(status.registration == "home")
        await pool.stopAll()

        #expect(try f.data.outbox.counts().failed == 0)
        #expect(await modem.submitted.count == 20)
        // No message used up an attempt on the outage (it would read "after N attempts").
        for message in try f.data.outbox.messages(in: .sent) {
            #expect(message.attempts.filter { $0.status == .accepted }.count == 1)
        }
    }
}
