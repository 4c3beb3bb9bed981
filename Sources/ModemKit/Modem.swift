import Dispatch
import Logging

/// One modem, driven over any `ByteTransport`: one command in flight at a time, per-command timeouts,
/// and unsolicited result codes delivered on `unsolicited` independently of commands.
///
/// The conversation itself is `ATSession`, a pure state machine; this actor only performs its
/// actions: it writes bytes (in order, through one writer loop), resumes the callers, arms the one
/// timer of the session (a re-armed dispatch timer, no `Task` per command) and yields URCs. After a
/// command is abandoned, its answer may still come; the next command is then preceded by a marker
/// query whose recognisable answer resynchronises the conversation, so a late `OK` is never taken
/// for the answer to another command. ESC is always written alone, then a pause and a bare CR.
///
/// The transport is read from the first operation on (or from `start()`). When it closes, the command
/// in flight and every later one fail with `ModemError.transportClosed`, and `unsolicited` yields
/// `.transportClosed` and finishes. A caller cancelled while its command still waits its turn gets
/// `ModemError.cancelled` and nothing is written; a command already on the wire runs to its end.

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
    private var session: ATSession
    private var lifecycle = Lifecycle.idle
    private var waiters: [ATSession.RequestID: CheckedContinuation<Result<ATSession.Outcome, ATSession.Failure>, Never>] = [:]
    /// Results for a caller that was not waiting at that moment (the port closed while it recorded
    /// a PDU): handed over when it comes back.
    private var undelivered: [ATSession.RequestID: Result<ATSession.Outcome, ATSession.Failure>] = [:]
    private var requestCount: UInt64 = 0
    private let writes: AsyncStream<[UInt8]>
    private let writeContinuation: AsyncStream<[UInt8]>.Continuation
    /// Timer fires and cancellations, which arrive from outside the actor.
    private let control: AsyncStream<ATSession.Event>
    private let controlContinuation: AsyncStream<ATSession.Event>.Continuation
    private let timer: ATSessionTimer
    var pinAttempted = false
    /// Set when `initialise` met a locked or busy SIM: its SMS part is redone after the unlock.
    var smsSetupPending = false

    private enum Lifecycle {
        case idle
        /// The reader, the writer and the control loop: one each for the modem's lifetime.
        case running([Task<Void, Never>])
        case closed
    }

    public init(transport: any ByteTransport, options: ModemOptions = .init(), logger: Logger = Logger(label: "smsagent.modem")) {
        self.transport = transport
        self.options = options
        self.port = transport.name
        var logger = logger
        logger[metadataKey: "modem.port"] = "\(transport.name)"
        self.logger = logger
        session = ATSession(configuration: ATSession.Configuration(options))
        (unsolicited, urcContinuation) = AsyncStream.makeStream(of: UnsolicitedResult.self, bufferingPolicy: .bufferingNewest(1024))
        (writes, writeContinuation) = AsyncStream.makeStream(of: [UInt8].self)
        let (control, controlContinuation) = AsyncStream.makeStream(of: ATSession.Event.self)
        self.control = control
        self.controlContinuation = controlContinuation
        timer = ATSessionTimer(label: "modem timer \(transport.name)") { controlContinuation.yield(.timerFired($0)) }
    }

    /// A modem dropped without `close()`: stop its tasks. Cancelling the reader ends the transport's
    /// stream, which releases the port (its thread, descriptor and wake pipe) instead of leaking it.
    deinit {
        if case .running(let tasks) = lifecycle {
            for task in tasks { task.cancel() }
        }
        writeContinuation.finish()
        controlContinuation.finish()
    }

    /// Starts reading the transport (idempotent). Every operation calls it; call it yourself to
    /// receive URCs before sending the first command.
    public func start() {
        guard case .idle = lifecycle else { return }
        let incoming = transport.incoming
        let reader = Task { [weak self] in
            do {
                for try await chunk in incoming {
                    guard let self else { return }
                    await self.feed(.bytesReceived(chunk))
                }
                await self?.transportEnded(reason: "the port hung up")
            } catch {
                await self?.transportEnded(reason: "\(error)")
            }
        }
        let writer = Task { [weak self, transport, writes] in
            for await bytes in writes {
                do {
                    try await transport.write(bytes)
                } catch {
                    await self?.transportEnded(reason: "write failed: \(error)")
                    return
                }
            }
        }
        let controller = Task { [weak self, control] in
            for await event in control {
                guard let self else { return }
                await self.feed(event)
            }
        }
        lifecycle = .running([reader, writer, controller])
    }

    /// Closes the transport. The command in flight fails with `.transportClosed`.
    public func close() async {
        await transport.close()
        transportEnded(reason: "closed by smsagent")
    }

    /// True once the transport has closed.
    public var isClosed: Bool { session.isClosed }

    /// True once any final result (`OK`, `ERROR`, `+CME ERROR` …) came from this port: it is an AT
    /// port, whatever failed later. "Not a modem" is only true while this is false.
    public var hasAnswered: Bool { session.hasAnswered }

    // MARK: Exchanges

    /// Sends one command and returns its answer whatever its final result (errors included).
    /// Throws only `.timeout`, `.transportClosed`, `.cancelled` and `.invalidArgument`.
    func exchange(_ command: ATCommand, timeout: Duration) async throws(ModemError) -> ATResponse {
        switch await request(.command(command, timeout: timeout)) {
        case .success(.response(let response)): return response
        case .success(let other): throw .malformedResponse(command: Self.redacted(command.line), line: "\(other)")
        case .failure(let failure): throw failure.error
        }
    }

    /// Sends one command and throws unless its final result is `OK`.
    @discardableResult
    func execute(_ command: ATCommand, timeout: Duration? = nil) async throws(ModemError) -> ATResponse {
        let response = try await exchange(command, timeout: timeout ?? options.commandTimeout)
        guard response.final.isSuccess else { throw ModemError.from(response.final, command: Self.redacted(command.line)) }
        return response
    }

    /// The `AT+CMGS` handshake (TS 27.005 §3.5.1): command, wait for `> `, the PDU's digits, then
    /// `beforeWritingPDU` (the caller records durably that the PDU is about to go; if it throws, ESC
    /// cancels and nothing was sent), Ctrl-Z — the byte that makes the modem send — and wait for
    /// `+CMGS: <mr>`. On a timeout or failure after the prompt, ESC
    /// aborts the half-entered PDU. Every failure says which `SubmitPhase` the handshake had reached;
    /// `SubmitFailure.isAmbiguous` is true only when the PDU was written and no final result came.
    public func submit(pduHex: String, tpduLength: Int,
                beforeWritingPDU: @Sendable () async throws -> Void) async throws(SubmitFailure) -> Int {
        let command: ATCommand
        do {
            command = try ATCommand.sendPDU(tpduLength: tpduLength)
            _ = try ATCommand.pduPayload(pduHex)
        } catch {
            throw SubmitFailure(phase: .beforePrompt, error: .invalidArgument(error.description))
        }
        guard pduHex.utf8.count / 2 >= tpduLength else {
            throw SubmitFailure(phase: .beforePrompt, error: .invalidArgument(
                "PDU of \(pduHex.utf8.count / 2) octets is shorter than its TPDU length \(tpduLength)"))
        }
        let id = makeRequestID()
        switch await request(.submit(command, pduHex: pduHex), id: id) {
        case .success(.prompt): break
        case .success(let other):
            throw SubmitFailure(phase: .beforePrompt, error: .malformedResponse(command: command.line, line: "\(other)"))
        case .failure(let failure):
            throw SubmitFailure(phase: failure.phase ?? .beforePrompt, error: failure.error)
        }
        let goAhead: ATSession.Event
        do {
            try await beforeWritingPDU()
            goAhead = .pduApproved(id)
        } catch {
            goAhead = .pduWithdrawn(id, reason: "\(error)")
        }
        switch await proceed(id, with: goAhead) {
        case .success(.accepted(let reference)): return reference
        case .success(let other):
            throw SubmitFailure(phase: .pduWritten, error: .malformedResponse(command: command.line, line: "\(other)"))
        case .failure(let failure):
            throw SubmitFailure(phase: failure.phase ?? .pduWritten, error: failure.error)
        }
    }

    /// A process killed at the `> ` prompt (TS 27.005 §3.5.1) leaves the modem collecting a PDU: it
    /// swallows every `AT` until ESC. ESC is harmless otherwise; it is written alone, and since some
    /// modems answer it with `OK`, the next command first resynchronises and drops that stray final.
    func leaveStalePrompt() async throws(ModemError) {
        if case .failure(let failure) = await request(.escape) { throw failure.error }
    }

    // MARK: Driving the session

    private func makeRequestID() -> ATSession.RequestID {
        requestCount += 1
        return ATSession.RequestID(value: requestCount)
    }

    /// Queues a request and waits for its (first) outcome. Cancellation drops it while it waits its turn.
    private func request(_ request: ATSession.Request, id given: ATSession.RequestID? = nil) async -> Result<ATSession.Outcome, ATSession.Failure> {
        start()
        let id = given ?? makeRequestID()
        if Task.isCancelled {
            return .failure(ATSession.Failure(error: .cancelled(command: Self.name(of: request)), phase: request.isSubmit ? .beforePrompt : nil))
        }
        let control = controlContinuation
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiters[id] = continuation
                feed(.requested(id, request))
            }
        } onCancel: {
            control.yield(.cancelled(id))
        }
    }

    /// Sends the caller's go-ahead for a PDU and waits for the submit's result.
    private func proceed(_ id: ATSession.RequestID, with event: ATSession.Event) async -> Result<ATSession.Outcome, ATSession.Failure> {
        if let result = undelivered.removeValue(forKey: id) { return result }
        return await withCheckedContinuation { continuation in
            waiters[id] = continuation
            feed(event)
        }
    }

    private func feed(_ event: ATSession.Event) {
        for action in session.handle(event) {
            switch action {
            case .write(let bytes):
                writeContinuation.yield(bytes)
            case .deliver(let id, let outcome):
                hand(.success(outcome), to: id)
            case .fail(let id, let failure):
                hand(.failure(failure), to: id)
            case .armTimer(let id, let duration):
                timer.arm(id, after: duration)
            case .cancelTimer:
                timer.disarm()
            case .emit(let urc):
                logger.debug("URC", metadata: ["at.urc": "\(urc)"])
                urcContinuation.yield(urc)
            case .log(let level, let message):
                logger.log(level: level, "\(message)")
            }
        }
    }

    private func hand(_ result: Result<ATSession.Outcome, ATSession.Failure>, to id: ATSession.RequestID) {
        if let waiter = waiters.removeValue(forKey: id) {
            waiter.resume(returning: result)
        } else {
            undelivered[id] = result
        }
    }

    private func transportEnded(reason: String) {
        guard !session.isClosed else { return }
        logger.info("modem port closed", metadata: ["reason": "\(reason)"])
        feed(.transportClosed(.transportClosed(port: port, reason: reason)))
        urcContinuation.yield(.transportClosed(port: port, reason: reason))
        urcContinuation.finish()
        writeContinuation.finish()
        controlContinuation.finish()
        timer.stop()
        lifecycle = .closed
    }

    private static func name(of request: ATSession.Request) -> String {
        switch request {
        case .command(let command, _): redacted(command.line)
        case .submit(let command, _): command.line
        case .escape: "ESC"
        }
    }

    /// Hides the PIN of `AT+CPIN="…"` in logs and errors.
    static func redacted(_ line: String) -> String {
        ATSession.redacted(line)
    }
}

extension ATSession.Request {
    var isSubmit: Bool {
        if case .submit = self { return true }
        return false
    }
}
