import Agent
import Foundation
import Logging
import Records
import ServiceLifecycle
import Synchronization

/// One event of `GET /api/v1/events` and of the webhooks.
public struct FeedEvent: Sendable, Equatable {
    public var sequence: Int
    /// `message.queued`, `message.held`, `message.sending`, `message.sent`, `message.failed`, `message.suppressed`,
    /// `inbound.received`, `optout.recorded`, `optin.recorded`, `modem.state`, `credits.low`.
    public var type: String
    /// One JSON object (snake_case), with `type` and `at`.
    public var json: String

    var serverSentEvent: String { "id: \(sequence)\nevent: \(type)\ndata: \(json)\n\n" }
}

/// Watches the data directory and tells subscribers (SSE connections, webhooks) what changed.
///
/// Events are derived from the records themselves — the outbox folders, `inbox.csv`,
/// `optouts.csv`, `status.json` — so an event exists only once what it reports is on disk, and
/// the feed needs no hook inside the agent: messages queued by the CLI or by another program
/// appear too. It looks every `interval` (default 250 ms) while someone listens, and not at all
/// otherwise: listing four folders and re-folding two CSV files the stores already cache.
public final class EventFeed: Service, Sendable {
    struct Snapshot: Sendable {
        var messages: [String: OutboxFolder] = [:]
        var inboxCount = 0
        var optOutEventCount = 0
        var modems: [String: String] = [:]
        var creditsLow = false
    }

    private struct State {
        var subscribers: [Int: AsyncStream<FeedEvent>.Continuation] = [:]
        var nextSubscriber = 0
        var sequence = 0
        var finished = false
    }

    private let backend: APIBackend
    private let interval: Duration
    private let logger: Logger
    private let state = Mutex(State())
    /// Wakes the loop when the first subscriber arrives.
    private let wake: AsyncStream<Void>.Continuation
    private let wakeups: AsyncStream<Void>

    public init(backend: APIBackend, interval: Duration = .milliseconds(250), logger: Logger) {
        self.backend = backend
        self.interval = interval
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func subscribe() -> AsyncStream<FeedEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: FeedEvent.self, bufferingPolicy: .bufferingNewest(1000))
        let id: Int? = state.withLock { s in
            guard !s.finished else { return nil }
            s.nextSubscriber += 1
            s.subscribers[s.nextSubscriber] = continuation
            return s.nextSubscriber
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        wake.yield()
        return stream
    }

    var hasSubscribers: Bool { state.withLock { !$0.subscribers.isEmpty } }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await loop()
        } onGracefulShutdown: {
            self.finish()
        }
        finish()
    }

    private func finish() {
        let continuations = state.withLock { s -> [AsyncStream<FeedEvent>.Continuation] in
            s.finished = true
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        continuations.forEach { $0.finish() }
        wake.finish()
    }

    private func loop() async {
        var previous: Snapshot?
        var wakeIterator = wakeups.makeAsyncIterator()
        while !Task.isCancelled, !state.withLock({ $0.finished }) {
            if !hasSubscribers {
                previous = nil
                guard await wakeIterator.next() != nil else { return }
                continue
            }
            let backend = self.backend
            do {
                let snapshot = try await offload { try Self.scan(backend) }
                if let previous {
                    let events = try await offload { SendableBox(Self.diff(previous, snapshot, backend: backend)) }
                    for event in events.value as? [(String, [String: Any])] ?? [] { publish(event.0, event.1) }
                }
                previous = snapshot
            } catch {
                logger.warning("event feed: cannot read the data directory", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    func publish(_ type: String, _ fields: [String: Any]) {
        var object = fields
        object["type"] = type
        object["at"] = backend.iso(Date())
        let json = String(decoding: JSONBody.encode(object), as: UTF8.self)
        let continuations = state.withLock { s -> ([AsyncStream<FeedEvent>.Continuation], Int) in
            s.sequence += 1
            return (Array(s.subscribers.values), s.sequence)
        }
        let event = FeedEvent(sequence: continuations.1, type: type, json: json)
        for continuation in continuations.0 { continuation.yield(event) }
    }

    static func scan(_ backend: APIBackend) throws -> Snapshot {
        var snapshot = Snapshot()
        let outbox = backend.data.outbox
        for folder in [OutboxFolder.new, .sending, .sent, .failed] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: outbox.path(folder))) ?? []
            for name in names where name.hasSuffix(".json") && !name.hasPrefix(".") {
                snapshot.messages[String(name.dropLast(5))] = folder
            }
        }
        snapshot.inboxCount = try backend.data.records.inbox.all().count
        snapshot.optOutEventCount = try backend.data.records.optOuts.events().count
        if let status = try? StatusSnapshot.read(dataDirectory: backend.data.path) {
            snapshot.modems = Dictionary(status.modems.map { ($0.id, $0.state) }, uniquingKeysWith: { a, _ in a })
        }
        snapshot.creditsLow = try backend.data.records.ledger.balance() < backend.configuration.credits.lowBalanceWarning
        return snapshot
    }

    static func diff(_ old: Snapshot, _ new: Snapshot, backend: APIBackend) -> [(String, [String: Any])] {
        var events: [(String, [String: Any])] = []
        for (id, folder) in new.messages.sorted(by: { $0.key < $1.key }) where old.messages[id] != folder {
            guard let state = try? backend.messageState(id: id), let name = state["state"] as? String else { continue }
            events.append(("message." + name, state))
        }
        if new.inboxCount > old.inboxCount, let records = try? backend.data.records.inbox.all() {
            for r in records.suffix(new.inboxCount - old.inboxCount) {
                events.append(("inbound.received", ["id": r.fingerprint, "from": r.from, "text": r.text, "modem": r.modem,
                                                    "keyword_result": r.keywordResult, "needs_review": r.needsReview]))
            }
        }
        if new.optOutEventCount > old.optOutEventCount, let all = try? backend.data.records.optOuts.events() {
            for e in all.suffix(new.optOutEventCount - old.optOutEventCount) {
                events.append((e.event == .optout ? "optout.recorded" : "optin.recorded",
                               ["number": e.number, "keyword": e.keyword, "modem": e.modem, "source": e.source]))
            }
        }
        for (id, state) in new.modems.sorted(by: { $0.key < $1.key }) where old.modems[id] != state {
            events.append(("modem.state", ["modem": id, "state": state, "previous": old.modems[id] ?? "absent"]))
        }
        if new.creditsLow && !old.creditsLow {
            events.append(("credits.low", ["balance": (try? backend.data.records.ledger.balance()) ?? 0,
                                           "low_balance_warning": backend.configuration.credits.lowBalanceWarning]))
        }
        return events
    }
}
