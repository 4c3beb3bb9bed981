import Compliance
import Foundation
import Logging
import ModemKit
import Records
import Synchronization
import SMSCodec

/// One modem's worker: connects and initialises it, drains its inbound SMS (on `+CMTI`, at start
/// and every poll interval), and sends what the dispatcher gives it — all parts of a message on
/// this modem, `AT+CMGS` after `AT+CMGS`, respecting the SIM's throttle.
///
/// Every decision is `WorkerMachine`'s (a pure state machine): this actor only performs the
/// action it returns and reports the outcome. URCs and control calls arriving meanwhile are
/// noted in the machine and acted on when the action in flight reports back.
public actor ModemWorker {
    public nonisolated let endpoint: ModemEndpoint
    let dispatcher: Dispatcher
    let configuration: AgentConfiguration
    let clock: any AgentClock
    let inbound: (any InboundDrainer)?
    let statusChanged: @Sendable () -> Void
    var logger: Logger
    let doorbell = Doorbell()

    private var machine: WorkerMachine
    private var modem: Modem?
    private var urcTask: Task<Void, Never>?
    private var throttle: SIMThrottle
    private var inboundDue = true
    private var nextPoll = Date.distantPast
    /// A poll found a message no `+CMTI` announced: this modem's announcements are not trusted,
    /// it is polled every `inbound.poll_interval` from then on.
    private var announcementsMissed = false
    private var nextKeepalive = Date.distantFuture
    private var sendPolicy: SendPolicy?
    private var concatCounter = UInt8.random(in: 0...255)
    private var status: ModemStatus
    private let modemOptions: ModemOptions
    private var capLogged = false
    private var inboundErrorLogged = false
    /// PDUs routed to us (`+CMT`/`+CDS`) whose recording failed: they exist nowhere else, so
    /// they are kept and tried again at every drain until they are on disk.
    private var routedPending: [String] = []
    private var setUps = 0
    /// What the last set-up learnt (nil before the first).
    private var setup: ModemSetup?
    /// Set-up warnings already logged in this start (`smsc`, `inbound`): logged once, kept in the status.
    private var setUpWarned: Set<String> = []
    /// What the dispatcher was last told about this modem taking work.
    private var routeAvailable = false
    /// When the modem last went from ready to sending (for `status.busySeconds`).
    private var busySince: Date?

    /// The message in hand.
    private var job: SendJob?
    private var jobPDUs: [SubmitPDU] = []
    private var jobReference: UInt8 = 0
    private var jobReferences: [Int: Int] = [:]
    /// Parts whose attempt (with its prompt marker) is on disk.
    private var jobMarked: Set<Int> = []
    /// `stop()` was called (a record waiting for the database is then given up).
    private var stopRequested = false

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
        self.machine = WorkerMachine(settings: configuration.sending.retry, policy: configuration.sending.ambiguousWindow, pin: endpoint.pin)
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
        stopRequested = true
        machine.note(.stopRequested, now: clock.now())
        doorbell.ring()
    }

    /// The device went away (hotplug): the message in hand goes back to the queue.
    public func markRemoved() async {
        machine.note(.removed, now: clock.now())
        doorbell.ring()
    }

    /// Something may be waiting (outbox event, credits back, a held message due).
    public func wake() async { doorbell.ring() }

    public func currentStatus() -> ModemStatus {
        var current = status
        if let since = busySince {
            current.busySeconds = (status.busySeconds ?? 0) + max(0, clock.now().timeIntervalSince(since))
        }
        return current
    }

    // MARK: - Main loop

    public func run() async {
        logger.info("modem worker started", metadata: ["port": "\(endpoint.port)"])
        var action = machine.next(now: clock.now())
        while action != .finish {
            publishStatus()
            await updateRoute()
            let event = await perform(action)
            action = machine.handle(event, now: clock.now())
        }
        publishStatus()
        await dispatcher.leaveRoute(modemID: endpoint.id)
        logger.info("modem worker stopped")
    }

    private func perform(_ action: WorkerMachine.Action) async -> WorkerMachine.Event {
        switch action {
        case .connect: return await connect()
        case .setUp(let pin): return await setUp(pin: pin)
        case .checkRegistration: return await checkRegistration()
        case .work: return await work()
        case .reinitialise: return await reinitialise()
        case .submit(let part): return await submit(part: part)
        case .settle(let settlement): return await settle(settlement)
        case .reset:
            logger.warning("resetting the modem", metadata: ["reason": "\(machine.lastError ?? "")"])
            try? await modem?.reset()
            await closeModem()
            return .resetDone
        case .disconnect:
            await closeModem()
            return .disconnected
        case .wait(let until):
            await doorbell.wait(upTo: until.map { max(.milliseconds(5), Duration(timeInterval: $0.timeIntervalSince(clock.now()))) })
            return .woke
        case .finish:
            return .woke
        }
    }

    // MARK: - Connection

    private func connect() async -> WorkerMachine.Event {
        let transport: any ByteTransport
        do {
            transport = try await endpoint.open()
        } catch {
            logger.notice("modem not available", metadata: ["reason": "cannot open \(endpoint.port): \(error)"])
            return .portFailed("cannot open \(endpoint.port): \(error)")
        }
        let modem = Modem(transport: transport, options: modemOptions, logger: logger)
        await modem.start()
        self.modem = modem
        let urcs = modem.unsolicited
        urcTask = Task { [weak self] in
            for await urc in urcs {
                await self?.handle(urc)
            }
        }
        return .portOpened
    }

    private func setUp(pin: String?) async -> WorkerMachine.Event {
        guard let modem else { return .setUpFailed(.modem("the port is not open"), pinEntered: false) }
        setUps += 1
        if setUps > 1 { logger.notice("re-initialising the modem", metadata: ["reason": "\(machine.lastError ?? "")"]) }
        var pinEntered = false
        let setup: ModemSetup
        do {
            var inbound = try await modem.initialise()
            if pin != nil, (try? await modem.simStatus()) == .pinRequired { pinEntered = true }
            // A set-up the locked SIM stopped (PIN-first sticks) is finished here.
            if let finished = try await modem.unlockIfNeeded(pin: pin) { inbound = finished }
            guard let inbound else { throw ModemError.timeout(command: "SMS set-up (the SIM never became ready)") }
            let centre: ServiceCentreState?
            if let smsc = endpoint.smsc {
                try await modem.setServiceCentre(smsc)
                centre = .set(smsc)
            } else {
                centre = try? await modem.serviceCentreState()
            }
            setup = ModemSetup(inbound: inbound, serviceCentre: centre ?? .unknownSIMBusy)
        } catch let error as ModemError {
            switch error {
            case .pinRequired where machine.pinEntered:
                let reason = "the SIM asks for its PIN again (the modem restarted); it is entered once per start: restart the agent"
                logger.error("SIM problem; this modem is not used until the agent restarts", metadata: ["error": "\(reason)"])
                return .setUpFailed(.sim(reason), pinEntered: false)
            case .pinRequired, .pinRejected, .pinAlreadyAttempted, .pinAttemptsTooLow, .pukRequired, .simNotInserted, .simLocked:
                // Never retried in this run: a wrong PIN must not be entered twice (invariant 6).
                logger.error("SIM problem; this modem is not used until the agent restarts", metadata: ["error": "\(error)"])
                return .setUpFailed(.sim(error.description), pinEntered: pinEntered)
            default:
                logger.notice("initialisation failed", metadata: ["error": "\(error)"])
                return .setUpFailed(.modem("initialisation failed: \(error)"), pinEntered: pinEntered)
            }
        } catch {
            return .setUpFailed(.modem("initialisation failed: \(error)"), pinEntered: pinEntered)
        }
        note(setup)
        if let identity = try? await modem.identity() {
            status.manufacturer = identity.manufacturer
            status.model = identity.model
            status.imei = identity.imei
        }
        let ownNumber = (try? await modem.ownNumber()) ?? nil
        status.ownNumber = ownNumber
        let registered = await refreshRadio(modem)
        let stopNumberText = configuration.sender.stopNumber ?? ownNumber
        let knownStopNumber = stopNumberText.flatMap { try? PhoneNumber.parse($0, defaultCountry: configuration.compliance.defaultCountry) }
        if knownStopNumber == nil {
            // Issue 13.6: without a STOP number only marketing waits (its footer needs one); the
            // dispatcher never hands this modem marketing, notifications and replies still go.
            let warning = "no STOP number: the SIM does not know its own number (AT+CNUM) and sender.stop_number is not set; "
                + "marketing does not go through this modem until sender.stop_number is set (notifications still go)"
            if setUpWarned.insert("stop_number").inserted {
                logger.error("no STOP number for the footer; marketing waits, notifications go", metadata: ["own_number": "\(ownNumber ?? "unknown")"])
            }
            if !(status.warnings ?? []).contains(warning) { status.warnings = (status.warnings ?? []) + [warning] }
        }
        // Without one, the policy still needs a number to build with: marketing never reaches it
        // (the route refuses it for this modem), and notifications carry no footer.
        let stopNumber = knownStopNumber ?? MessagePreview.standInStopNumber
        sendPolicy = configuration.sendPolicy(stopNumber: stopNumber)
        let ownE164 = ownNumber.flatMap { try? PhoneNumber.parse($0, defaultCountry: configuration.compliance.defaultCountry).e164 }
        await dispatcher.joinRoute(modemID: endpoint.id, repliesReadable: setup.inbound.canReadReplies, ownNumber: ownE164,
                                   knowsStopNumber: knownStopNumber != nil, doorbell: doorbell)
        inboundDue = true
        nextKeepalive = clock.now().addingTimeInterval(configuration.modems.keepaliveInterval.timeInterval)
        logger.info("modem ready", metadata: ["own_number": "\(ownNumber ?? "unknown")", "stop_number": "\(knownStopNumber?.e164 ?? "none")",
                                              "operator": "\(status.operatorName ?? "?")", "signal_dbm": "\(status.signalDBm.map(String.init) ?? "?")",
                                              "registration": "\(status.registration ?? "?")"])
        return .setUpDone(registered: registered ?? true, pinEntered: pinEntered)
    }

    /// What the set-up learnt that an operator must act on: in the status for as long as it holds,
    /// in the log once per start (not at every re-initialisation).
    private func note(_ setup: ModemSetup) {
        self.setup = setup
        status.inbound = setup.inbound.rawValue
        var warnings: [String] = []
        if setup.serviceCentre == .unset {
            // Only without modems.smsc / the device's smsc: with one, AT+CSCA= set it.
            let warning = "the SIM has no SMS centre (AT+CSCA? is empty): sending fails with +CMS ERROR 330 until one is set; "
                + "set modems.smsc (or this device's smsc) to your operator's SMS centre number"
            warnings.append(warning)
            if !setUpWarned.contains("smsc") {
                setUpWarned.insert("smsc")
                logger.warning("the SIM has no SMS centre; set modems.smsc (or this device's smsc) to your operator's SMS centre number",
                               metadata: ["csca": "empty", "effect": "sending fails with +CMS ERROR 330"])
            }
        }
        if !setup.inbound.canReadReplies {
            warnings.append("replies to this SIM cannot be read (the modem offers no SMS storage over AT, as a phone does): "
                            + "STOP replies sent to it are never seen; marketing goes only through modems whose STOP number the agent reads")
            if !setUpWarned.contains("inbound") {
                setUpWarned.insert("inbound")
                logger.warning("replies to this SIM cannot be read: the modem offers no SMS storage over AT (a phone used as a modem); STOP replies sent to it are never seen",
                               metadata: ["inbound": "\(setup.inbound.rawValue)"])
            }
        }
        status.warnings = warnings.isEmpty ? nil : warnings
    }

    /// Tells the dispatcher whether this modem takes work now, for the marketing hand-off.
    private func updateRoute() async {
        let available = setup != nil && (status.state == "ready" || status.state == "sending")
        guard available != routeAvailable else { return }
        routeAvailable = available
        await dispatcher.setRouteAvailable(modemID: endpoint.id, available)
    }

    private func checkRegistration() async -> WorkerMachine.Event {
        guard let modem else { return .registrationUnknown }
        do {
            let registration = try await modem.registration()
            status.registration = Self.describe(registration.state)
            let registered = Self.isRegistered(registration.state)
            if registered { logger.info("the network is back", metadata: ["registration": "\(status.registration ?? "")"]) }
            return .registration(registered: registered)
        } catch {
            if case .transportClosed(_, let reason)? = error as? ModemError { machine.note(.portClosed(reason), now: clock.now()) }
            return .registrationUnknown
        }
    }

    private func reinitialise() async -> WorkerMachine.Event {
        guard let modem else { return .reinitialiseFailed("the port is not open") }
        logger.notice("the modem restarted; initialising it again before the next part")
        do {
            try await modem.initialise()
            return .reinitialised
        } catch {
            return .reinitialiseFailed("re-initialisation failed: \(error)")
        }
    }

    private func closeModem() async {
        urcTask?.cancel()
        urcTask = nil
        if let modem { await modem.close() }
        modem = nil
    }

    private func handle(_ urc: UnsolicitedResult) async {
        switch urc {
        case .newMessage, .statusReportStored:
            inboundDue = true
        case .deliver(let pduHex, _), .statusReport(let pduHex, _):
            // Routed, not stored (a modem that ignores our AT+CNMI choice): it is nowhere else.
            routedPending.append(pduHex)
            await recordRouted()
            inboundDue = true
        case .modemRestarted:
            machine.note(.modemRestarted, now: clock.now())
        case .transportClosed(_, let reason):
            if machine.lifecycle == .running {
                logger.warning("modem port closed", metadata: ["reason": "\(reason)"])
            }
            machine.note(.portClosed(reason), now: clock.now())
        case .registration(let registration):
            status.registration = Self.describe(registration.state)
            machine.note(.registration(registered: Self.isRegistered(registration.state)), now: clock.now())
            statusChanged()
        case .simStatus(let sim):
            logger.notice("SIM status changed", metadata: ["sim": "\(sim)"])
            return
        default:
            return
        }
        doorbell.ring()
    }

    /// Records the routed PDUs still pending; those whose recording fails stay for the next try.
    private func recordRouted() async {
        guard let inbound else {
            routedPending.removeAll()
            return
        }
        var kept: [String] = []
        for pdu in routedPending {
            let report = await inbound.receiveRouted(pduHex: pdu, modemID: endpoint.id)
            if !report.failures.isEmpty { kept.append(pdu) }
        }
        routedPending = kept
    }

    // MARK: - Ready: inbound, throttle, claim

    private func work() async -> WorkerMachine.Event {
        guard let modem else { return .workDone }
        if !routedPending.isEmpty { await recordRouted() }
        if inboundDue || clock.now() >= nextPoll {
            await drainInbound(modem)
            return .workDone   // the machine looks again (a URC may have come meanwhile)
        }
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
            return .workDone
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
            return .workDone
        }
        if let sendPolicy, let job = await dispatcher.nextJob(modemID: endpoint.id, policy: sendPolicy) {
            if let message = await prepare(job) { return .claimed(message) }
            return .workDone
        }
        if clock.now() >= nextKeepalive {
            await keepalive(modem)
            return .workDone
        }
        // Idle: sleep until an event, the next inbound poll, a held message's time, or a keepalive.
        var wake = nextPoll
        if let held = await dispatcher.earliestHeldUntil(), held < wake { wake = held }
        if nextKeepalive < wake { wake = nextKeepalive }
        if !routedPending.isEmpty {
            // A routed message not yet on disk: try again soon, not at the next poll.
            wake = min(wake, clock.now().addingTimeInterval(configuration.sending.retry.initialBackoff.timeInterval))
        }
        await doorbell.wait(upTo: max(.milliseconds(5), Duration(timeInterval: wake.timeIntervalSince(clock.now()))))
        return .workDone
    }

    private func untilNextPoll() -> Duration {
        max(.milliseconds(5), Duration(timeInterval: nextPoll.timeIntervalSince(clock.now())))
    }

    /// `inbound.announced_poll_interval` while `+CMTI` is known to work (the modem took
    /// `AT+CNMI` and no poll found a message it did not announce), else `inbound.poll_interval`.
    private var pollInterval: Duration {
        setup?.inbound == .announced && !announcementsMissed
            ? max(configuration.inbound.announcedPollInterval, configuration.inbound.pollInterval)
            : configuration.inbound.pollInterval
    }

    private func drainInbound(_ modem: Modem) async {
        let byPoll = !inboundDue
        inboundDue = false
        nextPoll = clock.now().addingTimeInterval(pollInterval.timeInterval)
        // No SMS storage over AT: there is nothing to list (said once at set-up), and asking is air time.
        if setup?.inbound.canReadReplies == false { return }
        guard let inbound else { return }
        do {
            let report = try await inbound.drain(modem: modem, modemID: endpoint.id)
            inboundErrorLogged = false
            if byPoll, report.listed > 0, !inboundDue, setup?.inbound == .announced, !announcementsMissed {
                announcementsMissed = true
                nextPoll = clock.now().addingTimeInterval(pollInterval.timeInterval)
                logger.notice("a poll found an SMS no +CMTI announced: this modem is polled every inbound.poll_interval from now on",
                              metadata: ["poll_interval": "\(configuration.inbound.pollInterval)"])
            }
        } catch {
            if case .transportClosed(_, let reason)? = error as? ModemError {
                machine.note(.portClosed(reason), now: clock.now())
                return
            }
            if !inboundErrorLogged {
                inboundErrorLogged = true
                logger.warning("reading inbound SMS failed; will retry at the next poll", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: - Sending

    /// Encodes a claimed job; returns the machine's view of it (nil when it cannot be encoded, in
    /// which case it is already settled as failed).
    private func prepare(_ job: SendJob) async -> WorkerMachine.Message? {
        let reference: UInt8
        if let resumed = job.concatReference {
            reference = resumed
        } else {
            concatCounter &+= 1
            reference = concatCounter
        }
        let pdus: [SubmitPDU]
        do {
            var options = SubmitOptions(requestStatusReport: configuration.sending.statusReports, concatReference: reference)
            if let validity = configuration.sending.validity,
               let minutes = Int(exactly: (validity.timeInterval / 60).rounded(.down)) {
                options.validity = .relative(minutes: minutes)
            }
            pdus = try SMSSubmitEncoder.encode(to: job.recipient.e164, plan: job.plan, options: options)
        } catch {
            do {
                try await dispatcher.failed(job, modem: endpoint.id, reason: "cannot encode the message: \(error)")
            } catch {
                logger.error("cannot record a failed message", metadata: ["id": "\(job.id)", "error": "\(error)"])
            }
            return nil
        }
        self.job = job
        jobPDUs = pdus
        jobReference = reference
        jobMarked = []
        jobReferences = [:]
        for attempt in job.message.attempts where attempt.status == .accepted && job.doneParts.contains(attempt.part) {
            if let mr = attempt.reference { jobReferences[attempt.part] = mr }
        }
        let pending = pdus.map(\.partNumber).filter { !job.doneParts.contains($0) }
        return WorkerMachine.Message(id: job.id, partCount: job.partCount, pending: pending)
    }

    private func submit(part: Int) async -> WorkerMachine.Event {
        guard let job, let pdu = jobPDUs.first(where: { $0.partNumber == part }) else {
            return .submitFailed(part: part, .messageRefused, reason: "no PDU for part \(part)")
        }
        guard let modem else { return .submitFailed(part: part, .notSent, reason: "the port is not open") }
        let dispatcher = self.dispatcher
        let modemID = endpoint.id
        let reference = jobReference
        let markerFailure = MarkerFailure()
        do throws(SubmitFailure) {
            let mr = try await modem.submit(pduHex: pdu.hex, tpduLength: pdu.tpduLength) {
                // After the `> ` prompt, before the PDU's first byte: the durable marker.
                do {
                    try await dispatcher.willSubmit(job, part: part, modem: modemID, concatReference: reference)
                } catch {
                    markerFailure.value.withLock { $0 = "\(error)" }
                    markerFailure.transient.withLock { $0 = error.isTransientRecordsError }
                    throw error
                }
            }
            jobMarked.insert(part)
            jobReferences[part] = mr
            // The machine settles the message as sent next when no part is left.
            let completes = jobPDUs.allSatisfy { job.doneParts.contains($0.partNumber) || jobReferences[$0.partNumber] != nil }
            do {
                try await persist("the accepted part", of: job) {
                    try await dispatcher.accepted(job, part: part, reference: mr, modem: modemID, completesMessage: completes)
                }
            } catch {
                logger.error("cannot record an accepted part; this modem stops taking work", metadata: ["id": "\(job.id)", "part": "\(part)", "error": "\(error)"])
                self.job = nil
                return .settleFailed("part \(part) of \(job.id) was accepted but could not be recorded: \(error)")
            }
            return .accepted(part: part)
        } catch {
            if let problem = markerFailure.value.withLock({ $0 }) {
                if markerFailure.transient.withLock({ $0 }) {
                    logger.warning("the records cannot be reached; not sending", metadata: ["id": "\(job.id)", "error": "\(problem)"])
                    return .recordsUnreachable(part: part, reason: problem)
                }
                logger.error("cannot record the send attempt; not sending", metadata: ["id": "\(job.id)", "error": "\(problem)"])
                return .recordFailed(part: part, reason: problem)
            }
            if error.phase != .beforePrompt { jobMarked.insert(part) }
            if case .transportClosed(_, let reason) = error.error { machine.note(.portClosed(reason), now: clock.now()) }
            let kind = SubmitErrorClass.classify(error)
            logger.notice("part not accepted", metadata: ["id": "\(job.id)", "part": "\(part)", "error": "\(error)", "class": "\(kind)"])
            return .submitFailed(part: part, kind, reason: error.error.description)
        }
    }

    private func settle(_ settlement: WorkerMachine.Settlement) async -> WorkerMachine.Event {
        guard let job else { return .settled }
        defer { if self.job?.id == job.id { self.job = nil } }
        do {
            switch settlement {
            case .sent(let assumedPart):
                if let assumedPart {
                    try await persist("the assumed part", of: job) {
                        try await dispatcher.recordPart(job, part: assumedPart, status: .assumedSent,
                                                        reason: "no answer; assumed sent (policy assume-sent)")
                    }
                    logger.warning("no answer to the last part; counted as sent (ambiguous_window: assume-sent)",
                                   metadata: ["id": "\(job.id)", "part": "\(assumedPart)"])
                }
                let assumed = assumedPart != nil || job.message.attempts.contains { $0.status == .assumedSent }
                let references = jobReferences.sorted { $0.key < $1.key }.map(\.value)
                throttle.recordSend(at: clock.now(), segments: job.partCount)
                status.throttle.sentToday = throttle.sentToday
                status.sent += 1
                try await persist("the sent message", of: job) {
                    try await dispatcher.sent(job, modem: endpoint.id, references: references, assumed: assumed)
                }
                logger.debug("sent", metadata: ["id": "\(job.id)", "to": "\(job.recipient.e164)", "parts": "\(job.partCount)", "refs": "\(references)"])
            case .failed(let reason, let part):
                if let part { try await record(part, of: job) }
                status.failed += 1
                try await persist("the failed message", of: job) {
                    try await dispatcher.failed(job, modem: endpoint.id, reason: reason)
                }
            case .giveBack(let part, let countsAttempt, let reason):
                if let part { try await record(part, of: job) }
                if countsAttempt {
                    try await persist("the message given back", of: job) {
                        try await dispatcher.retryLater(job, modem: endpoint.id, reason: reason, backoff: .zero)
                    }
                } else {
                    try await persist("the message given back", of: job) { try await dispatcher.giveBack(job) }
                }
            }
            return .settled
        } catch where error.isLeaseLostRecordsError {
            // The database was away for longer than the lease: another agent settled the message
            // by the ambiguous-window rules. Nothing is left to record here; the modem goes on.
            logger.warning("another agent took this message over after its lease expired; its outcome here is dropped",
                           metadata: ["id": "\(job.id)", "error": "\(error)"])
            return .settled
        } catch {
            logger.error("cannot record the outcome of a message; this modem stops taking work",
                         metadata: ["id": "\(job.id)", "error": "\(error)"])
            return .settleFailed("\(job.id): \(error)")
        }
    }

    /// The part's outcome on its attempt (only when its attempt is on disk).
    private func record(_ outcome: WorkerMachine.PartOutcome, of job: SendJob) async throws {
        guard jobMarked.contains(outcome.part) else { return }
        switch outcome {
        case .notSent(let part, let reason), .refused(let part, let reason):
            try await persist("the part's outcome", of: job) { try await dispatcher.recordPart(job, part: part, status: .rejected, reason: reason) }
        case .interrupted(let part, let reason):
            try await persist("the part's outcome", of: job) { try await dispatcher.recordPart(job, part: part, status: .interrupted, reason: reason) }
        }
    }

    /// Writes a record about the message in hand, waiting while the shared records (a database)
    /// cannot be reached: the modem's answer is known only here, so it is kept until it can be
    /// written (1/4 s doubling to 5 s between attempts; no other work meanwhile). Any other error,
    /// or a stop requested while waiting, is thrown: the lease then expires and the message is
    /// settled by the ambiguous-window policy, as after a crash.
    private func persist(_ what: String, of job: SendJob, _ write: () async throws -> Void) async throws {
        var pause: Duration = .milliseconds(250)
        var waited = false
        while true {
            do {
                try await write()
                if waited { logger.notice("records reachable again; \(what) is recorded", metadata: ["id": "\(job.id)"]) }
                return
            } catch where error.isTransientRecordsError && !stopRequested {
                if !waited {
                    logger.warning("the records cannot be reached; holding \(what) until they answer",
                                   metadata: ["id": "\(job.id)", "error": "\(error)"])
                    waited = true
                }
                try? await Task.sleep(for: pause)
                pause = min(.seconds(5), pause * 2)
            }
        }
    }

    // MARK: - Health and status

    private func keepalive(_ modem: Modem) async {
        nextKeepalive = clock.now().addingTimeInterval(configuration.modems.keepaliveInterval.timeInterval)
        if let registered = await refreshRadio(modem) {
            machine.note(.registration(registered: registered), now: clock.now())
        }
        statusChanged()
    }

    /// Reads registration, signal, storage and operator into the status; returns whether the
    /// modem is registered (nil when it would not say).
    @discardableResult
    private func refreshRadio(_ modem: Modem) async -> Bool? {
        var registered: Bool?
        if let registration = try? await modem.registration() {
            status.registration = Self.describe(registration.state)
            registered = Self.isRegistered(registration.state)
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
        return registered
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

    /// Whether SMS can go out in this registration state. `unknown` is taken as registered: a
    /// modem that does not say is tried, and its answer to `AT+CMGS` tells.
    static func isRegistered(_ state: RegistrationStatus.State) -> Bool {
        switch state {
        case .home, .smsOnlyHome, .csfbNotPreferredHome, .roaming, .smsOnlyRoaming, .csfbNotPreferredRoaming, .unknown: true
        case .searching, .denied, .notRegistered, .emergencyOnly, .attachedForEmergencyOnly: false
        }
    }

    /// Adds the time spent in "sending" to `status.busySeconds` when the modem leaves it.
    private func noteBusy(sending: Bool) {
        let now = clock.now()
        if sending {
            if busySince == nil { busySince = now }
        } else if let since = busySince {
            status.busySeconds = (status.busySeconds ?? 0) + max(0, now.timeIntervalSince(since))
            busySince = nil
        }
    }

    private func publishStatus() {
        let state = machine.statusText
        // ready <-> sending flips with every message: not worth a status.json rewrite each time.
        let transient: Set<String> = ["ready", "sending"]
        let changed = status.state != state && !(transient.contains(status.state) && transient.contains(state))
        if changed {
            switch machine.state {
            case .unhealthy:
                logger.warning("modem unhealthy; its work goes to the other modems", metadata: ["reason": "\(machine.lastError ?? "")"])
            case .parked(let reason):
                logger.error("modem parked; it takes no work until the agent restarts", metadata: ["reason": "\(reason)"])
            case .waitingForNetwork:
                logger.warning("no network service; messages wait for the network", metadata: ["registration": "\(status.registration ?? "?")"])
            default:
                break
            }
        }
        noteBusy(sending: state == "sending")
        status.state = state
        if case .parked(let reason) = machine.state {
            status.lastError = reason
        } else if let error = machine.lastError, state != "ready" && state != "sending" {
            status.lastError = error
        }
        if changed { statusChanged() }
    }
}

/// What the durable marker's write threw, seen from the submit's closure.
private final class MarkerFailure: Sendable {
    let value = Mutex<String?>(nil)
    /// The shared records could not be reached (a database away), rather than refusing the write.
    let transient = Mutex(false)
}
