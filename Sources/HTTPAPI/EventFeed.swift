import Agent
import Foundation
import Logging
import Records
import ServiceLifecycle
import Synchronization

/// One event of `GET /api/v1/events` and of the webhooks.
public struct FeedEvent: Sendable, Equatable {
    /// This process's feed (its start, in milliseconds since 1970): a `Last-Event-ID` from an
    /// earlier run of the agent names events this run never had.
    public var epoch: String
    public var sequence: Int
    /// `message.queued`, `message.held`, `message.sending`, `message.sent`, `message.failed`, `message.suppressed`,
    /// `inbound.received`, `optout.recorded`, `optin.recorded`, `modem.state`, `credits.low`.
    public var type: String
    /// One JSON object (snake_case), with `type` and `at`.
    public var json: String

    /// The SSE `id:` — what a browser sends back as `Last-Event-ID` when it reconnects.
    public var id: String { "\(epoch)-\(sequence)" }

    var serverSentEvent: String { "id: \(id)\nevent: \(type)\ndata: \(json)\n\n" }
}

/// Watches the data directory and tells subscribers (SSE connections, webhooks) what changed.
///
/// Events are derived from the records themselves — the outbox folders, `inbox.csv`,
/// `optouts.csv`, `credits.csv`, `status.json` — so an event exists only once what it reports is
/// on disk, and the feed needs no hook inside the agent: messages queued by the CLI or by another
/// program appear too. inotify says which file moved where (`FolderWatcher`): a message's event
/// costs reading that one message, never a listing of the outbox, so a deep queue costs nothing
/// while it waits, and an idle agent's feed sleeps.
///
/// Message events are produced while someone listens and for `replayWindow` after the last
/// listener left (so a dashboard that reconnects catches up with `Last-Event-ID`); after that
/// they are not kept, and a later catch-up gets `feed.reset`.
public final class EventFeed: Service, Sendable {
    struct Snapshot: Sendable, Equatable {
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
        /// The last `replayLimit` events, for subscribers that reconnect with `Last-Event-ID`.
        var recent: [FeedEvent] = []
        /// When the last subscriber left (nil while someone listens).
        var idleSince: ContinuousClock.Instant? = .now
    }

    /// How many past events a reconnecting subscriber can catch up on.
    static let replayLimit = 1000
    /// How long after the last listener left message events are still kept for a catch-up.
    static let replayWindow: Duration = .seconds(120)
    private let epoch = String(Int64(Date().timeIntervalSince1970 * 1000))

    private let backend: APIBackend
    private let logger: Logger
    private let state = Mutex(State())
    private static let folders: [OutboxFolder] = [.new, .queued, .sending, .sent, .failed]
    /// Watching from the feed's creation: what changes before `run()` starts is queued by the kernel.
    private let watcher: Result<FolderWatcher, any Error>

    /// The id before the feed's first event: a subscriber that passes it as `lastEventID` gets
    /// every event the feed still keeps (the webhooks, which must not miss what happened while
    /// the service group was starting).
    public var startID: String { "\(epoch)-0" }

    public init(backend: APIBackend, logger: Logger) {
        self.backend = backend
        self.logger = logger
        let outbox = backend.data.outbox
        watcher = Result {
            try FolderWatcher(folders: Self.folders.map { outbox.path($0) } + [backend.data.path], modifications: true,
                              label: "smsagent.event-feed", logger: logger)
        }
    }

    /// A stream of the events from now on. With `lastEventID` (the `Last-Event-ID` header of a
    /// reconnecting EventSource) it first replays what was published after that event; when that
    /// cannot be done — the agent restarted since, or more than `replayLimit` events went by — it
    /// starts with one `feed.reset` event telling the client to reload what it shows.
    public func subscribe(lastEventID: String? = nil) -> AsyncStream<FeedEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: FeedEvent.self, bufferingPolicy: .bufferingNewest(Self.replayLimit + 1))
        let id: Int? = state.withLock { s in
            guard !s.finished else { return nil }
            s.nextSubscriber += 1
            s.subscribers[s.nextSubscriber] = continuation
            s.idleSince = nil
            // Replayed under the lock: an event published meanwhile is either in `recent` (and
            // replayed here) or sent live to this subscriber, never both, never neither.
            if let lastEventID {
                for event in catchUp(after: lastEventID, state: s) { continuation.yield(event) }
            }
            return s.nextSubscriber
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { s in
                s.subscribers.removeValue(forKey: id)
                if s.subscribers.isEmpty { s.idleSince = .now }
            }
        }
        return stream
    }

    private func catchUp(after lastEventID: String, state s: State) -> [FeedEvent] {
        let parts = lastEventID.split(separator: "-", maxSplits: 1)
        if parts.count == 2, parts[0] == epoch, let last = Int(parts[1]), last <= s.sequence {
            let missed = s.recent.filter { $0.sequence > last }
            // Complete only if the buffer still holds the event right after `last`.
            if last == s.sequence || missed.first?.sequence == last + 1 { return missed }
        }
        let reason = parts.first.map { $0 == epoch[...] } == true ? "more events went by than the feed keeps" : "the agent restarted"
        let json = String(decoding: JSONBody.encode(["type": "feed.reset", "at": backend.iso(Date()), "reason": reason]), as: UTF8.self)
        return [FeedEvent(epoch: epoch, sequence: s.sequence, type: "feed.reset", json: json)]
    }

    var hasSubscribers: Bool { state.withLock { !$0.subscribers.isEmpty } }

    /// True while message events are worth producing: someone listens, or left recently enough
    /// to come back for them. Past the window the events are not kept, and the recent ones are
    /// dropped so that a late `Last-Event-ID` gets `feed.reset`, not a silent gap.
    private func producingMessageEvents() -> Bool {
        state.withLock { s in
            guard let idleSince = s.idleSince, idleSince.duration(to: .now) > Self.replayWindow else { return true }
            if !s.recent.isEmpty {
                s.recent = []
                s.sequence += 1   // the event after the last one given out is gone
            }
            return false
        }
    }

    public func run() async throws {
        let watcher: FolderWatcher
        switch self.watcher {
        case .success(let value): watcher = value
        case .failure(let error):
            logger.error("event feed: cannot watch the data directory; no events", metadata: ["error": "\(error)"])
            finish()
            return
        }
        await withGracefulShutdownHandler {
            await loop(watcher: watcher, folders: Self.folders)
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
        if case .success(let watcher) = watcher { watcher.stop() }
    }

    private func loop(watcher: FolderWatcher, folders: [OutboxFolder]) async {
        let backend = self.backend
        var previous: Snapshot
        do {
            previous = try await offload { try Self.snapshot(backend) }
        } catch {
            logger.warning("event feed: cannot read the data directory", metadata: ["error": "\(error)"])
            previous = Snapshot()
        }
        let dataFiles: Set<String> = ["inbox.csv", "optouts.csv", "credits.csv", StatusSnapshot.fileName]
        for await batch in watcher.changes {
            if Task.isCancelled || state.withLock({ $0.finished }) { return }
            // Message ids in the order they first moved, once each: their state is read now.
            var seen = Set<String>()
            var moved: [String] = []
            var recordsChanged = batch.overflowed
            for change in batch.changes {
                if change.folder < folders.count {
                    guard change.kind == .arrived, change.name.hasSuffix(".json") else { continue }
                    let id = String(change.name.dropLast(5))
                    if seen.insert(id).inserted { moved.append(id) }
                } else if dataFiles.contains(change.name) {
                    recordsChanged = true
                }
            }
            do {
                if !moved.isEmpty, producingMessageEvents() {
                    let moved = moved
                    let events = try await offload { SendableBox(moved.compactMap { id -> (String, [String: Any])? in
                        guard let state = try? backend.messageState(id: id), let name = state["state"] as? String else { return nil }
                        return ("message." + name, state)
                    }) }
                    for event in events.value as? [(String, [String: Any])] ?? [] { publish(event.0, event.1) }
                }
                if recordsChanged {
                    let current = try await offload { try Self.snapshot(backend) }
                    if current != previous {
                        let events = try await offload { [previous] in SendableBox(Self.diff(previous, current, backend: backend)) }
                        for event in events.value as? [(String, [String: Any])] ?? [] { publish(event.0, event.1) }
                        previous = current
                    }
                }
                if batch.overflowed {
                    publish("feed.reset", ["reason": "too many changes at once: reload"])
                }
            } catch {
                logger.warning("event feed: cannot read the data directory", metadata: ["error": "\(error)"])
            }
        }
    }

    func publish(_ type: String, _ fields: [String: Any]) {
        var object = fields
        object["type"] = type
        object["at"] = backend.iso(Date())
        let json = String(decoding: JSONBody.encode(object), as: UTF8.self)
        let (continuations, event) = state.withLock { s -> ([AsyncStream<FeedEvent>.Continuation], FeedEvent) in
            s.sequence += 1
            let event = FeedEvent(epoch: epoch, sequence: s.sequence, type: type, json: json)
            s.recent.append(event)
            if s.recent.count > Self.replayLimit { s.recent.removeFirst(s.recent.count - Self.replayLimit) }
            return (Array(s.subscribers.values), event)
        }
        for continuation in continuations { continuation.yield(event) }
    }

    static func snapshot(_ backend: APIBackend) throws -> Snapshot {
        var snapshot = Snapshot()
        snapshot.inboxCount = try backend.data.records.inbox.all().count
        snapshot.optOutEventCount = try backend.data.records.optOuts.eventCount()
        if let status = try? StatusSnapshot.read(dataDirectory: backend.data.path) {
            snapshot.modems = Dictionary(status.modems.map { ($0.id, $0.state) }, uniquingKeysWith: { a, _ in a })
        }
        snapshot.creditsLow = try backend.data.records.ledger.balance() < backend.configuration.credits.lowBalanceWarning
        return snapshot
    }

    static func diff(_ old: Snapshot, _ new: Snapshot, backend: APIBackend) -> [(String, [String: Any])] {
        var events: [(String, [String: Any])] = []
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
