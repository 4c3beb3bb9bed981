import Compliance
import Foundation
import Logging
import ModemKit
import Records
import SMSCodec

/// The receiving side's entry point, as the worker calls it (implemented by `InboundProcessor`).
public protocol InboundDrainer: Sendable {
    func drain(modem: Modem, modemID: String) async throws -> InboundReport
    /// A PDU the modem routed to us (`+CMT` / `+CDS`) instead of storing it: it exists nowhere else.
    func receiveRouted(pduHex: String, modemID: String) async -> InboundReport
}

extension InboundProcessor: InboundDrainer {}

/// One modem's worker: connects and initialises it, drains its inbound SMS (on `+CMTI`, at start
/// and every poll interval), and sends what the dispatcher gives it — all parts of a message on
/// this modem, `AT+CMGS` after `AT+CMGS`, respecting the SIM's throttle. Failures climb the
/// `ModemHealth` ladder (retry → re-initialise → reset → unhealthy); the message in hand goes
/// back to the queue (another modem takes it) unless the ambiguous-window policy says otherwise.
public actor ModemWorker {
    public nonisolated let endpoint: ModemEndpoint
    let dispatcher: Dispatcher
    let configuration: AgentConfiguration
    let clock: any AgentClock
    let inbound: (any InboundDrainer)?
    let statusChanged: @Sendable () -> Void
    var logger: Logger
    let doorbell = Doorbell()

    private var stopping = false
    private var removed = false
    private var modem: Modem?
    private var urcTask: Task<Void, Never>?
    private var lost = false
    private var needsInitialise = false
    private var health: ModemHealth
    private var throttle: SIMThrottle
    private var inboundDue = true
    private var nextPoll = Date.distantPast
    private var nextKeepalive = Date.distantFuture
    private var unhealthyUntil: Date?
    private var parked: String?
    private var policy: SendPolicy?
    private var concatCounter = UInt8.random(in: 0...255)
    private var status: ModemStatus
    private let modemOptions: ModemOptions
    private var capLogged = false
    private var inboundErrorLogged = false

    public init(endpoint: ModemEndpoint, dispatcher: Dispatcher, configuration: AgentConfiguration, clock: any AgentClock,
                inbound: (any InboundDrainer)?, sentToday: Int = 0, modemOptions: ModemOptions = ModemOptions(), logger: Logger,
                statusChanged: @escaping @Sendable () -> Void = {}) {
        self.endpoint = endpoint
        self.modemOptions = modemOptions
        self.dispatcher = dispatcher
        self.configuration = configuration
        self.clock = clock
        self.inbound = inbound
        self.statusChanged = statusChanged
        var logger = logger
        logger[metadataKey: "modem"] = "\(endpoint.id)"
        self.logger = logger
        self.health = ModemHealth(settings: configuration.sending.retry)
        let zone = configuration.compliance.zone
        self.throttle = SIMThrottle(settings: endpoint.throttle, timeZone: zone, sentToday: sentToday, now: clock.now())
        self.status = ModemStatus(id: endpoint.id, port: endpoint.port, state: "starting")
        self.status.throttle.minIntervalMilliseconds = Int64(endpoint.throttle.minInterval.timeInterval * 1000)
        self.status.throttle.dailyCap = endpoint.throttle.dailyCap
        self.status.throttle.sentToday = sentToday
    }

    // MARK: - Control

    /// Finish the message in hand, then stop.
    public func stop() async {
        stopping = true
        await doorbell.ring()
    }

    /// The device went away (hotplug): stop after the message in hand (which fails over).
    public func markRemoved() async {
        removed = true
        lost = true
        await doorbell.ring()
    }

    /// Something may be waiting (outbox event, credits back, a held message due).
    public func wake() async { await doorbell.ring() }

    public func currentStatus() -> ModemStatus { status }

    // MARK: - Main loop

    public func run() async {
        logger.info("modem worker started", metadata: ["port": "\(endpoint.port)"])
        while !stopping && !removed {
            if let parked {
                setState("unhealthy", error: parked)
                await doorbell.wait()
                continue
            }
            if let until = unhealthyUntil {
                let now = clock.now()
                if now < until {
                    await doorbell.wait(upTo: Duration(timeInterval: until.timeIntervalSince(now)))
                    continue
                }
                unhealthyUntil = nil
                health.revive()
                logger.info("trying the unhealthy modem again")
            }
            if lost { await disconnect() }
            guard let modem = self.modem else {
                await connect()
                continue
            }
            if needsInitialise {
                needsInitialise = false
                do { try await modem.initialise() } catch { await failure(error, modem: modem) ; continue }
            }
            let now = clock.now()
            if inboundDue || now >= nextPoll {
                await drainInbound(modem)
            }
            if stopping || lost { continue }
            switch throttle.verdict(now: clock.now()) {
            case .go:
                if status.throttle.waitingUntil != nil || status.throttle.capReached {
                    status.throttle.waitingUntil = nil
                    status.throttle.capReached = false
                    capLogged = false
                }
            case .waitUntil(let until):
                status.throttle.waitingUntil = until
                await doorbell.wait(upTo: min(Duration(timeInterval: until.timeIntervalSince(clock.now())), untilNextPoll()))
                continue
            case .capReached(let until):
                status.throttle.capReached = true
                status.throttle.waitingUntil = until
                if !capLogged {
                    capLogged = true
                    logger.warning("daily cap reached for this SIM; it sends again tomorrow",
                                   metadata: ["cap": "\(endpoint.throttle.dailyCap)", "until": "\(until)"])
                    statusChanged()
                }
                await doorbell.wait(upTo: min(Duration(timeInterval: until.timeIntervalSince(clock.now())), untilNextPoll()))
                continue
            }
            guard let policy else {
                await doorbell.wait(upTo: untilNextPoll())
                continue
            }
            if let job = await dispatcher.nextJob(modemID: endpoint.id, policy: policy) {
                await send(job, on: modem)
                continue
            }
            // Idle: sleep until an event, the next inbound poll, a held message's time, or a keepalive.
            var wake = nextPoll
            if let held = await dispatcher.earliestHeldUntil(), held < wake { wake = held }
            if nextKeepalive < wake { wake = nextKeepalive }
            if clock.now() >= nextKeepalive {
                await keepalive(modem)
                continue
            }
            await doorbell.wait(upTo: max(.milliseconds(5), Duration(timeInterval: wake.timeIntervalSince(clock.now()))))
        }
        await disconnect()
        setState(removed ? "removed" : "stopped", error: nil)
        logger.info("modem worker stopped")
    }

    private func untilNextPoll() -> Duration {
        max(.milliseconds(5), Duration(timeInterval: nextPoll.timeIntervalSince(clock.now())))
    }

    // MARK: - Connection

    private func connect() async {
        setState("starting", error: nil)
        let transport: any ByteTransport
        do {
            transport = try await endpoint.open()
        } catch {
            await connectFailed("cannot open \(endpoint.port): \(error)")
            return
        }
        let modem = Modem(transport: transport, options: modemOptions, logger: logger)
        await modem.start()
        self.modem = modem
        lost = false
        let urcs = modem.unsolicited
        urcTask = Task { [weak self] in
            for await urc in urcs {
                await self?.handle(urc)
            }
        }
        do {
            try await modem.initialise()
            try await modem.unlockIfNeeded(pin: endpoint.pin)
            if let smsc = endpoint.smsc { try await modem.setServiceCentre(smsc) }
        } catch let error as ModemError {
            switch error {
            case .pinRequired, .pinRejected, .pinAlreadyAttempted, .pinAttemptsTooLow, .pukRequired, .simNotInserted, .simLocked:
                // Never retried in this run: a wrong PIN must not be entered twice (invariant 6).
                parked = error.description
                logger.error("SIM problem; this modem is not used until the agent restarts", metadata: ["error": "\(error)"])
                await disconnect()
                return
            default:
                await disconnect()
                await connectFailed("initialisation failed: \(error)")
                return
            }
        } catch {
            await disconnect()
            await connectFailed("initialisation failed: \(error)")
            return
        }
        if let identity = try? await modem.identity() {
            status.manufacturer = identity.manufacturer
            status.model = identity.model
            status.imei = identity.imei
        }
        let ownNumber = (try? await modem.ownNumber()) ?? nil
        status.ownNumber = ownNumber
        await refreshRadio(modem)
        let stopNumberText = configuration.sender.stopNumber ?? ownNumber
        guard let stopNumberText,
              let stopNumber = try? PhoneNumber.parse(stopNumberText, defaultCountry: configuration.compliance.defaultCountry) else {
            parked = "no STOP number: the SIM does not know its own number (AT+CNUM); set sender.stop_number"
            logger.error("cannot build the STOP footer; set sender.stop_number in the configuration", metadata: ["own_number": "\(ownNumber ?? "unknown")"])
            await disconnect()
            return
        }
        policy = configuration.sendPolicy(stopNumber: stopNumber)
        health.succeeded()
        inboundDue = true
        nextKeepalive = clock.now().addingTimeInterval(configuration.modems.keepaliveInterval.timeInterval)
        setState("ready", error: nil)
        logger.info("modem ready", metadata: ["own_number": "\(ownNumber ?? "unknown")", "stop_number": "\(stopNumber.e164)",
                                              "operator": "\(status.operatorName ?? "?")", "signal_dbm": "\(status.signalDBm.map(String.init) ?? "?")"])
    }

    private func connectFailed(_ reason: String) async {
        setState("degraded", error: reason)
        switch health.failed() {
        case .retry(let after):
            logger.notice("modem not available; retrying", metadata: ["reason": "\(reason)", "in": "\(after)"])
            await doorbell.wait(upTo: after)
        case .reinitialise, .reset:
            await doorbell.wait(upTo: health.backoff(health.settings.attemptsBeforeReinitialise))
        case .markUnhealthy(let retryAfter):
            markUnhealthy(reason: reason, retryAfter: retryAfter)
        }
    }

    private func markUnhealthy(reason: String, retryAfter: Duration) {
        unhealthyUntil = clock.now().addingTimeInterval(retryAfter.timeInterval)
        setState("unhealthy", error: reason)
        logger.warning("modem unhealthy; its work goes to the other modems", metadata: ["reason": "\(reason)", "retry_in": "\(retryAfter)"])
    }

    private func disconnect() async {
        urcTask?.cancel()
        urcTask = nil
        if let modem {
            await modem.close()
        }
        modem = nil
        lost = false
        if !stopping && !removed && parked == nil { setState("disconnected", error: status.lastError) }
    }

    private func handle(_ urc: UnsolicitedResult) async {
        switch urc {
        case .newMessage, .statusReportStored:
            inboundDue = true
            await doorbell.ring()
        case .deliver(let pduHex, _), .statusReport(let pduHex, _):
            // Routed, not stored (a modem that ignores our AT+CNMI choice): handle it now, it is
            // nowhere else; then look at the storage too.
            if let inbound { _ = await inbound.receiveRouted(pduHex: pduHex, modemID: endpoint.id) }
            inboundDue = true
            await doorbell.ring()
        case .modemRestarted:
            needsInitialise = true
            await doorbell.ring()
        case .transportClosed(_, let reason):
            if !stopping {
                logger.warning("modem port closed", metadata: ["reason": "\(reason)"])
                lost = true
                status.lastError = "port closed: \(reason)"
            }
            await doorbell.ring()
        case .registration(let registration):
            status.registration = Self.describe(registration.state)
            statusChanged()
        case .simStatus(let sim):
            logger.notice("SIM status changed", metadata: ["sim": "\(sim)"])
        default:
            break
        }
    }

    // MARK: - Inbound

    private func drainInbound(_ modem: Modem) async {
        inboundDue = false
        nextPoll = clock.now().addingTimeInterval(configuration.inbound.pollInterval.timeInterval)
        guard let inbound else { return }
        do {
            _ = try await inbound.drain(modem: modem, modemID: endpoint.id)
            inboundErrorLogged = false
        } catch let error as ModemError {
            if case .transportClosed = error { lost = true; return }
            if !inboundErrorLogged {
                inboundErrorLogged = true
                logger.warning("reading inbound SMS failed; will retry at the next poll", metadata: ["error": "\(error)"])
            }
        } catch {
            if !inboundErrorLogged {
                inboundErrorLogged = true
                logger.warning("reading inbound SMS failed; will retry at the next poll", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: - Sending

    private func nextConcatReference() -> UInt8 {
        concatCounter &+= 1
        return concatCounter
    }

    private func send(_ job: SendJob, on modem: Modem) async {
        let reference = job.concatReference ?? nextConcatReference()
        let pdus: [SubmitPDU]
        do {
            var options = SubmitOptions(requestStatusReport: configuration.sending.statusReports, concatReference: reference)
            if let validity = configuration.sending.validity {
                options.validity = .relative(minutes: Int(validity.timeInterval / 60))
            }
            pdus = try SMSSubmitEncoder.encode(to: job.recipient.e164, plan: job.plan, options: options)
        } catch {
            await dispatcher.failed(job, modem: endpoint.id, reason: "cannot encode the message: \(error)")
            return
        }
        setState("sending", error: nil)
        var references = job.message.attempts
            .filter { $0.status == .accepted && job.doneParts.contains($0.part) }
            .sorted { $0.part < $1.part }.compactMap(\.reference)
        let assumed = job.message.attempts.contains { $0.status == nil && job.doneParts.contains($0.part) }
        let pending = pdus.filter { !job.doneParts.contains($0.partNumber) }
        // The part whose attempt is already on disk (recorded with the previous part's answer).
        var recorded: Int?
        for (position, pdu) in pending.enumerated() {
            if await modem.isClosed {
                // The port is gone before this part was written: nothing ambiguous, the job goes back.
                if recorded == pdu.partNumber {
                    await dispatcher.rejected(job, part: pdu.partNumber, reason: "not sent: the port closed before it was written")
                }
                lost = true
                await dispatcher.giveBack(job)
                return
            }
            if recorded != pdu.partNumber {
                do {
                    try await dispatcher.willSubmit(job, part: pdu.partNumber, modem: endpoint.id, concatReference: reference)
                } catch {
                    logger.error("cannot record the send attempt; not sending", metadata: ["id": "\(job.id)", "error": "\(error)"])
                    await dispatcher.giveBack(job)
                    setState("ready", error: nil)
                    return
                }
            }
            let started = ContinuousClock.now
            do {
                let mr = try await modem.send(pduHex: pdu.hex, tpduLength: pdu.tpduLength)
                references.append(mr)
                // The answer and the next part's attempt in one durable write.
                let next = position + 1 < pending.count ? pending[position + 1].partNumber : nil
                let nextRecorded = await dispatcher.accepted(job, part: pdu.partNumber, reference: mr, modem: endpoint.id,
                                                             next: next.map { ($0, reference) })
                recorded = nextRecorded ? next : nil
            } catch {
                await sendFailed(job, part: pdu.partNumber, remainingAfter: pdus.filter { $0.partNumber > pdu.partNumber && !job.doneParts.contains($0.partNumber) }.count,
                                 error: error, elapsed: ContinuousClock.now - started, modem: modem)
                return
            }
        }
        throttle.recordSend(at: clock.now(), segments: job.partCount)
        status.throttle.sentToday = throttle.sentToday
        health.succeeded()
        status.sent += 1
        await dispatcher.sent(job, modem: endpoint.id, references: references, assumed: assumed)
        logger.debug("sent", metadata: ["id": "\(job.id)", "to": "\(job.recipient.e164)", "parts": "\(job.partCount)", "refs": "\(references)"])
        setState("ready", error: nil)
    }

    /// A part failed. Definite errors (`+CMS ERROR`, `ERROR`): the part was not sent. No answer
    /// (timeout, port closed, garbage): the ambiguous window — the policy decides.
    private func sendFailed(_ job: SendJob, part: Int, remainingAfter: Int, error: any Error, elapsed: Duration, modem: Modem) async {
        let modemError = error as? ModemError
        let reason = modemError?.description ?? "\(error)"
        status.lastError = reason
        if Self.neverWritten(modemError, elapsed: elapsed, options: modemOptions) {
            // The `> ` prompt never came, so the PDU was not written: not sent, no ambiguity.
            await dispatcher.rejected(job, part: part, reason: "not sent: \(reason)")
            let action = health.failed()
            await dispatcher.retryLater(job, modem: endpoint.id, reason: reason, backoff: retryDelay(action))
            await perform(action, modem: modem, reason: reason)
            return
        }
        switch modemError {
        case .cms?, .cme?, .error?:
            await dispatcher.rejected(job, part: part, reason: reason)
            if let modemError, Self.isMessageProblem(modemError) {
                // The network refused this message or this recipient: another modem would too.
                status.failed += 1
                await dispatcher.failed(job, modem: endpoint.id, reason: reason)
                setState("ready", error: reason)
            } else {
                // Congestion, SIM, SMSC or modem trouble: back to the queue, and this modem climbs the ladder.
                let action = health.failed()
                await dispatcher.retryLater(job, modem: endpoint.id, reason: reason, backoff: retryDelay(action))
                await perform(action, modem: modem, reason: reason)
            }
        case .invalidArgument?:
            status.failed += 1
            await dispatcher.failed(job, modem: endpoint.id, reason: reason)
            setState("ready", error: reason)
        default:
            // Timeout, closed port, malformed answer: the PDU may or may not have left.
            switch configuration.sending.ambiguousWindow {
            case .assumeSent:
                if remainingAfter == 0 {
                    let refs = job.message.attempts.filter { $0.status == .accepted }.compactMap(\.reference)
                    logger.warning("no answer to the last part; counted as sent (ambiguous_window: assume-sent)",
                                   metadata: ["id": "\(job.id)", "error": "\(reason)"])
                    await dispatcher.sent(job, modem: endpoint.id, references: refs, assumed: true)
                } else {
                    await dispatcher.retryLater(job, modem: endpoint.id, reason: reason, backoff: .zero)
                }
            case .resend:
                await dispatcher.rejected(job, part: part, reason: "no answer (\(reason)); resent per ambiguous_window: resend")
                await dispatcher.retryLater(job, modem: endpoint.id, reason: reason, backoff: .zero)
            case .fail:
                status.failed += 1
                await dispatcher.failed(job, modem: endpoint.id, reason: "part \(part) may have been sent: no answer (\(reason)) (policy fail)")
            }
            if case .transportClosed? = modemError {
                lost = true
                return
            }
            let action = health.failed()
            await perform(action, modem: modem, reason: reason)
        }
    }

    /// `+CMS ERROR`s about the message or its recipient rather than the modem: the RP-cause values
    /// of TS 24.011 §8.2.5.4 / Annex E for an unknown, barred or unreachable destination or an
    /// invalid message (1, 8, 10, 21, 27, 28, 29, 30, 95–99, 111), and TS 27.005 §3.2.5's
    /// 304/305 (invalid PDU/text parameter). Anything else is the modem's problem.
    static func isMessageProblem(_ error: ModemError) -> Bool {
        guard case .cms(let code?, _, _) = error else { return false }
        return [1, 8, 10, 21, 27, 28, 29, 30, 95, 96, 97, 98, 99, 111, 304, 305].contains(code)
    }

    /// Whether a failed `AT+CMGS` certainly never wrote its PDU. `Modem.send` waits
    /// `promptTimeout` for the `> ` prompt and `sendTimeout` for the answer after the PDU, so a
    /// timeout sooner than `sendTimeout` is the prompt's; an `OK` instead of the prompt likewise.
    static func neverWritten(_ error: ModemError?, elapsed: Duration, options: ModemOptions) -> Bool {
        switch error {
        case .timeout?:
            return options.promptTimeout < options.sendTimeout && elapsed < options.sendTimeout
        case .malformedResponse(_, let line)?:
            return line.contains("without a > prompt")
        default:
            return false
        }
    }

    private func retryDelay(_ action: ModemHealth.Action) -> Duration {
        if case .retry(let after) = action { return after }
        return .zero
    }

    private func perform(_ action: ModemHealth.Action, modem: Modem, reason: String) async {
        switch action {
        case .retry(let after):
            setState("degraded", error: reason)
            await doorbell.wait(upTo: after)
        case .reinitialise:
            setState("degraded", error: reason)
            logger.notice("re-initialising the modem", metadata: ["reason": "\(reason)"])
            do { try await modem.initialise() } catch { logger.notice("re-initialisation failed", metadata: ["error": "\(error)"]) }
        case .reset:
            setState("degraded", error: reason)
            logger.warning("resetting the modem", metadata: ["reason": "\(reason)"])
            try? await modem.reset()
            await disconnect()
            await doorbell.wait(upTo: health.settings.initialBackoff)
        case .markUnhealthy(let retryAfter):
            await disconnect()
            markUnhealthy(reason: reason, retryAfter: retryAfter)
        }
    }

    private func failure(_ error: any Error, modem: Modem) async {
        if case .transportClosed? = error as? ModemError { lost = true; return }
        await perform(health.failed(), modem: modem, reason: "\(error)")
    }

    // MARK: - Health and status

    private func keepalive(_ modem: Modem) async {
        nextKeepalive = clock.now().addingTimeInterval(configuration.modems.keepaliveInterval.timeInterval)
        await refreshRadio(modem)
        statusChanged()
    }

    private func refreshRadio(_ modem: Modem) async {
        if let registration = try? await modem.registration() {
            status.registration = Self.describe(registration.state)
        }
        if let signal = try? await modem.signal() {
            status.signalDBm = signal.dBm
        }
        if let storage = try? await modem.storageUsage() {
            status.simStorageUsed = storage.read.used
            status.simStorageTotal = storage.read.total
        }
        if let answer = try? await modem.raw("AT+COPS?", timeout: .seconds(5)) {
            status.operatorName = Self.operatorName(answer.lines)
        }
    }

    static func operatorName(_ lines: [String]) -> String? {
        for line in lines where line.hasPrefix("+COPS:") {
            let parts = line.split(separator: "\"")
            if parts.count >= 2 { return String(parts[1]) }
        }
        return nil
    }

    static func describe(_ state: RegistrationStatus.State) -> String {
        switch state {
        case .home, .smsOnlyHome, .csfbNotPreferredHome: "home"
        case .roaming, .smsOnlyRoaming, .csfbNotPreferredRoaming: "roaming"
        case .searching: "searching"
        case .denied: "denied"
        case .notRegistered: "not registered"
        case .emergencyOnly, .attachedForEmergencyOnly: "emergency only"
        case .unknown: "unknown"
        }
    }

    private func setState(_ state: String, error: String?) {
        // ready <-> sending flips with every message: not worth a status.json rewrite each time.
        let transient: Set<String> = ["ready", "sending"]
        let changed = status.state != state && !(transient.contains(status.state) && transient.contains(state))
        status.state = state
        if let error { status.lastError = error }
        if changed { statusChanged() }
    }
}

extension AgentConfiguration {
    /// The compliance policy of a SIM whose STOP number is `stopNumber`.
    public func sendPolicy(stopNumber: PhoneNumber) -> SendPolicy {
        let footer = FooterPolicy(brand: sender.brand ?? "", stopNumber: stopNumber,
                                  countryLocales: compliance.effectiveCountryLocales, defaultLocale: compliance.locale)
        return SendPolicy(footer: footer, mode: compliance.mode, footerOnNotifications: compliance.footerOnNotifications,
                          smartEncoding: compliance.smartEncoding, quietHours: compliance.quietHours,
                          timeZones: RecipientTimeZones(fallback: compliance.timeZone))
    }
}
