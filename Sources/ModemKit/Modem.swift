import Logging

/// One modem, driven over any `ByteTransport`: one command in flight at a time, per-command timeouts,
/// and unsolicited result codes delivered on `unsolicited` independently of commands.
///
/// On the wire the engine sends only what an operation needs: no status query before a send, no
/// fixed sleeps around the `AT+CMGS` prompt (the PDU is written the moment `> ` arrives). After a
/// command times out, its answer may still come; the next command is then preceded by one `AT+CMEE?`
/// whose recognisable answer resynchronises the conversation, so a late `OK` is never taken for the
/// answer to another command.
///
/// The transport is read from the first operation on (or from `start()`). When it closes, the command
/// in flight and every later one fail with `ModemError.transportClosed`, and `unsolicited` yields
/// `.transportClosed` and finishes.
public actor Modem {
    /// URCs (`+CMTI`, `+CDS`, `RING`, registration changes …), then `.transportClosed` as the last
    /// event. One consumer; keeps the newest 1024 events if nobody reads.
    public nonisolated let unsolicited: AsyncStream<UnsolicitedResult>
    /// The transport's name (`/dev/ttyUSB2`, `sim:0`).
    public nonisolated let port: String

    let transport: any ByteTransport
    let options: ModemOptions
    var logger: Logger
    private let urcContinuation: AsyncStream<UnsolicitedResult>.Continuation
    private var decoder = ATFrameDecoder()
    private var reader: Task<Void, Never>?
    private var closedError: ModemError?
    private var exchange: Exchange?
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var needsResync = false
    private var nextToken: UInt64 = 0
    var pinAttempted = false
    /// Set when `initialise` met a locked or busy SIM: its SMS part is redone after the unlock.
    var smsSetupPending = false

    enum Outcome: Sendable {
        case final(ATResponse)
        case prompt
    }

    private struct Exchange {
        var command: String
        var lines: [String] = []
        var outcomes: [Outcome] = []
        var continuation: CheckedContinuation<Outcome, any Error>?
        var token: UInt64 = 0
        var timer: Task<Void, Never>?
    }

    public init(transport: any ByteTransport, options: ModemOptions = .init(), logger: Logger = Logger(label: "smsagent.modem")) {
        self.transport = transport
        self.options = options
        self.port = transport.name
        var logger = logger
        logger[metadataKey: "modem.port"] = "\(transport.name)"
        self.logger = logger
        (unsolicited, urcContinuation) = AsyncStream.makeStream(of: UnsolicitedResult.self, bufferingPolicy: .bufferingNewest(1024))
    }

    /// Starts reading the transport (idempotent). Every operation calls it; call it yourself to
    /// receive URCs before sending the first command.
    public func start() {
        guard reader == nil, closedError == nil else { return }
        let stream = transport.incoming
        reader = Task { [weak self] in
            do {
                for try await chunk in stream {
                    guard let self else { return }
                    await self.receive(chunk)
                }
                await self?.transportEnded(reason: "the port hung up")
            } catch {
                await self?.transportEnded(reason: "\(error)")
            }
        }
    }

    /// Closes the transport. The command in flight fails with `.transportClosed`.
    public func close() async {
        await transport.close()
        transportEnded(reason: "closed by smsagent")
    }

    /// True once the transport has closed.
    public var isClosed: Bool { closedError != nil }

    // MARK: Exchanges

    /// Sends one command and returns its answer whatever its final result (errors included).
    /// Throws only `.timeout`, `.transportClosed` and `.invalidArgument`.
    func exchange(_ command: ATCommand, timeout: Duration) async throws(ModemError) -> ATResponse {
        try await acquire()
        defer { release() }
        return try await exchangeLocked(command, timeout: timeout)
    }

    /// Sends one command and throws unless its final result is `OK`.
    @discardableResult
    func execute(_ command: ATCommand, timeout: Duration? = nil) async throws(ModemError) -> ATResponse {
        let response = try await exchange(command, timeout: timeout ?? options.commandTimeout)
        guard response.final.isSuccess else { throw ModemError.from(response.final, command: Self.redacted(command.line)) }
        return response
    }

    /// The `AT+CMGS` handshake (TS 27.005 §3.5.1): command, wait for `> `, then `beforeWritingPDU`
    /// (the caller records durably that the PDU is about to go; if it throws, ESC cancels and nothing
    /// was sent), PDU + Ctrl-Z, wait for `+CMGS: <mr>`. On a timeout or failure after the prompt, ESC
    /// aborts the half-entered PDU. Every failure says which `SubmitPhase` the handshake had reached;
    /// `SubmitFailure.isAmbiguous` is true only when the PDU was written and no final result came.
    public func submit(pduHex: String, tpduLength: Int,
                beforeWritingPDU: @Sendable () async throws -> Void) async throws(SubmitFailure) -> Int {
        let command: ATCommand
        let payload: [UInt8]
        do {
            command = try ATCommand.sendPDU(tpduLength: tpduLength)
            payload = try ATCommand.pduPayload(pduHex)
        } catch {
            throw SubmitFailure(phase: .beforePrompt, error: .invalidArgument(error.description))
        }
        guard pduHex.utf8.count / 2 >= tpduLength else {
            throw SubmitFailure(phase: .beforePrompt, error: .invalidArgument(
                "PDU of \(pduHex.utf8.count / 2) octets is shorter than its TPDU length \(tpduLength)"))
        }
        do { try await acquire() } catch { throw SubmitFailure(phase: .beforePrompt, error: error) }
        defer { release() }
        exchange = Exchange(command: command.line)
        defer { exchange = nil }
        var phase = SubmitPhase.beforePrompt
        do throws(ModemError) {
            decoder.commandSent(command.line, expectsPrompt: true)
            try await write(command.bytes)
            let first: Outcome
            do {
                first = try await awaitOutcome(timeout: options.promptTimeout)
            } catch {
                if case .timeout = error { await abandon(sendingEscape: true) }
                throw error
            }
            switch first {
            case .final(let response):
                throw response.final.isSuccess
                    ? .malformedResponse(command: command.line, line: "OK without a > prompt")
                    : ModemError.from(response.final, command: command.line)
            case .prompt:
                phase = .promptSeen
            }
            do {
                try await beforeWritingPDU()
            } catch {
                await abandon(sendingEscape: true)
                throw .invalidArgument("not sent: \(error)")
            }
            decoder.dataSent(pduHex)
            do {
                try await write(payload)
            } catch {
                await abandon(sendingEscape: true)
                throw error
            }
            phase = .pduWritten
            let second: Outcome
            do {
                second = try await awaitOutcome(timeout: options.sendTimeout)
            } catch {
                if case .timeout = error { await abandon(sendingEscape: true) }
                throw error
            }
            guard case .final(let response) = second else {
                await abandon(sendingEscape: true)
                throw ModemError.malformedResponse(command: command.line, line: "a second > prompt after the PDU")
            }
            guard response.final.isSuccess else { throw ModemError.from(response.final, command: command.line) }
            guard let reference = ModemInfoParsers.messageReference(response.lines) else {
                throw ModemError.malformedResponse(command: command.line, line: response.lines.joined(separator: " | "))
            }
            return reference
        } catch {
            throw SubmitFailure(phase: phase, error: error)
        }
    }

    private func exchangeLocked(_ command: ATCommand, timeout: Duration) async throws(ModemError) -> ATResponse {
        exchange = Exchange(command: command.line)
        defer { exchange = nil }
        decoder.commandSent(command.line, expectsPrompt: command.expectsPrompt)
        logger.trace("AT >", metadata: ["at.command": "\(Self.redacted(command.line))"])
        try await write(command.bytes)
        var outcome: Outcome
        do {
            outcome = try await awaitOutcome(timeout: timeout)
            if case .prompt = outcome {
                // A raw `AT+CMGS`/`AT+CMGW` given by a person: we have no PDU for it, abort it.
                try await write(ATCommand.abortPDU)
                outcome = try await awaitOutcome(timeout: timeout)
            }
        } catch {
            if case .timeout = error { await abandon(sendingEscape: command.expectsPrompt) }
            throw error
        }
        guard case .final(let response) = outcome else {
            throw .malformedResponse(command: command.line, line: "> prompt")
        }
        logger.trace("AT <", metadata: ["at.command": "\(Self.redacted(command.line))", "at.final": "\(response.final)"])
        return response
    }

    /// A process killed at the `> ` prompt (TS 27.005 §3.5.1) leaves the modem collecting a PDU: it
    /// swallows every `AT` until ESC. ESC is harmless otherwise; some modems answer it with `OK`, so
    /// the next command first resynchronises and drops that stray final.
    func leaveStalePrompt() async throws(ModemError) {
        try await acquire()
        defer { release() }
        try await write(ATCommand.abortPDU)
        needsResync = true
    }

    /// After a timeout: forget the command, optionally send ESC, and resynchronise before the next one.
    private func abandon(sendingEscape: Bool) async {
        decoder.commandAbandoned()
        needsResync = true
        if sendingEscape, closedError == nil {
            try? await transport.write(ATCommand.abortPDU)
        }
    }

    /// Queries whose answers carry a line of their own (`+CMEE:`, `+CSCS:`, `+CMGF:`). Each resync
    /// round uses the next one, so the late answer of a round that itself timed out is never taken for
    /// the answer of the round after it.
    private static let resyncQueries: [(command: ATCommand, marker: String)] = [
        (.errorReportingQuery, "+CMEE"), (.characterSetQuery, "+CSCS"), (.messageFormatQuery, "+CMGF"),
    ]
    private var resyncRound = 0

    /// Sends a marker query and drops finals until one comes with the marker's line — the answer to
    /// a timed-out command may arrive late and must not be taken for the next command's. Answers
    /// arrive in the order the commands were written, so once the marker is seen nothing older is
    /// left on the line. Without the marker in time the conversation is still unknown: the caller's
    /// command is not sent (it fails with `.timeout`) and the next one resynchronises again.
    private func resync() async throws(ModemError) {
        let (command, marker) = Self.resyncQueries[resyncRound % Self.resyncQueries.count]
        resyncRound += 1
        needsResync = false
        exchange = Exchange(command: command.line)
        defer { exchange = nil }
        decoder.resyncQuerySent(command.line)
        try await write(command.bytes)
        let deadline = ContinuousClock.now.advanced(by: options.commandTimeout)
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { break }
            do {
                let outcome = try await awaitOutcome(timeout: remaining)
                if case .final(let response) = outcome {
                    if response.lines.contains(where: { $0.uppercased().hasPrefix(marker) }) {
                        logger.debug("resynchronised after a timeout")
                        return
                    }
                    logger.debug("dropped a late answer", metadata: ["at.final": "\(response.final)"])
                }
            } catch {
                if case .timeout = error { break }
                throw error
            }
        }
        decoder.commandAbandoned()
        needsResync = true
        throw .timeout(command: command.line)
    }

    private func write(_ bytes: [UInt8]) async throws(ModemError) {
        if let closedError { throw closedError }
        do {
            try await transport.write(bytes)
        } catch {
            let failure = ModemError.transportClosed(port: port, reason: "write failed: \(error)")
            throw closedError ?? failure
        }
    }

    private func awaitOutcome(timeout: Duration) async throws(ModemError) -> Outcome {
        if let closedError { throw closedError }
        guard var current = exchange else { throw .malformedResponse(command: "", line: "no command in flight") }
        if !current.outcomes.isEmpty {
            let outcome = current.outcomes.removeFirst()
            exchange = current
            return outcome
        }
        nextToken += 1
        let token = nextToken
        do {
            return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Outcome, any Error>) in
                current.continuation = continuation
                current.token = token
                current.timer = Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    await self?.timeoutFired(token: token)
                }
                exchange = current
            }
        } catch let error as ModemError {
            throw error
        } catch {
            throw .transportClosed(port: port, reason: "\(error)")
        }
    }

    private func timeoutFired(token: UInt64) {
        guard var current = exchange, current.token == token, let continuation = current.continuation else { return }
        current.continuation = nil
        current.timer = nil
        exchange = current
        logger.warning("command timed out", metadata: ["at.command": "\(Self.redacted(current.command))"])
        continuation.resume(throwing: ModemError.timeout(command: Self.redacted(current.command)))
    }

    private func acquire() async throws(ModemError) {
        start()
        if let closedError { throw closedError }
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        if let closedError {
            release()
            throw closedError
        }
        if needsResync {
            do {
                try await resync()
            } catch {
                release()
                throw error
            }
        }
    }

    private func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }

    // MARK: Incoming

    private func receive(_ chunk: [UInt8]) {
        for frame in decoder.feed(chunk) { handle(frame) }
    }

    private func handle(_ frame: ATFrame) {
        switch frame {
        case .echo:
            break
        case .information(let line):
            if exchange != nil {
                exchange?.lines.append(line)
            } else {
                logger.debug("line outside any command dropped", metadata: ["at.line": "\(line)"])
            }
        case .final(let result):
            guard let current = exchange else {
                logger.debug("final result outside any command dropped", metadata: ["at.final": "\(result)"])
                return
            }
            exchange?.lines = []
            deliver(.final(ATResponse(lines: current.lines, final: result)))
        case .prompt:
            if exchange != nil { deliver(.prompt) } else { logger.debug("> prompt outside any command dropped") }
        case .unsolicited(let urc):
            logger.debug("URC", metadata: ["at.urc": "\(urc)"])
            urcContinuation.yield(urc)
        case .discarded(let reason):
            logger.warning("bytes from the modem dropped", metadata: ["at.reason": "\(reason)"])
        }
    }

    private func deliver(_ outcome: Outcome) {
        guard var current = exchange else { return }
        if let continuation = current.continuation {
            current.continuation = nil
            current.timer?.cancel()
            current.timer = nil
            exchange = current
            continuation.resume(returning: outcome)
        } else {
            current.outcomes.append(outcome)
            exchange = current
        }
    }

    private func transportEnded(reason: String) {
        guard closedError == nil else { return }
        let error = ModemError.transportClosed(port: port, reason: reason)
        closedError = error
        logger.info("modem port closed", metadata: ["reason": "\(reason)"])
        if var current = exchange, let continuation = current.continuation {
            current.continuation = nil
            current.timer?.cancel()
            exchange = current
            continuation.resume(throwing: error)
        }
        urcContinuation.yield(.transportClosed(port: port, reason: reason))
        urcContinuation.finish()
        let sleepers = waiting
        waiting = []
        for sleeper in sleepers { sleeper.resume() }
        if !sleepers.isEmpty { busy = true }  // each woken waiter releases in turn
    }

    /// Hides the PIN of `AT+CPIN="…"` in logs and errors.
    static func redacted(_ line: String) -> String {
        line.uppercased().hasPrefix("AT+CPIN=") ? "AT+CPIN=\"****\"" : line
    }
}
