import ATProtocol
@testable import ModemKit
import Testing

/// The modem conversation as a pure machine: each scenario is a list of events (requests, bytes
/// from the modem, timer fires, the caller's go-ahead) and the exact bytes written and outcomes
/// delivered. No modem, no clock.
@Suite("ATSession: the modem conversation as a pure state machine")
struct ATSessionTests {
    enum Step: Sendable {
        case request(Int, ATSession.Request)
        case receive(String)
        /// Fires the timer armed last (it must be armed).
        case fire
        case approve(Int)
        case withdraw(Int)
        case cancel(Int)
        case close
    }

    enum Seen: Sendable, Hashable {
        case response(Int, [String], ATFinalResult)
        case prompt(Int)
        case accepted(Int, reference: Int)
        case escaped(Int)
        case failed(Int, ModemError, SubmitPhase?)
    }

    struct Scenario: Sendable, CustomTestStringConvertible {
        let name: String
        let steps: [Step]
        /// Every write, in order; ESC shown as `<ESC>`, Ctrl-Z as `<SUB>`, CR as `\r`.
        let writes: [String]
        let seen: [Seen]
        var testDescription: String { name }
    }

    static let csq = ATCommand.signalQuality
    static let cgsn = ATCommand.imei
    static let cmgs = try! ATCommand.sendPDU(tpduLength: 3)  // swiftlint:disable:this force_try — a constant
    static let pdu = "00112233"
    static let closed = ModemError.transportClosed(port: "test", reason: "gone")

    static func command(_ id: Int, _ command: ATCommand) -> Step { .request(id, .command(command, timeout: .seconds(5))) }
    static func submit(_ id: Int) -> Step { .request(id, .submit(cmgs, pduHex: pdu)) }

    static let scenarios: [Scenario] = [
        Scenario(name: "an answer with echo and blank lines", steps: [
            command(1, csq), .receive("AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n"),
        ], writes: ["AT+CSQ\r"], seen: [.response(1, ["+CSQ: 20,99"], .ok)]),

        Scenario(name: "a URC inside a response is emitted, not taken as an answer line", steps: [
            command(1, csq), .receive("\r\n+CSQ: 20,99\r\n\r\n+CMTI: \"SM\",3\r\n\r\nOK\r\n"),
        ], writes: ["AT+CSQ\r"], seen: [.response(1, ["+CSQ: 20,99"], .ok)]),

        Scenario(name: "requests wait their turn: one command on the wire at a time", steps: [
            command(1, csq), command(2, cgsn), .receive("\r\n+CSQ: 20,99\r\n\r\nOK\r\n"), .receive("\r\n490154203237518\r\n\r\nOK\r\n"),
        ], writes: ["AT+CSQ\r", "AT+CGSN\r"], seen: [
            .response(1, ["+CSQ: 20,99"], .ok), .response(2, ["490154203237518"], .ok),
        ]),

        Scenario(name: "a timeout names the command and what it answered", steps: [
            command(1, csq), .receive("\r\n+CSQ: 20,99\r\n"), .fire,
        ], writes: ["AT+CSQ\r"], seen: [.failed(1, .timeout(command: "AT+CSQ", answered: ["+CSQ: 20,99"]), nil)]),

        Scenario(name: "a late OK after a timeout is absorbed by the resync, never taken for the next answer", steps: [
            command(1, csq), .fire, command(2, cgsn),
            .receive("\r\nOK\r\n"),                       // the late answer to AT+CSQ
            .receive("\r\n+CMEE: 1\r\n\r\nOK\r\n"),        // the marker
            .receive("\r\n490154203237518\r\n\r\nOK\r\n"),
        ], writes: ["AT+CSQ\r", "AT+CMEE?\r", "AT+CGSN\r"], seen: [
            .failed(1, .timeout(command: "AT+CSQ"), nil), .response(2, ["490154203237518"], .ok),
        ]),

        Scenario(name: "a resync that times out fails the waiting command and the next round asks another marker", steps: [
            command(1, csq), .fire, command(2, cgsn), .fire, command(3, cgsn),
            .receive("\r\n+CMEE: 1\r\n\r\nOK\r\n"),        // the first round's late answer: not this round's marker
            .receive("\r\n+CSCS: \"GSM\"\r\n\r\nOK\r\n"),
            .receive("\r\n490154203237518\r\n\r\nOK\r\n"),
        ], writes: ["AT+CSQ\r", "AT+CMEE?\r", "AT+CSCS?\r", "AT+CGSN\r"], seen: [
            .failed(1, .timeout(command: "AT+CSQ"), nil), .failed(2, .timeout(command: "AT+CMEE?"), nil),
            .response(3, ["490154203237518"], .ok),
        ]),

        Scenario(name: "a submit: prompt, PDU digits, go-ahead, Ctrl-Z, +CMGS", steps: [
            submit(1), .receive("\r\n> "), .approve(1), .receive("\r\n+CMGS: 42\r\n\r\nOK\r\n"),
        ], writes: ["AT+CMGS=3\r", "00112233", "<SUB>"], seen: [.prompt(1), .accepted(1, reference: 42)]),

        Scenario(name: "no prompt: fails before the prompt, ESC alone, a pause, a bare CR", steps: [
            submit(1), .fire, .fire,
        ], writes: ["AT+CMGS=3\r", "<ESC>", "\r"], seen: [.failed(1, .timeout(command: "AT+CMGS=3"), .beforePrompt)]),

        Scenario(name: "no result after the PDU: fails in pduWritten", steps: [
            submit(1), .receive("> "), .approve(1), .fire,
        ], writes: ["AT+CMGS=3\r", "00112233", "<SUB>", "<ESC>"], seen: [
            .prompt(1), .failed(1, .timeout(command: "AT+CMGS=3"), .pduWritten),
        ]),

        Scenario(name: "an error after the PDU is definite, not ambiguous", steps: [
            submit(1), .receive("> "), .approve(1), .receive("\r\n+CMS ERROR: 500\r\n"),
        ], writes: ["AT+CMGS=3\r", "00112233", "<SUB>"], seen: [
            .prompt(1), .failed(1, .cms(code: 500, meaning: ATErrorCatalogue.meaning(of: 500, in: .cms), command: "AT+CMGS=3"), .pduWritten),
        ]),

        Scenario(name: "OK without a prompt fails before the prompt", steps: [
            submit(1), .receive("\r\nOK\r\n"),
        ], writes: ["AT+CMGS=3\r"], seen: [
            .failed(1, .malformedResponse(command: "AT+CMGS=3", line: "OK without a > prompt"), .beforePrompt),
        ]),

        Scenario(name: "the caller cannot record the PDU: ESC cancels its digits, no Ctrl-Z, phase promptSeen", steps: [
            submit(1), .receive("> "), .withdraw(1),
        ], writes: ["AT+CMGS=3\r", "00112233", "<ESC>"], seen: [
            .prompt(1), .failed(1, .invalidArgument("not sent: disk full"), .promptSeen),
        ]),

        Scenario(name: "the modem leaves the prompt while the caller records: the Ctrl-Z is never written", steps: [
            submit(1), .receive("> "), .receive("\r\n+CMS ERROR: 304\r\n"), .approve(1),
        ], writes: ["AT+CMGS=3\r", "00112233"], seen: [
            .prompt(1), .failed(1, .cms(code: 304, meaning: ATErrorCatalogue.meaning(of: 304, in: .cms), command: "AT+CMGS=3"), .promptSeen),
        ]),

        Scenario(name: "the port closes after the PDU: fails in pduWritten; queued requests fail too", steps: [
            submit(1), .receive("> "), .approve(1), command(2, csq), .close,
        ], writes: ["AT+CMGS=3\r", "00112233", "<SUB>"], seen: [
            .prompt(1), .failed(1, closed, .pduWritten), .failed(2, closed, nil),
        ]),

        Scenario(name: "a request after the close fails at once", steps: [
            .close, command(1, csq), submit(2),
        ], writes: [], seen: [.failed(1, closed, nil), .failed(2, closed, .beforePrompt)]),

        Scenario(name: "a cancelled request that waits its turn is never written", steps: [
            command(1, csq), command(2, cgsn), .cancel(2), .receive("\r\n+CSQ: 20,99\r\n\r\nOK\r\n"),
        ], writes: ["AT+CSQ\r"], seen: [
            .failed(2, .cancelled(command: "AT+CGSN"), nil), .response(1, ["+CSQ: 20,99"], .ok),
        ]),

        Scenario(name: "a raw AT+CMGS reaching its prompt is aborted with ESC", steps: [
            .request(1, .command(try! ATCommand.raw("AT+CMGS=5"), timeout: .seconds(5))),  // swiftlint:disable:this force_try
            .receive("> "), .receive("\r\nOK\r\n"),
        ], writes: ["AT+CMGS=5\r", "<ESC>"], seen: [.response(1, [], .ok)]),

        Scenario(name: "ESC is written alone; the next command waits for the pause, a bare CR and a resync", steps: [
            .request(1, .escape), command(2, csq), .fire,
            .receive("\r\nOK\r\n"),                       // some modems answer ESC with OK
            .receive("\r\n+CMEE: 1\r\n\r\nOK\r\n"),
            .receive("\r\n+CSQ: 20,99\r\n\r\nOK\r\n"),
        ], writes: ["<ESC>", "\r", "AT+CMEE?\r", "AT+CSQ\r"], seen: [
            .escaped(1), .response(2, ["+CSQ: 20,99"], .ok),
        ]),

        Scenario(name: "AT+CPIN? answered by its line alone (Wavecom): the line is the answer after the grace", steps: [
            command(1, .simStatus), .receive("\r\n+CPIN: READY\r\n"), .fire,
            command(2, cgsn),
            .receive("\r\nOK\r\n"),                       // the late OK, if it ever comes
            .receive("\r\n+CMEE: 1\r\n\r\nOK\r\n"),
            .receive("\r\n490154203237518\r\n\r\nOK\r\n"),
        ], writes: ["AT+CPIN?\r", "AT+CMEE?\r", "AT+CGSN\r"], seen: [
            .response(1, ["+CPIN: READY"], .ok), .response(2, ["490154203237518"], .ok),
        ]),

        Scenario(name: "AT+CPIN? with its OK inside the grace needs no resync", steps: [
            command(1, .simStatus), .receive("\r\n+CPIN: SIM PIN\r\n"), .receive("\r\nOK\r\n"), command(2, cgsn),
            .receive("\r\n490154203237518\r\n\r\nOK\r\n"),
        ], writes: ["AT+CPIN?\r", "AT+CGSN\r"], seen: [
            .response(1, ["+CPIN: SIM PIN"], .ok), .response(2, ["490154203237518"], .ok),
        ]),

        Scenario(name: "only AT+CPIN?'s own +CPIN: line starts the grace, not any other line", steps: [
            command(1, .simStatus), .receive("\r\nSIM BUSY, RETRY\r\n"), .fire,
        ], writes: ["AT+CPIN?\r"], seen: [.failed(1, .timeout(command: "AT+CPIN?", answered: ["SIM BUSY, RETRY"]), nil)]),

        Scenario(name: "an information line does not shorten an ordinary command's timeout", steps: [
            command(1, csq), .receive("\r\n+CSQ: 20,99\r\n"), .receive("\r\nOK\r\n"),
        ], writes: ["AT+CSQ\r"], seen: [.response(1, ["+CSQ: 20,99"], .ok)]),
    ]

    static func render(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            switch byte {
            case 0x1B: "<ESC>"
            case 0x1A: "<SUB>"
            default: String(UnicodeScalar(byte))
            }
        }.joined()
    }

    static let configuration = ATSession.Configuration(ModemOptions())

    /// Runs `steps`; returns the writes, the outcomes, and the machine.
    static func run(_ steps: [Step]) -> (writes: [String], seen: [Seen], session: ATSession) {
        var session = ATSession(configuration: configuration)
        var writes: [String] = []
        var seen: [Seen] = []
        var armed: ATSession.TimerID?
        for step in steps {
            let event: ATSession.Event
            switch step {
            case .request(let id, let request): event = .requested(.init(value: UInt64(id)), request)
            case .receive(let text): event = .bytesReceived(Array(text.utf8))
            case .fire:
                guard let timer = armed else {
                    Issue.record("no timer armed to fire")
                    continue
                }
                armed = nil
                event = .timerFired(timer)
            case .approve(let id): event = .pduApproved(.init(value: UInt64(id)))
            case .withdraw(let id): event = .pduWithdrawn(.init(value: UInt64(id)), reason: "disk full")
            case .cancel(let id): event = .cancelled(.init(value: UInt64(id)))
            case .close: event = .transportClosed(closed)
            }
            for action in session.handle(event) {
                switch action {
                case .write(let bytes): writes.append(render(bytes))
                case .armTimer(let id, _): armed = id
                case .cancelTimer: armed = nil
                case .deliver(let id, let outcome):
                    let n = Int(id.value)
                    switch outcome {
                    case .response(let response): seen.append(.response(n, response.lines, response.final))
                    case .prompt: seen.append(.prompt(n))
                    case .accepted(let reference): seen.append(.accepted(n, reference: reference))
                    case .escaped: seen.append(.escaped(n))
                    }
                case .fail(let id, let failure): seen.append(.failed(Int(id.value), failure.error, failure.phase))
                case .emit, .log: break
                }
            }
        }
        return (writes, seen, session)
    }

    @Test("scenario", arguments: scenarios)
    func scenario(_ scenario: Scenario) {
        let (writes, seen, _) = Self.run(scenario.steps)
        #expect(writes == scenario.writes)
        #expect(seen == scenario.seen)
    }

    @Test("only a missing result after the PDU is ambiguous")
    func ambiguity() {
        let cases: [(steps: [Step], ambiguous: Bool)] = [
            ([Self.submit(1), .fire], false),
            ([Self.submit(1), .receive("> "), .withdraw(1)], false),
            ([Self.submit(1), .receive("> "), .approve(1), .fire], true),
            ([Self.submit(1), .receive("> "), .approve(1), .close], true),
            ([Self.submit(1), .receive("> "), .approve(1), .receive("\r\n+CMS ERROR: 500\r\n")], false),
            ([Self.submit(1), .receive("> "), .close], false),
        ]
        for (steps, ambiguous) in cases {
            let failures = Self.run(steps).seen.compactMap { seen -> SubmitFailure? in
                guard case .failed(_, let error, let phase?) = seen else { return nil }
                return SubmitFailure(phase: phase, error: error)
            }
            #expect(failures.count == 1)
            #expect(failures.first?.isAmbiguous == ambiguous, "\(steps)")
        }
    }

    @Test("URCs are emitted whenever they come, also between a response's lines")
    func urcs() {
        var session = ATSession(configuration: Self.configuration)
        _ = session.handle(.requested(.init(value: 1), .command(Self.csq, timeout: .seconds(5))))
        let actions = session.handle(.bytesReceived(Array("\r\n+CSQ: 20,99\r\n\r\nRING\r\n\r\n+CMTI: \"SM\",3\r\n".utf8)))
        let urcs = actions.compactMap { action -> UnsolicitedResult? in
            if case .emit(let urc) = action { return urc }
            return nil
        }
        #expect(urcs == [.ring, .newMessage(storage: "SM", index: 3)])
    }

    @Test("hasAnswered turns true with the first final result of any kind, not with other lines")
    func hasAnswered() {
        #expect(!Self.run([Self.command(1, Self.csq), .receive("\r\n+CSQ: 20,99\r\nRING\r\n"), .fire]).session.hasAnswered)
        #expect(Self.run([Self.command(1, Self.csq), .receive("\r\n+CME ERROR: 11\r\n")]).session.hasAnswered)
        #expect(Self.run([Self.command(1, .attention), .receive("\r\nCOMMAND NOT SUPPORT\r\n")]).session.hasAnswered)
    }

    @Test("a fire for an earlier arming of the timer is ignored")
    func staleTimer() {
        var session = ATSession(configuration: Self.configuration)
        let first = session.handle(.requested(.init(value: 1), .command(Self.csq, timeout: .seconds(5))))
        guard case .armTimer(let stale, _)? = first.last else {
            Issue.record("no timer armed: \(first)")
            return
        }
        _ = session.handle(.bytesReceived(Array("\r\nOK\r\n".utf8)))
        _ = session.handle(.requested(.init(value: 2), .command(Self.cgsn, timeout: .seconds(5))))
        let late = session.handle(.timerFired(stale))
        #expect(late.isEmpty)
        let answer = session.handle(.bytesReceived(Array("\r\n1234\r\n\r\nOK\r\n".utf8)))
        #expect(answer.contains(.deliver(.init(value: 2), .response(ATResponse(lines: ["1234"], final: .ok)))))
    }

    @Test("the timer durations come from the options")
    func durations() {
        var options = ModemOptions()
        options.promptTimeout = .seconds(7)
        options.sendTimeout = .seconds(61)
        options.escapePause = .milliseconds(30)
        options.informationGrace = .milliseconds(250)
        var session = ATSession(configuration: ATSession.Configuration(options))
        func armed(_ actions: [ATSession.Action]) -> [Duration] {
            actions.compactMap { if case .armTimer(_, let duration) = $0 { duration } else { nil } }
        }
        #expect(armed(session.handle(.requested(.init(value: 1), .command(.simStatus, timeout: .seconds(3))))) == [.seconds(3)])
        #expect(armed(session.handle(.bytesReceived(Array("\r\n+CPIN: READY\r\n".utf8)))) == [.milliseconds(250)])
        _ = session.handle(.bytesReceived(Array("\r\nOK\r\n".utf8)))
        #expect(armed(session.handle(.requested(.init(value: 2), .submit(Self.cmgs, pduHex: Self.pdu)))) == [.seconds(7)])
        _ = session.handle(.bytesReceived(Array("> ".utf8)))
        #expect(armed(session.handle(.pduApproved(.init(value: 2)))) == [.seconds(61)])
        #expect(armed(session.handle(.requested(.init(value: 3), .escape))).isEmpty)  // waits behind the submit
    }
}
