import Foundation
import ModemKit
import Records
import Simulator
import Synchronization
import Testing
@testable import Agent

/// A transport that never delivers the n-th `AT+CMGS=` line: the modem never sees it, so its
/// `> ` prompt never comes — a modem that does not answer the prompt of one part.
final class PromptSwallowingTransport: ByteTransport, Sendable {
    let base: any ByteTransport
    let swallow: Int
    private let seen = Mutex<Int>(0)

    init(base: any ByteTransport, swallow: Int) {
        self.base = base
        self.swallow = swallow
    }

    var name: String { base.name }
    var incoming: AsyncThrowingStream<[UInt8], any Error> { base.incoming }
    var swallowed: Bool { seen.withLock { $0 >= swallow } }

    func write(_ bytes: [UInt8]) async throws {
        if bytes.starts(with: Array("AT+CMGS=".utf8)) {
            let count = seen.withLock { count -> Int in
                count += 1
                return count
            }
            if count == swallow { return }
        }
        try await base.write(bytes)
    }

    func close() async { await base.close() }
}

/// Issue 9.1, deterministically: the modem never answers the `> ` prompt of part 2 of 3; the
/// agent is killed while it waits (its data directory copied as it is at that instant: every
/// record is durable when written, so the copy is what `kill -9` leaves); a new agent starts on
/// it. No part may count as sent that never left, and the message may have no hole.
@Suite struct PromptMarkerCrashTests {
    static let text = String(repeating: "Bonjour, votre commande est arrivée. ", count: 11)   // 3 GSM parts (é is GSM; ê is not)

    func pool(_ dispatcher: Dispatcher, _ configuration: AgentConfiguration, _ log: CapturedLog, options: ModemOptions) -> ModemPool {
        ModemPool(logger: log.logger) { endpoint in
            ModemWorker(endpoint: endpoint, dispatcher: dispatcher, configuration: configuration, clock: SystemClock(),
                        inbound: nil, modemOptions: options, logger: log.logger)
        }
    }

    @Test(arguments: AmbiguousSendPolicy.allCases)
    func killedWhileThePromptOfPart2Of3IsAwaited(_ policy: AmbiguousSendPolicy) async throws {
        let f = try DispatcherFixture(advancing: true, openingBalance: 1000, configure: { $0.sending.ambiguousWindow = policy })
        defer { f.remove() }
        let throttle = ThrottleSettings(minInterval: .zero, dailyCap: 0)
        let first = RuntimeFixture.simulator("a", number: "+33600000001")
        let transport = PromptSwallowingTransport(base: await first.connectInMemory(), swallow: 2)
        var options = ModemOptions()
        options.promptTimeout = .seconds(600)   // it waits: the kill comes first
        let firstPool = pool(f.dispatcher, f.configuration, f.log, options: options)
        try f.enqueue("m", to: "+33612345678", text: Self.text, class: .notification)
        await firstPool.add(ModemEndpoint(id: "a", port: "sim:a", throttle: throttle, origin: "simulated") { transport })
        try await eventually("part 2's AT+CMGS is waiting for its prompt") { transport.swallowed }

        // kill -9 now: what is on disk is all that survives.
        let copy = f.root.deletingLastPathComponent().appendingPathComponent("restart-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(at: f.root, to: copy)
        await first.unplug()
        await firstPool.stopAll()
        let firstParts = await first.submittedParts
        #expect(firstParts.compactMap(\.concatenation?.sequence) == [1])

        // Restart on what the kill left.
        let data = try DataDirectory(path: copy.path, options: .init(openingBalance: 1000))
        let report = try data.outbox.recoverAfterCrash(policy: policy)
        #expect(report.entries.map(\.action) == [.requeued], "part 2 never left: nothing to assume, resend or fail")
        #expect(report.entries.first?.ambiguousParts == [])
        let dispatcher = Dispatcher(outbox: data.outbox, ledger: data.ledger, optOuts: data.optOuts, configuration: f.configuration,
                                    clock: SystemClock(), logger: f.log.logger)
        let second = RuntimeFixture.simulator("a", number: "+33600000001")
        let secondPool = pool(dispatcher, f.configuration, f.log, options: ModemOptions())
        await secondPool.add(.simulated(second, id: "a", throttle: throttle))
        try await eventually("the message is sent") { try data.outbox.counts().sent == 1 }
        await secondPool.stopAll()

        // Every part reached the network exactly once, all with the same concatenation reference.
        let allParts = firstParts + (await second.submittedParts)
        #expect(allParts.compactMap(\.concatenation?.sequence).sorted() == [1, 2, 3])
        #expect(Set(allParts.compactMap(\.concatenation?.reference)).count == 1)
        let message = try #require(try data.outbox.find("m")?.message)
        #expect(!message.attempts.contains { $0.status == .assumedSent })
        #expect(message.result?.refs.count == 3)
        // The ledger holds exactly the parts the network accepted (invariant 3).
        #expect(try data.ledger.rows().filter { $0.messageID == "m" }.count == 3)
    }
}
