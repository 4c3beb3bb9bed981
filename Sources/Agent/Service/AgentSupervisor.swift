import Foundation
import Logging
import ServiceLifecycle

/// `smsagent run` under systemd: runs the `AgentRuntime`, tells the service manager where it
/// stands (sd_notify: `READY=1` once the data directory is locked and the workers started,
/// `STATUS=` lines, `WATCHDOG=1` from the runtime's status loop, `RELOADING=1`, `STOPPING=1`),
/// and reloads the configuration on request (SIGHUP) by re-creating the runtime in-process with
/// what may change (`ConfigurationReload`).
///
/// The watchdog keep-alive is sent only from the runtime's status loop, which on every turn
/// queries the dispatcher and every worker: if one of them is stuck, the pings stop and systemd
/// restarts the service after `WatchdogSec=`.
public final class AgentSupervisor: Service, Sendable {
    let initial: AgentConfiguration
    let reread: @Sendable () throws -> AgentConfiguration
    let clock: any AgentClock
    let logger: Logger
    let notifier: SystemdNotifier?
    let watchdog: Duration?
    let state = SupervisorState()

    /// - Parameters:
    ///   - reread: reads the configuration file again (a reload); throws its error as is.
    ///   - notifier: nil when not started by systemd (`$NOTIFY_SOCKET` unset).
    ///   - watchdog: `WatchdogSec=` (nil: no keep-alive expected).
    public init(configuration: AgentConfiguration, reread: @escaping @Sendable () throws -> AgentConfiguration,
                clock: any AgentClock, logger: Logger, notifier: SystemdNotifier?, watchdog: Duration?) {
        self.initial = configuration
        self.reread = reread
        self.clock = clock
        self.logger = logger
        self.notifier = notifier
        self.watchdog = watchdog
    }

    public func run() async throws {
        logger.info("smsagent \(AgentVersion.current) starting", metadata: [
            "systemd": "\(notifier == nil ? "no" : "notify")",
            "watchdog": "\(watchdog.map { DurationText.format($0) } ?? "off")"])
        var configuration = initial
        var fallback: AgentConfiguration?
        while true {
            let ready = Doorbell()
            let runtime = makeRuntime(configuration, ready: ready)
            await state.starting(runtime, configuration: configuration)
            do {
                try await withGracefulShutdownHandler {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            await ready.wait()
                            guard !Task.isCancelled else { return }
                            await self.announceReady(runtime)
                        }
                        try await runtime.run()
                        group.cancelAll()
                    }
                } onGracefulShutdown: {
                    self.send("STOPPING=1")
                }
            } catch {
                guard let previous = fallback, !Task.isShuttingDownGracefully else { throw error }
                logger.error("reload: the new configuration cannot start; back to the previous one", metadata: ["error": "\(error)"])
                configuration = previous
                fallback = nil
                continue
            }
            guard !Task.isShuttingDownGracefully, let next = await state.takeReload() else {
                send("STOPPING=1")
                return
            }
            fallback = configuration
            configuration = next
        }
    }

    /// What SIGHUP does: re-read the file, apply what may change, refuse the rest with a log
    /// line. A file that does not load leaves the agent running as it was.
    public func reload() async {
        send("RELOADING=1\nSTATUS=reloading the configuration")
        guard let current = await state.current() else {
            logger.warning("reload: the agent is starting or already reloading; send SIGHUP again once it runs")
            return
        }
        let (running, runtime) = current
        let reread: AgentConfiguration
        do {
            reread = try self.reread()
        } catch {
            logger.error("reload: configuration not applied; the agent keeps running with the previous one", metadata: ["error": "\(error)"])
            send("READY=1\nSTATUS=reload refused: \(error)")
            return
        }
        let plan = ConfigurationReload.plan(running: running, reread: reread)
        for refusal in plan.refused {
            logger.warning("reload: setting not changed until a restart", metadata: ["key": "\(refusal.key)", "reason": "\(refusal.reason)"])
        }
        guard !plan.isEmpty else {
            logger.notice("reload: nothing to apply")
            send("READY=1")
            return
        }
        guard await state.reload(to: plan.effective, from: runtime) else {
            logger.warning("reload: the agent is starting or already reloading; send SIGHUP again once it runs")
            return
        }
        logger.notice("reload: restarting the workers with the new settings (commands in flight finish first)",
                      metadata: ["changed": "\(plan.applied.joined(separator: ", "))"])
        keepAliveWhileReloading()
        await runtime.requestStop()
    }

    /// Between the old runtime's stop and the new one's first status turn the status loop does
    /// not run: keep systemd's watchdog fed meanwhile, for two minutes at most (a reload stuck
    /// longer than that is left to the watchdog).
    func keepAliveWhileReloading() {
        guard let watchdog, notifier != nil else { return }
        let state = self.state
        Task {
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline, await state.isChanging() {
                self.send("WATCHDOG=1")
                try? await Task.sleep(for: watchdog / 3)
            }
        }
    }

    // MARK: - Internals

    func makeRuntime(_ configuration: AgentConfiguration, ready: Doorbell) -> AgentRuntime {
        var configuration = configuration
        // The keep-alive comes from the status loop: make it turn at least three times a period.
        if let watchdog, configuration.statusInterval > watchdog / 3 {
            configuration.statusInterval = max(.milliseconds(100), watchdog / 3)
        }
        return AgentRuntime(configuration: configuration, clock: clock, logger: logger, ready: ready,
                            onStatus: { [weak self] snapshot in await self?.statusTurn(snapshot) })
    }

    func announceReady(_ runtime: AgentRuntime) async {
        await state.running(runtime)
        send("READY=1\nSTATUS=running")
    }

    func statusTurn(_ snapshot: StatusSnapshot) async {
        guard notifier != nil else { return }
        var message = "STATUS=\(SystemdStatus.line(snapshot))"
        // Keep-alives start with READY=1 (the status loop's first turn may come just before it).
        if watchdog != nil, await !state.isChanging() { message += "\nWATCHDOG=1" }
        send(message)
    }

    func send(_ message: String) {
        guard let notifier else { return }
        if let error = notifier.notify(message) {
            logger.debug("cannot notify systemd", metadata: ["socket": "\(notifier.socketPath)", "errno": "\(error)"])
        }
    }
}

/// The supervisor's phase, one at a time.
actor SupervisorState {
    enum Phase {
        case idle
        case starting(AgentRuntime, AgentConfiguration)
        case running(AgentRuntime, AgentConfiguration)
        case reloading(to: AgentConfiguration)
    }

    private var phase: Phase = .idle

    func starting(_ runtime: AgentRuntime, configuration: AgentConfiguration) {
        phase = .starting(runtime, configuration)
    }

    func running(_ runtime: AgentRuntime) {
        if case .starting(let current, let configuration) = phase, current === runtime {
            phase = .running(runtime, configuration)
        }
    }

    func current() -> (AgentConfiguration, AgentRuntime)? {
        if case .running(let runtime, let configuration) = phase { return (configuration, runtime) }
        return nil
    }

    /// Moves to `reloading` if `runtime` is still the one running.
    func reload(to next: AgentConfiguration, from runtime: AgentRuntime) -> Bool {
        guard case .running(let current, _) = phase, current === runtime else { return false }
        phase = .reloading(to: next)
        return true
    }

    /// Between a reload request and the new runtime's start.
    func isChanging() -> Bool {
        switch phase {
        case .running: false
        case .idle, .starting, .reloading: true
        }
    }

    func takeReload() -> AgentConfiguration? {
        guard case .reloading(let next) = phase else { return nil }
        phase = .idle
        return next
    }
}
