import Compliance
import Foundation
import Logging
import ModemKit
import Records
import SMSCodec
@testable import Agent
@testable import Simulator

/// A temporary data directory, an in-memory simulated modem driven by a real `Modem`, and
/// `InboundProcessor`s over them (a new processor instance stands for a restarted agent).
struct InboundFixture {
    let root: URL
    let configuration: AgentConfiguration
    let dataDirectory: DataDirectory
    let simulator: SimulatedModem
    let modem: Modem
    let modemID: String
    let clock: FixedClock

    static let brand = "Boulangerie Martin"

    static func quietLogger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        return logger
    }

    static func make(hashOptOuts: Bool = false, storageCapacity: Int = 30, modemID: String = "sim0",
                     root existing: URL? = nil) async throws -> InboundFixture {
        let root = existing ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("inbound-\(UUID().uuidString)", isDirectory: true)
        var configuration = AgentConfiguration()
        configuration.dataDirectory = root.path
        configuration.sender.brand = brand
        configuration.sender.stopNumber = "+33600000001"
        configuration.inbound.hashOptOuts = hashOptOuts
        let dataDirectory = try DataDirectory(path: root.path, options: .init(hashOptOuts: hashOptOuts, openingBalance: 100))
        var simulatorConfiguration = SimulatorConfiguration()
        simulatorConfiguration.storageCapacity = storageCapacity
        simulatorConfiguration.fixedLatency = .zero
        simulatorConfiguration.bootURCs = false
        simulatorConfiguration.name = modemID
        let simulator = SimulatedModem(configuration: simulatorConfiguration)
        let modem = Modem(transport: await simulator.connectInMemory(), logger: InboundFixture.quietLogger("test.modem"))
        try await modem.initialise()
        return InboundFixture(root: root, configuration: configuration, dataDirectory: dataDirectory,
                              simulator: simulator, modem: modem, modemID: modemID, clock: FixedClock(Date()))
    }

    /// A new processor: the same data directory, as an agent started again would see it.
    func processor(stores: InboundStores? = nil, now: Date? = nil, configure: (inout AgentConfiguration) -> Void = { _ in })
        -> InboundProcessor
    {
        var configuration = self.configuration
        configure(&configuration)
        return InboundProcessor(configuration: configuration, stores: stores ?? InboundStores(dataDirectory),
                                clock: now.map(FixedClock.init) ?? clock, logger: InboundFixture.quietLogger("test.inbound"))
    }

    @discardableResult
    func drain(_ processor: InboundProcessor) async throws -> InboundReport {
        try await processor.drain(modem: modem, modemID: modemID)
    }

    func inbound(_ from: String, _ text: String, partOrder: [Int]? = nil) async throws {
        try await simulator.injectInbound(from: from, text: text, partOrder: partOrder)
    }

    /// Messages still in the SIM's storage.
    func simCount() async -> Int { await simulator.storedPDUs().count }

    func optOutEvents() throws -> [OptOutEvent] { try dataDirectory.optOuts.events() }

    func isOptedOut(_ raw: String) throws -> Bool {
        try dataDirectory.optOuts.isOptedOut(PhoneNumber.parse(raw, defaultCountry: "FR"))
    }

    /// Replies of `kind` in any outbox folder.
    func replies(kind: String) throws -> [OutboxMessage] {
        try OutboxFolder.allCases.flatMap { try dataDirectory.outbox.messages(in: $0) }.filter { $0.kind == kind }
    }

    func archive() throws -> [InboundRecord] { try dataDirectory.inbox.all() }

    func close() async {
        await modem.close()
        await simulator.shutdown()
        try? FileManager.default.removeItem(at: root)
    }
}

extension SimulatedModem {
    /// Stores `pdu` as if the network had delivered it (no URC): a malformed PDU, a status report,
    /// or a part delivered later than the others.
    func deliverRaw(_ pdu: String) {
        _ = engine.deliverInbound(pdu)
    }
}

/// An archive whose appends fail, as a full or broken disk would make them.
struct FailingArchive: InboxArchive {
    struct Failure: Error, CustomStringConvertible { var description: String { "injected archive failure (ENOSPC)" } }
    func append(_ record: InboundRecord) throws -> Bool { throw Failure() }
    func contains(fingerprint: String) throws -> Bool { false }
    func all() throws -> [InboundRecord] { [] }
    func review() throws -> [InboundRecord] { [] }
}

/// An outbox whose enqueue fails (the crash window after the opt-out write, before the reply).
struct FailingEnqueueOutbox: Outbox {
    struct Failure: Error, CustomStringConvertible { var description: String { "injected enqueue failure" } }
    let base: FileOutbox
    func enqueue(_ message: OutboxMessage) throws { throw Failure() }
    func claimNext(now: Date) throws -> ClaimedMessage? { try base.claimNext(now: now) }
    func earliestHeldUntil() throws -> Date? { try base.earliestHeldUntil() }
    func recordAttempt(_ id: String, _ attempt: SendAttempt) throws { try base.recordAttempt(id, attempt) }
    func recordPartAccepted(_ id: String, part: Int, reference: Int, at: Date, next: SendAttempt?) throws {
        try base.recordPartAccepted(id, part: part, reference: reference, at: at, next: next)
    }
    func recordPartRejected(_ id: String, part: Int, reason: String, at: Date) throws {
        try base.recordPartRejected(id, part: part, reason: reason, at: at)
    }
    func recordPartOutcome(_ id: String, part: Int, status: SendAttempt.Status, reason: String, at: Date) throws {
        try base.recordPartOutcome(id, part: part, status: status, reason: reason, at: at)
    }
    func complete(_ id: String, result: SendResult) throws { try base.complete(id, result: result) }
    func requeue(_ id: String, notBefore: Date?) throws { try base.requeue(id, notBefore: notBefore) }
    func recoverAfterCrash(policy: AmbiguousSendPolicy) throws -> RecoveryReport { try base.recoverAfterCrash(policy: policy) }
    func counts() throws -> OutboxCounts { try base.counts() }
    func find(_ id: String) throws -> (folder: OutboxFolder, message: OutboxMessage)? { try base.find(id) }
}

extension InboundStores {
    func replacing(archive: (any InboxArchive)? = nil, outbox: (any Outbox)? = nil) -> InboundStores {
        var copy = self
        if let archive { copy.archive = archive }
        if let outbox { copy.outbox = outbox }
        return copy
    }
}
