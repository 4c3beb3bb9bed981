import Logging

/// The conversation with one modem as a pure state machine (the swift-nio / async-http-client
/// pattern): the owner feeds it events — a command requested, bytes received, a timer fired, the
/// caller's go-ahead for a PDU, the transport closed — and performs the actions it returns — write
/// bytes, deliver an outcome, fail a request, arm or cancel the one timer, emit a URC, log. It does no
/// I/O and reads no clock, so every transition is tested by tables without a modem.
///
/// One command is on the wire at a time; later requests wait in order. After a command is
/// abandoned (it timed out, or an information line was taken as its answer), its answer may still
/// come: before the next command the machine sends a marker query (`AT+CMEE?`, `AT+CSCS?`,
/// `AT+CMGF?` in turn) and drops every final until one follows the marker's own line, so a late
/// `OK` is never taken for another command's answer. ESC (leaving a `> ` prompt) is always written
/// alone, followed by a pause and a bare CR before the next command line, so a modem that discards a
/// line beginning with ESC loses nothing.
///
/// An `AT+CMGS` handshake moves through typed phases (`SubmitPhase`): a timeout before the prompt
/// fails in `.beforePrompt` (nothing can have been sent), a timeout after the PDU in `.pduWritten`
/// (the only ambiguous case). The PDU is written only after the owner says so (`.pduApproved`), once
/// the caller has recorded durably that it is about to go.
struct ATSession: Sendable {
    /// Identifies one request of the owner.
    struct RequestID: Hashable, Sendable, CustomStringConvertible {
        let value: UInt64
        var description: String { "#\(value)" }
    }

    /// Identifies one arming of the timer; a fire for an older arming is ignored.
    struct TimerID: Hashable, Sendable {
        let value: UInt64
    }

    struct Configuration: Sendable {
        /// How long a resynchronising query may take.
        var resyncTimeout: Duration
        /// From `AT+CMGS=<n>` to the `> ` prompt.
        var promptTimeout: Duration
        /// From the PDU's Ctrl-Z to the final result.
        var sendTimeout: Duration
        /// After ESC, before the next byte (a bare CR, then the next command line).
        var escapePause: Duration
        /// For a command whose information line suffices (`ATCommand.informationSuffices`): how long
        /// a final result may still take after that line.
        var informationGrace: Duration

        init(_ options: ModemOptions) {
            resyncTimeout = options.commandTimeout
            promptTimeout = options.promptTimeout
            sendTimeout = options.sendTimeout
            escapePause = options.escapePause
            informationGrace = options.informationGrace
        }
    }

    enum Request: Sendable {
        /// One command and its answer, whatever its final result.
        case command(ATCommand, timeout: Duration)
        /// `AT+CMGS=<n>`, prompt, then (after `.pduApproved`) the PDU hex and Ctrl-Z.
        case submit(ATCommand, pduHex: String)
        /// ESC alone (a stale `> ` prompt left by a killed process), then resynchronise.
        case escape
    }

    enum Outcome: Sendable, Hashable {
        case response(ATResponse)
        /// The `> ` prompt of a submit: the owner runs its pre-write step, then sends
        /// `.pduApproved` or `.pduWithdrawn`.
        case prompt
        /// `+CMGS: <mr>` after the PDU.
        case accepted(reference: Int)
        /// ESC written.
        case escaped
    }

    struct Failure: Error, Sendable, Hashable {
        let error: ModemError
        /// For a submit, the phase the handshake had reached.
        let phase: SubmitPhase?
    }

    enum Event: Sendable {
        case requested(RequestID, Request)
        case bytesReceived([UInt8])
        case timerFired(TimerID)
        /// The caller recorded the coming PDU: write it.
        case pduApproved(RequestID)
        /// The caller could not record it: cancel the prompt with ESC; nothing was sent.
        case pduWithdrawn(RequestID, reason: String)
        /// The caller no longer waits. A request still queued is dropped; one on the wire runs to
        /// its end (bounded by its timeout), since its bytes are already out.
        case cancelled(RequestID)
        case transportClosed(ModemError)
    }

    enum Action: Sendable, Hashable {
        case write([UInt8])
        case deliver(RequestID, Outcome)
        case fail(RequestID, Failure)
        case armTimer(TimerID, Duration)
        case cancelTimer
        case emit(UnsolicitedResult)
        case log(Logger.Level, String)
    }

    /// The request on the wire.
    struct Active: Sendable {
        let id: RequestID
        let command: ATCommand
        var lines: [String] = []
    }

    enum Step: Sendable {
        /// Nothing on the wire.
        case idle
        /// ESC written; the pause before the next byte runs.
        case escaping
        /// A marker query is on the wire; the request waits behind it.
        case resyncing(query: ATCommand, marker: String, lines: [String])
        /// A command is on the wire, waiting for its final result.
        case command(Active)
        /// A command's information line came and it suffices: a final may still follow in the grace.
        case commandGrace(Active)
        /// A raw `AT+CMGS` given by a person reached its prompt: ESC written, waiting for the final.
        case abortingPrompt(Active)
        case submitAwaitingPrompt(Active, pduHex: String)
        /// The prompt came and the PDU's digits are written; the caller is recording that its Ctrl-Z is
        /// about to go.
        case submitAwaitingApproval(Active, pduHex: String)
        /// The modem gave a final while the caller was recording: the handshake is over.
        case submitPromptLost(Active, ModemError)
        case submitAwaitingResult(Active)
        case closed(ModemError)
    }

    /// Whether the answers on the line can be trusted to belong to the next command.
    enum LineState: Sendable, Hashable {
        case inSync
        /// An answer may still be on its way: resynchronise before the next command.
        case unknown
    }

    private(set) var step: Step = .idle
    private(set) var line: LineState = .inSync
    /// True once any final result came from this port: it is an AT port, whatever else fails.
    private(set) var hasAnswered = false
    private var queue: [(RequestID, Request)] = []
    private var decoder = ATFrameDecoder()
    private var timer: TimerID?
    private var timerCount: UInt64 = 0
    private var resyncRound = 0
    let configuration: Configuration

    /// Queries whose answers carry a line of their own. Each round uses the next one, so the late
    /// answer of a round that itself timed out is never taken for the answer of the round after it.
    static let resyncQueries: [(command: ATCommand, marker: String)] = [
        (.errorReportingQuery, "+CMEE"), (.characterSetQuery, "+CSCS"), (.messageFormatQuery, "+CMGF"),
    ]

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    var isClosed: Bool {
        if case .closed = step { return true }
        return false
    }

    /// Feeds one event; returns what the owner must do, in order.
    mutating func handle(_ event: Event) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .requested(let id, let request):
            if case .closed(let error) = step {
                actions.append(.fail(id, Failure(error: error, phase: Self.phase(of: request))))
            } else {
                queue.append((id, request))
                advance(&actions)
            }
        case .bytesReceived(let bytes):
            for frame in decoder.feed(bytes) {
                receive(frame, &actions)
            }
            advance(&actions)
        case .timerFired(let id):
            guard id == timer else { break }
            timer = nil
            timerFired(&actions)
            advance(&actions)
        case .pduApproved(let id):
            approve(id, &actions)
            advance(&actions)
        case .pduWithdrawn(let id, let reason):
            withdraw(id, reason: reason, &actions)
            advance(&actions)
        case .cancelled(let id):
            if let index = queue.firstIndex(where: { $0.0 == id }) {
                let (_, request) = queue.remove(at: index)
                actions.append(.fail(id, Failure(error: .cancelled(command: Self.name(of: request)), phase: Self.phase(of: request))))
            }
        case .transportClosed(let error):
            close(error, &actions)
        }
        return actions
    }

    // MARK: Starting requests

    private mutating func advance(_ actions: inout [Action]) {
        guard case .idle = step, !queue.isEmpty else { return }
        if line == .unknown {
            if case .escape = queue[0].1 {} else {
                startResync(&actions)
                return
            }
        }
        let (id, request) = queue.removeFirst()
        switch request {
        case .escape:
            escape(&actions)
            actions.append(.deliver(id, .escaped))
        case .command(let command, let timeout):
            decoder.commandSent(command.line, expectsPrompt: command.expectsPrompt)
            actions.append(.log(.trace, "AT > \(Self.redacted(command.line))"))
            actions.append(.write(command.bytes))
            arm(timeout, &actions)
            step = .command(Active(id: id, command: command))
        case .submit(let command, let pduHex):
            decoder.commandSent(command.line, expectsPrompt: true)
            actions.append(.write(command.bytes))
            arm(configuration.promptTimeout, &actions)
            step = .submitAwaitingPrompt(Active(id: id, command: command), pduHex: pduHex)
        }
    }

    /// `+CME ERROR` 10–18 (a SIM that wants its PIN/PUK) and 14/515 (SIM or modem busy): a PIN-first
    /// stick and a Wavecom just after `AT+CFUN=1` answer every query but `AT+CPIN` so, the marker
    /// queries included — waiting for a marker line would make such a modem look dead. A late answer
    /// from the abandoned command would carry the same code, so taking this final for the marker's can
    /// at worst pair the next command with another copy of the same refusal, never with a success.
    static func answersEveryQueryAlike(_ result: ATFinalResult) -> Bool {
        guard case .cmeError(let detail) = result, let code = detail.code else { return false }
        return (10...18).contains(code) || code == 515
    }

    private mutating func startResync(_ actions: inout [Action]) {
        let (query, marker) = Self.resyncQueries[resyncRound % Self.resyncQueries.count]
        resyncRound += 1
        decoder.resyncQuerySent(query.line)
        actions.append(.write(query.bytes))
        arm(configuration.resyncTimeout, &actions)
        step = .resyncing(query: query, marker: marker, lines: [])
    }

    /// ESC alone, then the pause; the pause's end writes a bare CR and lets the next command go.
    private mutating func escape(_ actions: inout [Action]) {
        decoder.commandAbandoned()
        actions.append(.write(ATCommand.abortPDU))
        line = .unknown
        arm(configuration.escapePause, &actions)
        step = .escaping
    }

    // MARK: Frames

    private mutating func receive(_ frame: ATFrame, _ actions: inout [Action]) {
        switch frame {
        case .echo:
            break
        case .unsolicited(let urc):
            actions.append(.emit(urc))
        case .discarded(let reason):
            actions.append(.log(.warning, "bytes from the modem dropped: \(reason)"))
        case .information(let text):
            information(text, &actions)
        case .prompt:
            prompt(&actions)
        case .final(let result):
            hasAnswered = true
            final(result, &actions)
        }
    }

    private mutating func information(_ text: String, _ actions: inout [Action]) {
        switch step {
        case .resyncing(let query, let marker, var lines):
            lines.append(text)
            step = .resyncing(query: query, marker: marker, lines: lines)
        case .command(var active):
            active.lines.append(text)
            if active.command.informationSuffices, Self.isOwnAnswer(text, to: active.command) {
                arm(configuration.informationGrace, &actions)
                step = .commandGrace(active)
            } else {
                step = .command(active)
            }
        case .commandGrace(var active):
            active.lines.append(text)
            step = .commandGrace(active)
        case .abortingPrompt(var active):
            active.lines.append(text)
            step = .abortingPrompt(active)
        case .submitAwaitingPrompt(var active, let pduHex):
            active.lines.append(text)
            step = .submitAwaitingPrompt(active, pduHex: pduHex)
        case .submitAwaitingResult(var active):
            active.lines.append(text)
            step = .submitAwaitingResult(active)
        case .idle, .escaping, .submitAwaitingApproval, .submitPromptLost, .closed:
            actions.append(.log(.debug, "line outside any command dropped: \(text)"))
        }
    }

    private mutating func prompt(_ actions: inout [Action]) {
        switch step {
        case .submitAwaitingPrompt(let active, let pduHex):
            cancelTimer(&actions)
            guard let payload = try? ATCommand.pduPayload(pduHex) else {
                escape(&actions)
                actions.append(.fail(active.id, Failure(error: .invalidArgument("not a PDU: \(pduHex)"), phase: .promptSeen)))
                return
            }
            // The PDU's digits go at once; only its Ctrl-Z waits for the caller's durable marker. A
            // modem sends nothing before the Ctrl-Z, so the window in which a crash leaves a part
            // marked and unsent (from the marker's write — a killed process does not undo it — through
            // its fsync) ends with one byte's write, not the whole PDU's (hundreds of bytes on a slow
            // serial line). Withdrawn, or abandoned by a crash, the digits are cancelled by ESC.
            decoder.dataSent(pduHex)
            actions.append(.write(Array(payload.dropLast())))
            step = .submitAwaitingApproval(active, pduHex: pduHex)
            actions.append(.deliver(active.id, .prompt))
        case .command(let active), .commandGrace(let active):
            // A raw `AT+CMGS`/`AT+CMGW` given by a person: there is no PDU for it, abort it.
            actions.append(.write(ATCommand.abortPDU))
            step = .abortingPrompt(active)
        case .submitAwaitingResult(let active):
            decoder.commandAbandoned()
            cancelTimer(&actions)
            escape(&actions)
            actions.append(.fail(active.id, Failure(
                error: .malformedResponse(command: active.command.line, line: "a second > prompt after the PDU"), phase: .pduWritten)))
        case .idle, .escaping, .resyncing, .abortingPrompt, .submitAwaitingApproval, .submitPromptLost, .closed:
            actions.append(.log(.debug, "> prompt outside any command dropped"))
        }
    }

    private mutating func final(_ result: ATFinalResult, _ actions: inout [Action]) {
        switch step {
        case .resyncing(let query, let marker, let lines):
            if lines.contains(where: { $0.uppercased().hasPrefix(marker) }) || Self.answersEveryQueryAlike(result) {
                cancelTimer(&actions)
                line = .inSync
                step = .idle
                actions.append(.log(.debug, "resynchronised after a timeout"))
            } else {
                step = .resyncing(query: query, marker: marker, lines: [])
                actions.append(.log(.debug, "dropped a late answer: \(result)"))
            }
        case .command(let active), .commandGrace(let active), .abortingPrompt(let active):
            cancelTimer(&actions)
            step = .idle
            actions.append(.log(.trace, "AT < \(Self.redacted(active.command.line)): \(result)"))
            actions.append(.deliver(active.id, .response(ATResponse(lines: active.lines, final: result))))
        case .submitAwaitingPrompt(let active, _):
            cancelTimer(&actions)
            step = .idle
            let error: ModemError = result.isSuccess
                ? .malformedResponse(command: active.command.line, line: "OK without a > prompt")
                : .from(result, command: active.command.line)
            actions.append(.fail(active.id, Failure(error: error, phase: .beforePrompt)))
        case .submitAwaitingApproval(let active, _):
            // The modem left the prompt on its own; the PDU must not be written into command mode.
            let error: ModemError = result.isSuccess
                ? .malformedResponse(command: active.command.line, line: "\(result) while the PDU was being prepared")
                : .from(result, command: active.command.line)
            step = .submitPromptLost(active, error)
        case .submitAwaitingResult(let active):
            cancelTimer(&actions)
            step = .idle
            guard result.isSuccess else {
                actions.append(.fail(active.id, Failure(error: .from(result, command: active.command.line), phase: .pduWritten)))
                return
            }
            guard let reference = ModemInfoParsers.messageReference(active.lines) else {
                actions.append(.fail(active.id, Failure(
                    error: .malformedResponse(command: active.command.line, line: active.lines.joined(separator: " | ")), phase: .pduWritten)))
                return
            }
            actions.append(.deliver(active.id, .accepted(reference: reference)))
        case .idle, .escaping, .submitPromptLost, .closed:
            actions.append(.log(.debug, "final result outside any command dropped: \(result)"))
        }
    }

    // MARK: Timer, caller's go-ahead, closing

    private mutating func timerFired(_ actions: inout [Action]) {
        switch step {
        case .escaping:
            actions.append(.write([0x0D]))
            step = .idle
        case .resyncing(let query, _, _):
            // Without the marker the conversation is still unknown: the waiting request is not sent
            // (it fails with a timeout naming the query), and the next one resynchronises again.
            decoder.commandAbandoned()
            step = .idle
            actions.append(.log(.warning, "no answer to the resynchronising \(query.line)"))
            if !queue.isEmpty {
                let (id, request) = queue.removeFirst()
                actions.append(.fail(id, Failure(error: .timeout(command: query.line), phase: Self.phase(of: request))))
            }
        case .command(let active), .abortingPrompt(let active):
            actions.append(.log(.warning, "command timed out: \(Self.redacted(active.command.line))"))
            abandon(escaping: active.command.expectsPrompt, &actions)
            actions.append(.fail(active.id, Failure(error: .timeout(command: Self.redacted(active.command.line), answered: active.lines), phase: nil)))
        case .commandGrace(let active):
            // Its information line is the answer (Wavecom's `+CPIN: READY` never gets an `OK`); a
            // final that comes later is absorbed by the resynchronisation.
            actions.append(.log(.debug, "no final result after \(Self.redacted(active.command.line)): its information line is the answer"))
            abandon(escaping: false, &actions)
            actions.append(.deliver(active.id, .response(ATResponse(lines: active.lines, final: .ok))))
        case .submitAwaitingPrompt(let active, _):
            actions.append(.log(.warning, "no > prompt: \(active.command.line)"))
            abandon(escaping: true, &actions)
            actions.append(.fail(active.id, Failure(error: .timeout(command: active.command.line, answered: active.lines), phase: .beforePrompt)))
        case .submitAwaitingResult(let active):
            actions.append(.log(.warning, "no result after the PDU: \(active.command.line)"))
            abandon(escaping: true, &actions)
            actions.append(.fail(active.id, Failure(error: .timeout(command: active.command.line, answered: active.lines), phase: .pduWritten)))
        case .idle, .submitAwaitingApproval, .submitPromptLost, .closed:
            break
        }
    }

    /// Forgets the command on the wire; its answer may still come, so the next command resynchronises.
    private mutating func abandon(escaping: Bool, _ actions: inout [Action]) {
        decoder.commandAbandoned()
        line = .unknown
        if escaping {
            escape(&actions)
        } else {
            step = .idle
        }
    }

    private mutating func approve(_ id: RequestID, _ actions: inout [Action]) {
        switch step {
        case .submitAwaitingApproval(let active, _) where active.id == id:
            actions.append(.write(ATCommand.endPDU))
            arm(configuration.sendTimeout, &actions)
            // From this write on the part may leave: a failed write counts as written too.
            step = .submitAwaitingResult(active)
        case .submitPromptLost(let active, let error) where active.id == id:
            step = .idle
            line = .unknown
            actions.append(.fail(id, Failure(error: error, phase: .promptSeen)))
        default:
            actions.append(.log(.debug, "go-ahead for \(id), which is not at its prompt"))
        }
    }

    private mutating func withdraw(_ id: RequestID, reason: String, _ actions: inout [Action]) {
        switch step {
        case .submitAwaitingApproval(let active, _) where active.id == id:
            escape(&actions)
            actions.append(.fail(id, Failure(error: .invalidArgument("not sent: \(reason)"), phase: .promptSeen)))
        case .submitPromptLost(let active, _) where active.id == id:
            step = .idle
            line = .unknown
            actions.append(.fail(id, Failure(error: .invalidArgument("not sent: \(reason)"), phase: .promptSeen)))
        default:
            break
        }
    }

    private mutating func close(_ error: ModemError, _ actions: inout [Action]) {
        if case .closed = step { return }
        let previous = step
        step = .closed(error)
        if timer != nil { cancelTimer(&actions) }
        switch previous {
        case .command(let active), .commandGrace(let active), .abortingPrompt(let active):
            actions.append(.fail(active.id, Failure(error: error, phase: nil)))
        case .submitAwaitingPrompt(let active, _):
            actions.append(.fail(active.id, Failure(error: error, phase: .beforePrompt)))
        case .submitAwaitingApproval(let active, _), .submitPromptLost(let active, _):
            actions.append(.fail(active.id, Failure(error: error, phase: .promptSeen)))
        case .submitAwaitingResult(let active):
            actions.append(.fail(active.id, Failure(error: error, phase: .pduWritten)))
        case .idle, .escaping, .resyncing, .closed:
            break
        }
        for (id, request) in queue {
            actions.append(.fail(id, Failure(error: error, phase: Self.phase(of: request))))
        }
        queue = []
    }

    // MARK: Helpers

    private mutating func arm(_ duration: Duration, _ actions: inout [Action]) {
        timerCount += 1
        let id = TimerID(value: timerCount)
        timer = id
        actions.append(.armTimer(id, duration))
    }

    private mutating func cancelTimer(_ actions: inout [Action]) {
        timer = nil
        actions.append(.cancelTimer)
    }

    /// `+CPIN: READY` for `AT+CPIN?`: the line carries the command's own response prefix.
    private static func isOwnAnswer(_ text: String, to command: ATCommand) -> Bool {
        guard let prefix = ATFrameDecoder.responsePrefix(of: command.line) else { return false }
        return text.uppercased().hasPrefix(prefix + ":")
    }

    private static func phase(of request: Request) -> SubmitPhase? {
        if case .submit = request { return .beforePrompt }
        return nil
    }

    private static func name(of request: Request) -> String {
        switch request {
        case .command(let command, _): redacted(command.line)
        case .submit(let command, _): command.line
        case .escape: "ESC"
        }
    }

    /// Hides the PIN of `AT+CPIN="…"` in logs and errors.
    static func redacted(_ line: String) -> String {
        line.uppercased().hasPrefix("AT+CPIN=") ? "AT+CPIN=\"****\"" : line
    }
}
