extension Modem {
    // MARK: Set-up

    /// Prepares the modem for PDU-mode SMS (TS 27.005): `AT` (until it answers), `ATE0`, `AT+CMEE=1`
    /// (numeric errors), `AT+CMGF=0`, `AT+CPMS` (configured storage; the modem's own choice is kept
    /// if it refuses), and the first `AT+CNMI` setting it accepts so that new SMS raise `+CMTI`.
    /// Throws when the modem does not answer `AT` or refuses PDU mode.
    public func initialise() async throws {
        // An earlier agent may have died at the PDU prompt: leave it before anything else.
        try await leaveStalePrompt()
        // Boot noise or a half-typed line may swallow the first AT: one more try.
        if try await attempt(.attention) != nil {
            try await execute(.attention)
        }
        try await execute(.echoOff)
        if let error = try await attempt(.verboseErrorsNumeric) {
            logger.notice("modem refuses AT+CMEE=1; errors will be plain ERROR", metadata: ["error": "\(error)"])
        }
        if let error = try await attempt(.pduMode) {
            guard Self.isSIMNotReady(error) else { throw error }
            smsSetupPending = true
        }
        try await configureSMSStorage()
        // A modem left in (or defaulting to) phase 2+ service (`+CSMS: 1`) must get an `AT+CNMA`
        // for every message it routes to us (`+CMT`, `+CDS`), or it switches routing off — and
        // `+CMTI` with it — after the first one. Service 0 owes no acknowledgement.
        if let error = try await attempt(.smsServicePhase2) {
            logger.debug("AT+CSMS=0 refused", metadata: ["error": "\(error)"])
        }
        var indicationsSet = false
        for values in options.newMessageIndications where !indicationsSet {
            if let error = try await attempt(try command { try ATCommand.newMessageIndications(values) }) {
                logger.debug("AT+CNMI setting refused", metadata: ["cnmi": "\(values)", "error": "\(error)"])
                if Self.isSIMNotReady(error) {
                    smsSetupPending = true
                    break
                }
            } else {
                indicationsSet = true
            }
        }
        if !indicationsSet && !smsSetupPending {
            logger.warning("modem accepts no AT+CNMI setting: new messages are found by polling only")
        }
    }

    /// `AT+CPMS` with the configured storage. A SIM that is locked or busy leaves it pending (done
    /// again once `unlockIfNeeded` has the SIM ready); a refusal keeps the modem's own choice.
    private func configureSMSStorage() async throws {
        guard !options.storage.isEmpty else { return }
        guard let error = try await attempt(try command { try ATCommand.selectStorage(options.storage) }) else { return }
        if Self.isSIMNotReady(error) {
            smsSetupPending = true
        } else {
            logger.notice("modem refuses the configured SMS storage; keeping its own", metadata: ["error": "\(error)"])
        }
    }

    /// Finishes what `initialise` could not do while the SIM was locked or busy: PDU mode, storage,
    /// new-message indications. The SIM answers "busy" (CMS 314 / CME 14) for a while after its PIN
    /// on many modems; this waits that out (bounded by `simReadyTimeout`).
    private func finishSMSSetup() async throws {
        let deadline = ContinuousClock.now.advanced(by: options.simReadyTimeout)
        var delay = Duration.milliseconds(50)
        while true {
            smsSetupPending = false
            try await initialise()
            if !smsSetupPending { return }
            guard ContinuousClock.now.advanced(by: delay) < deadline else {
                throw ModemError.timeout(command: "SMS set-up (the SIM stayed busy)")
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .milliseconds(800))
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

    /// Runs a command; returns nil on OK, the error for an error final or a (first) timeout, and
    /// throws only when the port closed.
    private func attempt(_ command: ATCommand) async throws -> ModemError? {
        do {
            try await execute(command)
            return nil
        } catch {
            if case .transportClosed = error { throw error }
            return error
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
    public func unlockIfNeeded(pin: String?) async throws {
        switch try await simStatus() {
        case .ready, .pin2Required, .puk2Required:
            if smsSetupPending { try await finishSMSSetup() }
            return
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
        if smsSetupPending { try await finishSMSSetup() }
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
        let response = try await execute(.signalQuality)
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

    /// `AT+CSCA?` (TS 27.005 §3.3.1): the SMS service centre, nil when unset.
    public func serviceCentre() async throws -> String? {
        let response = try await execute(.serviceCentre)
        return response.lines.lazy.compactMap(ModemInfoParsers.serviceCentre).first
    }

    /// `AT+CSCA="<number>",<type>`: `+` and digits, or national digits.
    public func setServiceCentre(_ number: String) async throws {
        try await execute(try command { try ATCommand.setServiceCentre(number) })
    }

    /// `AT+CPMS?` (TS 27.005 §3.2.2).
    public func storageUsage() async throws -> StorageUsage {
        let response = try await execute(.storageQuery)
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
    private func optional(_ command: ATCommand) async throws -> ATResponse? {
        let response = try await exchange(command, timeout: options.commandTimeout)
        return response.final.isSuccess ? response : nil
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
