extension Modem {
    // MARK: Set-up

    /// Sets the modem up, unlocks its SIM and reads its SMS centre, in the order the dialects of real
    /// modems need: `initialise()`, then `unlockIfNeeded(pin:)` (which resumes a set-up the locked SIM
    /// stopped), then `AT+CSCA=` with `serviceCentre` when given, else `AT+CSCA?`.
    /// Returns what the agent must know: whether replies to this SIM can be read, and the SMSC.
    public func prepare(pin: String?, serviceCentre: String? = nil) async throws -> ModemSetup {
        var inbound = try await initialise()
        if let finished = try await unlockIfNeeded(pin: pin) { inbound = finished }
        guard let inbound else {
            // unlockIfNeeded finishes a pending set-up or throws: a nil here is a SIM that went away.
            throw ModemError.timeout(command: "SMS set-up (the SIM never became ready)")
        }
        let centre: ServiceCentreState
        if let serviceCentre {
            try await setServiceCentre(serviceCentre)
            centre = .set(serviceCentre)
        } else {
            centre = try await serviceCentreState()
        }
        return ModemSetup(inbound: inbound, serviceCentre: centre)
    }

    /// Prepares the modem for PDU-mode SMS (TS 27.005): `AT` (until it answers), `ATE0`, `AT+CMEE=1`
    /// (numeric errors), `AT+CMGF=0`, `AT+CPMS` (configured storage, then its first two memories —
    /// Wavecom refuses a third —, else the modem's own choice), `AT+CSMS=0`, and the first `AT+CNMI`
    /// setting it accepts so that new SMS raise `+CMTI`.
    ///
    /// Any final result to `AT` (`OK`, `ERROR`, `+CME ERROR` …) proves an AT port. A step answered
    /// "busy" (`+CME ERROR: 515`, `+CME ERROR: 14`, `+CMS ERROR: 314`) is repeated with a short
    /// backoff, for up to `simReadyTimeout`. A step refused because the SIM is locked (`+CME ERROR:
    /// 10…18`, `+CMS ERROR: 310…318`; PIN-first sticks answer so even to `AT`) ends the set-up here:
    /// it is resumed by `unlockIfNeeded(pin:)` once the SIM is ready.
    ///
    /// Returns how replies to the SIM can be read, or nil while the set-up waits for the SIM.
    /// Throws `ModemSetupError.noAnswer` when nothing answered `AT`, and a `ModemError` naming the
    /// command for a later timeout or a refused `AT+CMGF=0`.
    @discardableResult
    public func initialise() async throws -> InboundCapability? {
        // An earlier agent may have died at the PDU prompt: leave it before anything else.
        try await leaveStalePrompt()
        // Boot noise or a half-typed line may swallow the first AT: one more try.
        var first = try await setupStep(.attention)
        if case .noAnswer = first { first = try await setupStep(.attention) }
        switch first {
        case .noAnswer: throw ModemSetupError.noAnswer(port: port)
        case .simNotReady: return pendingUntilSIMReady(at: "AT")
        case .done, .refused: break
        }
        switch try await setupStep(.echoOff) {
        case .noAnswer(let error): throw error
        case .simNotReady: return pendingUntilSIMReady(at: "ATE0")
        case .refused(let error): logger.notice("modem refuses ATE0; its echo is recognised and skipped", metadata: ["error": "\(error)"])
        case .done: break
        }
        switch try await setupStep(.verboseErrorsNumeric) {
        case .noAnswer(let error): throw error
        case .simNotReady: return pendingUntilSIMReady(at: "AT+CMEE=1")
        case .refused(let error): logger.notice("modem refuses AT+CMEE=1; errors will be plain ERROR", metadata: ["error": "\(error)"])
        case .done: break
        }
        switch try await setupStep(.pduMode) {
        case .noAnswer(let error), .refused(let error): throw error
        case .simNotReady: return pendingUntilSIMReady(at: "AT+CMGF=0")
        case .done: break
        }
        let storage = try await configureSMSStorage()
        if case .simNotReady = storage { return pendingUntilSIMReady(at: "AT+CPMS") }
        // A modem left in (or defaulting to) phase 2+ service (`+CSMS: 1`) must get an `AT+CNMA`
        // for every message it routes to us (`+CMT`, `+CDS`), or it switches routing off — and
        // `+CMTI` with it — after the first one. Service 0 owes no acknowledgement.
        switch try await setupStep(.smsServicePhase2) {
        case .noAnswer(let error): throw error
        case .simNotReady: return pendingUntilSIMReady(at: "AT+CSMS=0")
        case .refused(let error): logger.debug("AT+CSMS=0 refused", metadata: ["error": "\(error)"])
        case .done: break
        }
        var indicationsSet = false
        for values in options.newMessageIndications where !indicationsSet {
            switch try await setupStep(try command { try ATCommand.newMessageIndications(values) }) {
            case .noAnswer(let error): throw error
            case .simNotReady: return pendingUntilSIMReady(at: "AT+CNMI")
            case .refused(let error): logger.debug("AT+CNMI setting refused", metadata: ["cnmi": "\(values)", "error": "\(error)"])
            case .done: indicationsSet = true
            }
        }
        smsSetupPending = false
        // A modem that takes no storage and no indication setting may have no SMS memory at all
        // over AT (a phone used as a modem): ask what it has.
        if storage != .selected || !indicationsSet, try await hasNoSMSMemory() {
            logger.warning("the modem offers no SMS storage over AT: replies sent to this SIM cannot be read")
            return .unreadable
        }
        if !indicationsSet {
            logger.warning("modem accepts no AT+CNMI setting: new messages are found by polling only")
            return .pollingOnly
        }
        return .announced
    }

    private func pendingUntilSIMReady(at step: String) -> InboundCapability? {
        logger.debug("set-up waits for the SIM", metadata: ["at.command": "\(step)"])
        smsSetupPending = true
        return nil
    }

    private enum StorageSelection: Equatable { case selected, refused, simNotReady }

    /// `AT+CPMS` with the configured storage, then with its first two memories (Wavecom firmwares
    /// refuse a third). A refusal of both keeps the modem's own choice.
    private func configureSMSStorage() async throws -> StorageSelection {
        guard !options.storage.isEmpty else { return .refused }
        var candidates = [options.storage]
        if options.storage.count > 2 { candidates.append(Array(options.storage.prefix(2))) }
        for memories in candidates {
            switch try await setupStep(try command { try ATCommand.selectStorage(memories) }) {
            case .noAnswer(let error): throw error
            case .simNotReady: return .simNotReady
            case .done:
                if memories.count < options.storage.count {
                    logger.notice("modem takes only two SMS storages", metadata: ["storage": "\(memories)"])
                }
                return .selected
            case .refused(let error):
                logger.debug("AT+CPMS refused", metadata: ["storage": "\(memories)", "error": "\(error)"])
            }
        }
        logger.notice("modem refuses the configured SMS storage; keeping its own", metadata: ["storage": "\(options.storage)"])
        return .refused
    }

    /// True when `AT+CPMS?` answers without naming any memory (`+CPMS: ,,,,,,,,`) or refuses.
    private func hasNoSMSMemory() async throws -> Bool {
        switch try await setupStep(.storageQuery) {
        case .noAnswer(let error): throw error
        case .simNotReady, .refused: return false
        case .done(let response):
            guard let usage = response.lines.lazy.compactMap(StorageUsage.parse).first else { return true }
            return usage.read.storage?.isEmpty ?? false
        }
    }

    /// Finishes what `initialise` could not do while the SIM was locked or busy. The SIM answers
    /// "busy" (CMS 314 / CME 14) for a while after its PIN on many modems; `initialise` waits that
    /// out, and this repeats it while the SIM still says it is locked (bounded by `simReadyTimeout`).
    private func finishSMSSetup() async throws -> InboundCapability {
        let deadline = ContinuousClock.now.advanced(by: options.simReadyTimeout)
        var delay = Duration.milliseconds(50)
        while true {
            smsSetupPending = false
            if let capability = try await initialise() { return capability }
            guard ContinuousClock.now.advanced(by: delay) < deadline else {
                throw ModemError.timeout(command: "SMS set-up (the SIM stayed busy)")
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .milliseconds(800))
        }
    }

    /// What one set-up step came to.
    private enum SetupStep {
        case done(ATResponse)
        /// The SIM is locked, absent or still busy after the backoff: the PIN step comes first.
        case simNotReady(ModemError)
        case refused(ModemError)
        /// No final result in time (the port closed throws instead).
        case noAnswer(ModemError)
    }

    private func setupStep(_ command: ATCommand) async throws -> SetupStep {
        do {
            let response = try await answer(command, busyFor: options.simReadyTimeout)
            if response.final.isSuccess { return .done(response) }
            let error = ModemError.from(response.final, command: Self.redacted(command.line))
            return Self.isSIMNotReady(error) ? .simNotReady(error) : .refused(error)
        } catch {
            if case .transportClosed = error { throw error }
            return .noAnswer(error)
        }
    }

    /// Sends `command` and returns its answer, whatever its final result; an answer that says
    /// "busy, try again" (`Modem.isBusy`) is repeated with a backoff from 100 ms to 800 ms for up to
    /// `budget`, after which the busy answer is returned. Throws only timeouts and a closed port.
    func answer(_ command: ATCommand, busyFor budget: Duration) async throws(ModemError) -> ATResponse {
        let deadline = ContinuousClock.now.advanced(by: budget)
        var delay = Duration.milliseconds(100)
        while true {
            let response = try await exchange(command, timeout: options.commandTimeout)
            guard Self.isBusy(response.final), ContinuousClock.now.advanced(by: delay) < deadline else { return response }
            logger.debug("modem busy; asking again", metadata: ["at.command": "\(Self.redacted(command.line))", "at.final": "\(response.final)"])
            do { try await Task.sleep(for: delay) } catch { return response }
            delay = min(delay * 2, .milliseconds(800))
        }
    }

    /// "Try again shortly": `+CME ERROR: 515` (Wavecom: init or command processing in progress),
    /// `+CME ERROR: 14` / `+CMS ERROR: 314` (SIM busy, TS 27.007 §9.2.1, TS 27.005 §3.2.5).
    static func isBusy(_ final: ATFinalResult) -> Bool {
        switch final {
        case .cmeError(let detail): detail.code == 515 || detail.code == 14
        case .cmsError(let detail): detail.code == 314
        default: false
        }
    }

    /// CME 10–18 / CMS 310–318: the SIM is absent, locked or busy.
    static func isSIMNotReady(_ error: ModemError) -> Bool {
        switch error {
        case .cme(let code?, _, _): (10...18).contains(code)
        case .cms(let code?, _, _): (310...318).contains(code)
        default: false
        }
    }

    /// `AT+CPIN?` (TS 27.007 §8.3). CME 10/11/12 answers are mapped to the matching status.
    public func simStatus() async throws -> SIMStatus {
        let response = try await exchange(.simStatus, timeout: options.commandTimeout)
        switch response.final {
        case .ok:
            guard let line = response.lines.first(where: { SIMStatus.parse($0) != nil }), let status = SIMStatus.parse(line) else {
                throw ModemError.malformedResponse(command: "AT+CPIN?", line: response.lines.joined(separator: " | "))
            }
            return status
        case .cmeError(let detail) where detail.code == 10: return .notInserted
        case .cmeError(let detail) where detail.code == 11: return .pinRequired
        case .cmeError(let detail) where detail.code == 12: return .pukRequired
        default: throw ModemError.from(response.final, command: "AT+CPIN?")
        }
    }

    /// Remaining PIN/PUK attempts: `AT+CPINR` (TS 27.007 §8.65), then the Huawei, Quectel and SIMCom
    /// counters. nil when the modem tells none of them.
    public func pinRetries() async throws -> PINRetries? {
        for command in ATCommand.pinRetryCommands {
            let response = try await exchange(command, timeout: options.commandTimeout)
            if response.final.isSuccess, let retries = PINRetries.parse(response.lines) { return retries }
        }
        return nil
    }

    /// The PIN guard (invariant: a wrong PIN is tried at most once per `Modem`, and the SIM is never
    /// pushed into a PUK lock by us):
    /// - SIM ready → nothing is sent but `AT+CPIN?`.
    /// - PUK required, not inserted, or another lock → throws, never enters anything.
    /// - PIN required: throws `.pinRequired` without a PIN; `.pinAlreadyAttempted` if this `Modem` has
    ///   entered one before; reads the remaining attempts where the modem tells and refuses with
    ///   `.pinAttemptsTooLow` when only one is left (unless `ModemOptions.allowLastPINAttempt`), since
    ///   repeated restarts with a wrong configured PIN would otherwise walk the SIM into PUK.
    /// - A rejected PIN throws `.pinRejected` and is never retried. After an accepted PIN, waits (by
    ///   asking `AT+CPIN?` with a short backoff, since not every modem announces it) for the SIM to be ready.
    /// - A set-up that `initialise` left for the SIM is then finished; its result is returned (nil
    ///   when nothing was pending).
    @discardableResult
    public func unlockIfNeeded(pin: String?) async throws -> InboundCapability? {
        switch try await simStatus() {
        case .ready, .pin2Required, .puk2Required:
            guard smsSetupPending else { return nil }
            return try await finishSMSSetup()
        case .notInserted:
            throw ModemError.simNotInserted
        case .pukRequired:
            throw ModemError.pukRequired
        case .locked(let what):
            throw ModemError.simLocked(what)
        case .pinRequired:
            break
        }
        guard let pin else { throw ModemError.pinRequired }
        guard !pinAttempted else { throw ModemError.pinAlreadyAttempted }
        let command = try command { try ATCommand.enterPIN(pin) }
        let retries = try await pinRetries()
        if let remaining = retries?.pin {
            if remaining == 0 { throw ModemError.pukRequired }
            if remaining <= 1 && !options.allowLastPINAttempt { throw ModemError.pinAttemptsTooLow(remaining: remaining) }
        }
        pinAttempted = true
        logger.info("entering the SIM PIN", metadata: ["sim.pinAttemptsLeft": "\(retries?.pin.map(String.init) ?? "unknown")"])
        let response = try await exchange(command, timeout: options.pinTimeout)
        guard response.final.isSuccess else {
            if case .cmeError(let detail) = response.final, detail.code == 12 { throw ModemError.pukRequired }
            let remaining = try? await pinRetries()?.pin
            logger.error("the SIM rejected the PIN; it will not be tried again", metadata: ["at.final": "\(response.final)"])
            throw ModemError.pinRejected(remainingAttempts: remaining)
        }
        try await waitForSIMReady()
        guard smsSetupPending else { return nil }
        return try await finishSMSSetup()
    }

    private func waitForSIMReady() async throws {
        let deadline = ContinuousClock.now.advanced(by: options.simReadyTimeout)
        var delay = Duration.milliseconds(50)
        while true {
            do {
                if try await simStatus() == .ready { return }
            } catch let error as ModemError where !Self.isFatal(error) {
                logger.debug("SIM not ready yet", metadata: ["error": "\(error)"])
            }
            guard ContinuousClock.now.advanced(by: delay) < deadline else {
                throw ModemError.timeout(command: "AT+CPIN? (waiting for the SIM after the PIN)")
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .milliseconds(800))
        }
    }

    // MARK: Queries

    /// Manufacturer, model, revision, IMEI, IMSI and ICCID; each nil when the modem does not tell.
    public func identity() async throws -> ModemIdentity {
        var identity = ModemIdentity()
        identity.manufacturer = try await optional(.manufacturer).flatMap { ModemInfoParsers.identityValue($0, prefix: "+CGMI") }
        identity.model = try await optional(.model).flatMap { ModemInfoParsers.identityValue($0, prefix: "+CGMM") }
        identity.revision = try await optional(.revision).flatMap { ModemInfoParsers.identityValue($0, prefix: "+CGMR") }
        identity.imei = try await optional(.imei).flatMap(ModemInfoParsers.imei)
        identity.imsi = try await optional(.imsi).flatMap(ModemInfoParsers.imsi)
        for command in ATCommand.iccidCommands {
            if let response = try await optional(command), let iccid = ModemInfoParsers.iccid(response) {
                identity.iccid = iccid
                break
            }
        }
        return identity
    }

    /// Registration: `AT+CREG?`, and when that is not registered (LTE-only modems), `AT+CEREG?` then
    /// `AT+CGREG?`. Returns the first registered answer, else the circuit-switched one.
    public func registration() async throws -> RegistrationStatus {
        var first: RegistrationStatus?
        for domain in [RegistrationStatus.Domain.cs, .eps, .gprs] {
            guard let response = try await optional(.registrationQuery(domain)),
                  let status = response.lines.lazy.compactMap(RegistrationStatus.parseQueryResponse).first else { continue }
            if status.isRegistered { return status }
            if first == nil { first = status }
        }
        guard let first else { throw ModemError.malformedResponse(command: "AT+CREG?", line: "no registration answer") }
        return first
    }

    /// `AT+CSQ` (TS 27.007 §8.5).
    public func signal() async throws -> SignalQuality {
        let response = try await executeWaitingOutBusy(.signalQuality)
        guard let quality = response.lines.lazy.compactMap(SignalQuality.parse).first else {
            throw ModemError.malformedResponse(command: "AT+CSQ", line: response.lines.joined(separator: " | "))
        }
        return quality
    }

    /// `AT+CNUM` (TS 27.007 §7.1): the SIM's own number, nil when the SIM does not store it.
    public func ownNumber() async throws -> String? {
        guard let response = try await optional(.ownNumber) else { return nil }
        return ModemInfoParsers.ownNumbers(response.lines).first
    }

    /// `AT+CSCA?` (TS 27.005 §3.3.1): the SMS service centre, nil when unset. Throws `+CME ERROR: 14`
    /// when the SIM stays busy (see `serviceCentreState()`).
    public func serviceCentre() async throws -> String? {
        switch try await serviceCentreState() {
        case .set(let number): return number
        case .unset: return nil
        case .unknownSIMBusy: throw ModemError.cme(code: 14, meaning: ATErrorCatalogue.meaning(of: 14, in: .cme), command: "AT+CSCA?")
        }
    }

    /// `AT+CSCA?` (TS 27.005 §3.3.1). Many sticks answer `+CME ERROR: 14` (SIM busy) for a while after
    /// the PIN: asked again with a backoff for up to `commandTimeout`, then `.unknownSIMBusy`.
    public func serviceCentreState() async throws -> ServiceCentreState {
        let response = try await answer(.serviceCentre, busyFor: options.commandTimeout)
        if Self.isBusy(response.final) { return .unknownSIMBusy }
        guard response.final.isSuccess else { throw ModemError.from(response.final, command: "AT+CSCA?") }
        return response.lines.lazy.compactMap(ModemInfoParsers.serviceCentre).first.map { .set($0) } ?? .unset
    }

    /// `AT+CSCA="<number>",<type>`: `+` and digits, or national digits.
    public func setServiceCentre(_ number: String) async throws {
        try await execute(try command { try ATCommand.setServiceCentre(number) })
    }

    /// `AT+CPMS?` (TS 27.005 §3.2.2).
    public func storageUsage() async throws -> StorageUsage {
        let response = try await executeWaitingOutBusy(.storageQuery)
        guard let usage = response.lines.lazy.compactMap(StorageUsage.parse).first else {
            throw ModemError.malformedResponse(command: "AT+CPMS?", line: response.lines.joined(separator: " | "))
        }
        return usage
    }

    // MARK: SMS

    /// Submits one SMS-SUBMIT PDU with the `AT+CMGS` prompt handshake and returns the TP-Message-Reference
    /// (`+CMGS: <mr>`, TS 27.005 §3.5.1). `pduHex` starts with the SMSC field; `tpduLength` excludes it.
    public func send(pduHex: String, tpduLength: Int) async throws -> Int {
        do {
            return try await submit(pduHex: pduHex, tpduLength: tpduLength, beforeWritingPDU: {})
        } catch {
            throw error.error
        }
    }


    /// `AT+CMGL=4` (all messages, PDU mode, TS 27.005 §3.4.2). Malformed entries are logged and skipped.
    public func listMessages() async throws -> [StoredMessage] {
        let response = try await execute(try command { try ATCommand.listMessages(status: 4) }, timeout: options.listTimeout)
        let (messages, rejected) = StoredMessage.parseList(response.lines)
        for line in rejected { logger.warning("unreadable +CMGL entry skipped", metadata: ["at.line": "\(line)"]) }
        return messages
    }

    /// `AT+CMGR=<index>` (TS 27.005 §3.4.3). Throws `.malformedResponse` for an empty slot.
    public func readMessage(index: Int) async throws -> StoredMessage {
        let command = try command { try ATCommand.readMessage(index: index) }
        let response = try await execute(command)
        guard let message = StoredMessage.parseRead(response.lines, index: index) else {
            throw ModemError.malformedResponse(command: command.line, line: response.lines.isEmpty ? "empty slot" : response.lines.joined(separator: " | "))
        }
        return message
    }

    /// `AT+CMGD=<index>` (TS 27.005 §3.5.4).
    public func deleteMessage(index: Int) async throws {
        try await execute(try command { try ATCommand.deleteMessage(index: index) })
    }

    // MARK: Maintenance

    /// The configured reset (`AT+CFUN=1,1` by default). A USB modem then drops off the bus: expect
    /// the transport to close.
    public func reset() async throws {
        try await execute(try command { try ATCommand.raw(options.resetCommand) })
    }

    /// Sends a command line given by a person and returns its answer, error finals included (only
    /// timeouts, closed ports and forbidden characters throw). `AT+CMGS` is aborted at its prompt.
    public func raw(_ command: String, timeout: Duration) async throws -> ATResponse {
        try await exchange(try self.command { try ATCommand.raw(command) }, timeout: timeout)
    }

    // MARK: Helpers

    /// The answer when the final result is OK, nil for an error final; timeouts and closed ports throw.
    /// A busy modem (`isBusy`) is asked again for up to `commandTimeout`.
    private func optional(_ command: ATCommand) async throws -> ATResponse? {
        let response = try await answer(command, busyFor: options.commandTimeout)
        return response.final.isSuccess ? response : nil
    }

    /// `execute`, asking again while the modem answers busy (up to `commandTimeout`).
    private func executeWaitingOutBusy(_ command: ATCommand) async throws -> ATResponse {
        let response = try await answer(command, busyFor: options.commandTimeout)
        guard response.final.isSuccess else { throw ModemError.from(response.final, command: Self.redacted(command.line)) }
        return response
    }

    private func command(_ build: () throws -> ATCommand) throws -> ATCommand {
        do {
            return try build()
        } catch let error as ATCommandError {
            throw ModemError.invalidArgument(error.description)
        }
    }

    /// Errors after which continuing the set-up makes no sense.
    static func isFatal(_ error: ModemError) -> Bool {
        switch error {
        case .transportClosed, .timeout: true
        default: false
        }
    }
}
