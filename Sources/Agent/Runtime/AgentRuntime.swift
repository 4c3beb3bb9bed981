import Compliance
import Discovery
import Foundation
import Logging
import ModemKit
import Records
import ServiceLifecycle
import Simulator

/// Why the agent could not start, in words a person can act on.
public enum AgentStartError: Error, CustomStringConvertible {
    case dataDirectory(path: String, underlying: String)
    case locked(path: String, holderPID: Int32?)
    case noModems
    case missingBrand
    /// The shared records database could not be opened for a reason waiting will not cure
    /// (schema, key, settings). `url` is shown without its password.
    case records(url: String, underlying: String)
    /// The agent was stopped while it waited for an unreachable records database.
    case recordsUnreachable(url: String, reason: String, attempts: Int)

    public var description: String {
        switch self {
        case .dataDirectory(let path, let underlying): "cannot open the data directory \(path): \(underlying)"
        case .locked(let path, let pid):
            "another smsagent\(pid.map { " (pid \($0))" } ?? "") is running on this data directory (\(path)); stop it first"
        case .noModems: "no modem configured or discovered: add modems.devices, modems.simulated, or plug a modem in with modems.discovery on"
        case .missingBrand: "sender.brand is required: every marketing SMS must name the advertiser (CPCE L34-5)"
        case .records(let url, let underlying): "cannot open the records database \(url): \(underlying)"
        case .recordsUnreachable(let url, let reason, let attempts):
            "the records database \(url) could not be reached (\(attempts) attempt\(attempts == 1 ? "" : "s")): \(reason)"
        }
    }
}

/// The whole sending and receiving agent as one `Service`: takes the data directory's lock,
/// settles what a crash left in `outbox/sending/`, starts one worker per modem (configured,
/// simulated, discovered, and hot-plugged later), wakes them on every new outbox file (inotify),
/// keeps `status.json` up to date, and on graceful shutdown (SIGTERM/SIGINT through
/// `ServiceGroup`, or `requestStop()`) lets every worker finish the command in flight.
public final class AgentRuntime: Service, Sendable {
    public let configuration: AgentConfiguration
    let clock: any AgentClock
    let logger: Logger
    let extraEndpoints: [ModemEndpoint]
    let stopBell = Doorbell()
    let readyBell: Doorbell?
    let onStatus: (@Sendable (StatusSnapshot) async -> Void)?

    /// - Parameters:
    ///   - extraEndpoints: modems given by the caller (`smsagent demo`'s in-process simulators).
    ///   - ready: rung once the agent runs (workers started).
    ///   - onStatus: called on every turn of the status loop (systemd's STATUS= and watchdog).
    public init(configuration: AgentConfiguration, clock: any AgentClock, logger: Logger,
                extraEndpoints: [ModemEndpoint] = [], ready: Doorbell? = nil,
                onStatus: (@Sendable (StatusSnapshot) async -> Void)? = nil) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.extraEndpoints = extraEndpoints
        self.readyBell = ready
        self.onStatus = onStatus
    }

    /// Ends `run()` gracefully (as SIGTERM does).
    public func requestStop() async {
        stopBell.ring()
    }

    public func run() async throws {
        let configuration = self.configuration
        if configuration.sender.brand == nil, configuration.compliance.mode == .marketing {
            throw AgentStartError.missingBrand
        }
        let dataDirectory: DataDirectory
        // A shared database (records.backend: postgres) instead of the files: RecordsBackends.
        // An unreachable database is waited for (with a growing pause), not a reason to stop.
        guard let shared = try await openSharedRecords() else {
            logger.info("agent stopped")
            return
        }
        defer { shared.records?.close() }
        do {
            var options = DataDirectory.Options(
                hashOptOuts: configuration.inbound.hashOptOuts, openingBalance: configuration.credits.openingBalance,
                permissions: .matching(dataDirectory: configuration.dataDirectory), logger: logger)
            options.shared = shared.records?.records
            // The HTTP API opens the same directory: one set of indexes for both (opt-out list loaded once).
            dataDirectory = try DataDirectory.shared(path: configuration.dataDirectory, options: options)
        } catch {
            throw AgentStartError.dataDirectory(path: configuration.dataDirectory, underlying: "\(error)")
        }
        let records = dataDirectory.records
        let lock: DataDirectoryLock
        do {
            lock = try dataDirectory.lock()
        } catch RecordsError.locked(let path, let pid) {
            throw AgentStartError.locked(path: path, holderPID: pid)
        }
        defer { lock.release() }

        try recover(dataDirectory)

        let settings = configuration.hooks
        let hooks = [settings.onReceive, settings.onSent, settings.onFailed].allSatisfy(\.isEmpty)
            ? nil : HookRunner(settings: settings, dataDirectory: dataDirectory.path, logger: logger)
        let dispatcher = Dispatcher(outbox: records.outbox, ledger: records.ledger, optOuts: records.optOuts,
                                    configuration: configuration, clock: clock, logger: logger, hooks: hooks)
        let inbound = InboundProcessor(configuration: configuration, dataDirectory: dataDirectory, clock: clock, logger: logger,
                                           hooks: hooks)
        let statusBell = Doorbell()
        let sentToday = Self.sentToday(ledger: records.ledger, clock: clock,
                                       timeZone: configuration.compliance.zone)
        let clock = self.clock
        let logger = self.logger
        let pool = ModemPool(logger: logger) { endpoint in
            ModemWorker(endpoint: endpoint, dispatcher: dispatcher, configuration: configuration, clock: clock, inbound: inbound,
                        sentToday: sentToday[endpoint.id] ?? 0, modemOptions: configuration.modems.modemOptions, logger: logger,
                        statusChanged: { statusBell.ring() })
        }
        let watcher = try OutboxWatcher(directory: dataDirectory.outbox.path(.new), also: [dataDirectory.outbox.path(.queued)], logger: logger)
        // Shared records: what producers drop in outbox/new/ is carried into the shared outbox.
        let dropBox = dropBoxImport(dataDirectory)
        let startedAt = clock.now()

        let endpoints = configuredEndpoints() + extraEndpoints
        for endpoint in endpoints { await pool.add(endpoint) }
        let discovery = configuration.modems.discovery ? ModemDiscovery(logger: logger) : nil
        if let discovery {
            await discoverAtStart(discovery, pool: pool)
        }
        if await pool.count == 0 {
            guard configuration.modems.discovery && configuration.modems.hotplug else {
                watcher.stop()
                throw AgentStartError.noModems
            }
            logger.notice("no modem found yet; waiting for one to be plugged in (messages stay queued)")
        }

        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in watcher.events {
                        dropBox?.ring()
                        await pool.wakeAll()
                    }
                }
                if let dropBox {
                    group.addTask { await dropBox.run() }
                }
                if let wakeups = records.wakeups {
                    group.addTask {
                        for await _ in wakeups { await pool.wakeAll() }
                    }
                }
                group.addTask {
                    await self.statusLoop(dataDirectory: dataDirectory, pool: pool, dispatcher: dispatcher, bell: statusBell, startedAt: startedAt)
                }
                if let discovery, configuration.modems.hotplug {
                    group.addTask { await self.followHotplug(discovery, pool: pool) }
                }
                if let keep = configuration.sending.keepSettledFor {
                    group.addTask { await self.retentionLoop(records, keep: keep) }
                }
                let hookRun = hooks.map { hooks in Task { await hooks.run() } }
                let count = await pool.count
                logger.info("agent running", metadata: ["data": "\(dataDirectory.path)", "modems": "\(count)",
                                                        "throttle": "\(DurationText.format(configuration.modems.throttle.minInterval)) / \(configuration.modems.throttle.dailyCap) a day"])
                readyBell?.ring()
                // Wake-ups also come from the clock: credits topped up by another process, held messages.
                await stopBell.wait()
                logger.info("stopping: finishing the commands in flight")
                await pool.stopAll()
                watcher.stop()
                // Hooks of what already happened still run, for up to 10 s (systemd stops a unit
                // after 90 s by default); the rest are logged as not run.
                hooks?.finish(within: .seconds(10))
                await hookRun?.value
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopBell.ring()
        }
        try? await writeStatus(dataDirectory: dataDirectory, pool: pool, dispatcher: dispatcher, startedAt: startedAt, state: "stopped")
        logger.info("agent stopped")
    }

    // MARK: - Start-up

    /// The shared records (`records?` nil: the files), or nil when the agent was asked to stop
    /// while it waited for them.
    struct SharedRecords { var records: RecordsBackends.Opened? }

    /// The first pause between two attempts to reach the records database, and the longest.
    static let recordsRetry: (first: Duration, longest: Duration) = (.seconds(1), .seconds(30))

    /// Opens the shared records of `records.backend` (nothing to do on files). While the database
    /// cannot be reached the agent says so — in the log and in `status.json`, naming the URL
    /// without its password — and tries again after 1 s, 2 s, 4 s … up to 30 s, until it answers
    /// or the agent is stopped. Errors that waiting will not cure stop the start.
    func openSharedRecords() async throws -> SharedRecords? {
        guard configuration.records.backend != .files else { return SharedRecords(records: nil) }
        let configuration = self.configuration
        let logger = self.logger
        let url = configuration.records.displayURL ?? "(no records.url)"
        let startedAt = clock.now()
        var pause = Self.recordsRetry.first
        var attempts = 0
        while true {
            attempts += 1
            do {
                let opened = try await Self.onOwnThread {
                    try RecordsBackends.openShared(configuration, agent: true, logger: logger)
                }
                if attempts > 1 { logger.notice("records database reachable; starting", metadata: ["database": "\(url)", "attempts": "\(attempts)"]) }
                return SharedRecords(records: opened)
            } catch where error.isTransientRecordsError {
                let waiting = AgentStartError.recordsUnreachable(url: url, reason: "\(error)", attempts: attempts)
                logger.error("records database unreachable: nothing is sent or deleted from the SIMs until it answers; retrying", metadata: [
                    "database": "\(url)", "error": "\(error)", "attempt": "\(attempts)", "retry_in": "\(DurationText.format(pause))"])
                writeWaitingStatus(url: url, error: "\(waiting)", startedAt: startedAt)
                let stopBell = self.stopBell
                let stopped = await withGracefulShutdownHandler {
                    await stopBell.rang(within: pause)
                } onGracefulShutdown: {
                    stopBell.ring()
                }
                if stopped || Task.isCancelled { return nil }
                pause = min(Self.recordsRetry.longest, pause * 2)
            } catch {
                throw AgentStartError.records(url: url, underlying: "\(error)")
            }
        }
    }

    /// `status.json` while the agent waits for its records database (no modem is started yet).
    private func writeWaitingStatus(url: String, error: String, startedAt: Date) {
        let snapshot = StatusSnapshot(
            updatedAt: clock.now(), pid: getpid(), startedAt: startedAt, state: "waiting for the records database", modems: [],
            queue: QueueStatus(new: 0, sending: 0, sent: 0, failed: 0, waitingForCredits: false),
            credits: CreditStatus(balance: 0, reserved: 0, low: false, exhausted: false), optOuts: 0,
            records: RecordsStatus(location: url, reachable: false, error: error))
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try snapshot.write(dataDirectory: configuration.dataDirectory)
        } catch {
            logger.debug("cannot write status.json", metadata: ["error": "\(error)"])
        }
    }

    /// Runs blocking work (connecting to a database) on a thread of its own, off the cooperative pool.
    public static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = "smsagent-open-records"
            thread.start()
        }
    }

    /// Settles `outbox/sending/` after a crash with the configured ambiguous-window policy, and
    /// makes sure every part the modems accepted is in the ledger (commits are idempotent).
    func recover(_ dataDirectory: DataDirectory) throws {
        let records = dataDirectory.records
        // Each message's charges reach the ledger before it leaves sending/ (the outbox calls
        // back before the move): a kill between the two cannot lose a charge.
        let report = try records.outbox.recoverAfterCrash(policy: configuration.sending.ambiguousWindow) { message in
            try charge(message, ledger: records.ledger)
        }
        guard !report.entries.isEmpty else { return }
        var actions: [String: Int] = [:]
        var ambiguous = 0
        for entry in report.entries {
            actions[entry.action.rawValue, default: 0] += 1
            ambiguous += entry.ambiguousParts.count
        }
        logger.notice("recovered messages left in outbox/sending/ by an interrupted run", metadata: [
            "requeued": "\(actions["requeued"] ?? 0)", "sent": "\(actions["sent"] ?? 0)", "failed": "\(actions["failed"] ?? 0)",
            "ambiguous_parts": "\(ambiguous)", "policy": "\(configuration.sending.ambiguousWindow.rawValue)",
        ])
    }

    /// The drop box's import into shared records (nil on files, where the drop box is the queue).
    func dropBoxImport(_ dataDirectory: DataDirectory) -> DropBoxImport? {
        let records = dataDirectory.records
        guard records.isShared else { return nil }
        guard let target = records.outbox as? any RequestImporting else {
            logger.warning("the shared outbox cannot take files from the drop box; outbox/new/ is not read",
                           metadata: ["drop_box": "\(dataDirectory.outbox.path(.new))"])
            return nil
        }
        return DropBoxImport(importer: DropBoxImporter(files: dataDirectory.outbox, into: target, logger: logger), logger: logger)
    }

    /// Puts in the ledger every part of a recovered message the network took or may have taken:
    /// accepted parts, and parts written with no answer (empty refs: no network reference), each
    /// once (commits are idempotent per message and part). A failure stops the start: a ledger
    /// that misses a part is not carried on with (invariant 3).
    func charge(_ message: OutboxMessage, ledger: any CreditLedger) throws {
        let charged = message.attempts.filter {
            $0.status == .accepted || $0.status == .assumedSent || ($0.status == .interrupted && $0.pduMayHaveBeenWritten)
        }
        guard !charged.isEmpty else { return }
        let messageClass = message.messageClass ?? (message.kind != nil ? .notification : configuration.compliance.effectiveDefaultClass)
        let recipient = (try? PhoneNumber.parse(message.to, defaultCountry: configuration.compliance.defaultCountry).e164) ?? message.to
        for attempt in charged {
            try ledger.commit(row: LedgerRow(
                time: attempt.answeredAt ?? attempt.startedAt, messageID: message.id, recipient: recipient,
                messageClass: messageClass.rawValue, segments: 1, credits: configuration.credits.cost(perSegmentFor: messageClass),
                modem: attempt.modem, refs: attempt.status == .accepted ? attempt.reference.map { [$0] } ?? [] : [], part: attempt.part))
        }
    }

    func configuredEndpoints() -> [ModemEndpoint] {
        var endpoints: [ModemEndpoint] = []
        let modems = configuration.modems
        for device in modems.devices where device.enabled {
            endpoints.append(.serial(id: device.name, path: device.path, baud: device.baud, flowControl: device.flowControl,
                                     pin: device.pin ?? modems.pin, smsc: device.smsc ?? modems.smsc,
                                     throttle: device.throttle ?? modems.throttle, origin: "config"))
        }
        for simulated in modems.simulated where simulated.enabled {
            var simulatorConfiguration = SimulatorConfiguration.fast
            simulatorConfiguration.name = simulated.name
            simulatorConfiguration.ownNumber = simulated.ownNumber
            let dialect = SimulatedDialect(parsing: simulated.profile) ?? SimulatedDialect(profile: .generic)
            let modem = SimulatedModem(profile: dialect.profile, configuration: dialect.configure(simulatorConfiguration), logger: logger)
            endpoints.append(.simulated(modem, id: simulated.name, pin: modems.pin, smsc: modems.smsc,
                                        throttle: simulated.throttle ?? modems.throttle))
        }
        return endpoints
    }

    func discoverAtStart(_ discovery: ModemDiscovery, pool: ModemPool) async {
        let found: [DiscoveredModem]
        do {
            found = try discovery.enumerate()
        } catch {
            logger.warning("modem discovery failed; using the configured modems only", metadata: ["error": "\(error)"])
            return
        }
        for modem in found {
            await join(modem, discovery: discovery, pool: pool)
        }
    }

    func join(_ found: DiscoveredModem, discovery: ModemDiscovery, pool: ModemPool) async {
        var modem = found
        let configuredPaths = Set(configuration.modems.devices.map { Self.resolve($0.path) })
        if let guess = modem.atPort, configuredPaths.contains(Self.resolve(guess)) { return }
        if let guess = modem.atPort, await pool.contains(port: guess) { return }
        // Without --probe, discovery's AT port may be a guess from the vendor layout table: confirm
        // it (and read the IMEI, the modem's stable key) before a worker takes it.
        if !modem.probed {
            modem = await discovery.probe(modem)
        }
        guard let port = modem.atPort else {
            logger.info("USB modem without a usable AT port ignored", metadata: ["device": "\(modem.id)", "reason": "\(modem.reason)"])
            return
        }
        let alreadyRunning = await pool.contains(port: port)
        if configuredPaths.contains(Self.resolve(port)) || alreadyRunning { return }
        let id = [modem.manufacturer, modem.product].compactMap { $0 }.joined(separator: " ").isEmpty
            ? modem.stableKey : "\(modem.product ?? modem.manufacturer ?? "modem")-\(modem.serial ?? URL(fileURLWithPath: port).lastPathComponent)"
        await pool.add(.serial(id: id, path: port, pin: configuration.modems.pin, smsc: configuration.modems.smsc,
                               throttle: configuration.modems.throttle, origin: "discovery"), deviceKey: modem.id)
    }

    func followHotplug(_ discovery: ModemDiscovery, pool: ModemPool) async {
        let events: AsyncStream<HotplugEvent>
        do {
            events = try discovery.hotplug()
        } catch {
            logger.warning("cannot follow modem hotplug events", metadata: ["error": "\(error)"])
            return
        }
        await follow(events, discovery: discovery, pool: pool)
    }

    /// Applies hotplug events: an added modem joins the pool, a removed one leaves it (its message
    /// in hand fails over).
    func follow(_ events: AsyncStream<HotplugEvent>, discovery: ModemDiscovery, pool: ModemPool) async {
        for await event in events {
            switch event {
            case .added(let modem):
                await join(modem, discovery: discovery, pool: pool)
            case .removed(let id, _):
                await pool.remove(deviceKey: id)
            }
        }
    }

    static func resolve(_ path: String) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map {
            $0.hasPrefix("/") ? $0 : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent($0).standardizedFileURL.path
        } ?? path
    }

    /// SMS (segments) each modem sent today, from the ledger, so a restart keeps the daily cap.
    static func sentToday(ledger: any CreditLedger, clock: any AgentClock, timeZone: TimeZone) -> [String: Int] {
        SentToday.segmentsPerModem(ledger: ledger, now: clock.now(), timeZone: timeZone)
    }

    // MARK: - Retention

    /// Deletes settled messages older than `keep` (`sending.keep_settled_for`), at start and every
    /// hour. File times are the machine's real time, so the cutoff is too (not the agent clock).
    func retentionLoop(_ records: RecordSet, keep: Duration) async {
        while !Task.isCancelled {
            do {
                let removed = try records.prune(Date().addingTimeInterval(-keep.timeInterval))
                if removed > 0 {
                    logger.info("settled messages past their retention deleted", metadata: [
                        "messages": "\(removed)", "keep_settled_for": "\(DurationText.format(keep))"])
                }
            } catch {
                logger.warning("cannot prune settled messages", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(3600))
        }
    }

    // MARK: - Status

    func statusLoop(dataDirectory: DataDirectory, pool: ModemPool, dispatcher: Dispatcher, bell: Doorbell, startedAt: Date) async {
        var lastWritten: StatusSnapshot?
        while !Task.isCancelled {
            // Credits topped up by another process: let the workers look again.
            if await dispatcher.waitingForCredits, await dispatcher.recheckCredits() {
                await pool.wakeAll()
            }
            // Written when something changed, and at least once a minute as a heartbeat: an idle
            // agent does not touch the disk every few seconds.
            let snapshot = await makeStatus(dataDirectory: dataDirectory, pool: pool, dispatcher: dispatcher, startedAt: startedAt, state: "running")
            await onStatus?(snapshot)
            var comparable = snapshot
            comparable.updatedAt = lastWritten?.updatedAt ?? snapshot.updatedAt
            if comparable != lastWritten || snapshot.updatedAt.timeIntervalSince(lastWritten?.updatedAt ?? .distantPast) >= 60 {
                do {
                    try snapshot.write(dataDirectory: dataDirectory.path)
                    lastWritten = snapshot
                } catch {
                    logger.debug("cannot write status.json", metadata: ["error": "\(error)"])
                }
            }
            await bell.wait(upTo: configuration.statusInterval)
            if Task.isCancelled { return }
            // Coalesce bursts of changes (a campaign changes something every few milliseconds).
            try? await Task.sleep(for: min(.seconds(1), configuration.statusInterval))
        }
    }

    func writeStatus(dataDirectory: DataDirectory, pool: ModemPool, dispatcher: Dispatcher, startedAt: Date, state: String) async throws {
        try await makeStatus(dataDirectory: dataDirectory, pool: pool, dispatcher: dispatcher, startedAt: startedAt, state: state)
            .write(dataDirectory: dataDirectory.path)
    }

    func makeStatus(dataDirectory: DataDirectory, pool: ModemPool, dispatcher: Dispatcher, startedAt: Date, state: String) async -> StatusSnapshot {
        let records = dataDirectory.records
        var counts = OutboxCounts()
        var recordsStatus: RecordsStatus?
        do {
            counts = try records.outbox.counts()
            if records.isShared { recordsStatus = RecordsStatus(location: records.location, reachable: true) }
        } catch {
            if records.isShared { recordsStatus = RecordsStatus(location: records.location, reachable: false, error: "\(error)") }
        }
        let balance = (try? records.ledger.balance()) ?? 0
        let available = (try? records.ledger.available()) ?? balance
        let waiting = await dispatcher.waitingForCredits
        let optOutCount = (try? records.optOuts.optedOutCount()) ?? 0
        var snapshot = StatusSnapshot(
            updatedAt: clock.now(), pid: getpid(), startedAt: startedAt, state: state,
            modems: await pool.statuses(),
            queue: QueueStatus(new: counts.new, sending: counts.sending, sent: counts.sent, failed: counts.failed, waitingForCredits: waiting),
            credits: CreditStatus(balance: balance, reserved: balance - available, low: balance < configuration.credits.lowBalanceWarning,
                                  exhausted: waiting),
            optOuts: optOutCount, records: recordsStatus)
        let warnings = await dispatcher.marketingWarnings()   // issue 10: marketing withheld from unreadable SIMs
        snapshot.warnings = warnings.isEmpty ? nil : warnings
        return snapshot
    }
}
