import Foundation
import Logging

/// The running modem workers, one per modem. Modems join (start, hotplug add) and leave
/// (hotplug remove, shutdown) at any time; a leaving worker finishes or hands back the message
/// in its hands first, so nothing is lost or sent twice.
public actor ModemPool {
    private struct Entry {
        var worker: ModemWorker
        var task: Task<Void, Never>
        /// The device key discovery uses for it (USB syspath), when it came from discovery.
        var deviceKey: String?
    }

    private var entries: [String: Entry] = [:]
    /// Workers being removed: they still hold their port until their task ends.
    private var leaving: Set<String> = []
    /// A modem re-plugged while its old worker was still leaving: started once the port is free.
    private var rejoining: [String: (endpoint: ModemEndpoint, deviceKey: String?)] = [:]
    private var stopped = false
    let makeWorker: @Sendable (ModemEndpoint) -> ModemWorker
    let logger: Logger

    public init(logger: Logger, makeWorker: @escaping @Sendable (ModemEndpoint) -> ModemWorker) {
        self.logger = logger
        self.makeWorker = makeWorker
    }

    /// Starts a worker for `endpoint` unless one with the same id is running.
    public func add(_ endpoint: ModemEndpoint, deviceKey: String? = nil) {
        guard !stopped else { return }
        if leaving.contains(endpoint.id) {
            rejoining[endpoint.id] = (endpoint, deviceKey)
            logger.debug("modem back while its old worker is leaving; it joins once the port is free", metadata: ["modem": "\(endpoint.id)"])
            return
        }
        if let existing = entries[endpoint.id] {
            logger.debug("modem already in the pool", metadata: ["modem": "\(endpoint.id)", "port": "\(existing.worker.endpoint.port)"])
            return
        }
        let worker = makeWorker(endpoint)
        let task = Task { await worker.run() }
        entries[endpoint.id] = Entry(worker: worker, task: task, deviceKey: deviceKey)
        logger.info("modem joined the pool", metadata: ["modem": "\(endpoint.id)", "port": "\(endpoint.port)", "origin": "\(endpoint.origin)"])
    }

    /// The modem with discovery key (or id) `key` went away.
    public func remove(deviceKey key: String) async {
        guard let (id, entry) = entries.first(where: { $0.value.deviceKey == key || $0.key == key }),
              !leaving.contains(id) else { return }
        // Forget the worker only once it has released the port: a quick re-plug must not open a
        // port the old worker still holds.
        leaving.insert(id)
        await entry.worker.markRemoved()
        await entry.task.value
        entries[id] = nil
        leaving.remove(id)
        logger.info("modem left the pool", metadata: ["modem": "\(id)"])
        if let back = rejoining.removeValue(forKey: id) { add(back.endpoint, deviceKey: back.deviceKey) }
    }

    public func contains(port: String) -> Bool {
        entries.contains { !leaving.contains($0.key) && $0.value.worker.endpoint.port == port }
    }

    public var count: Int { entries.count }

    /// Rings every worker (new outbox file, credits back …).
    public func wakeAll() async {
        for entry in entries.values { await entry.worker.wake() }
    }

    public func statuses() async -> [ModemStatus] {
        var result: [ModemStatus] = []
        for entry in entries.values { result.append(await entry.worker.currentStatus()) }
        return result.sorted { $0.id < $1.id }
    }

    /// Every worker finishes the message in hand and stops.
    public func stopAll() async {
        stopped = true
        for entry in entries.values { await entry.worker.stop() }
        for entry in entries.values { await entry.task.value }
    }
}
