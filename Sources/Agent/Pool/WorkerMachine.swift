import Foundation
import Records

/// One modem worker's decisions as a pure state machine: events in, the one action to perform
/// next out (the `ModemWorker` actor performs it and reports the outcome as the next event).
/// No I/O, no clock of its own: every time is passed in, so each crash window and each error
/// class is a table test (`WorkerMachineTests`).
///
/// Events that arrive while an action is in flight (a URC, `stop()`, a hot-unplug) only change
/// the state; the decision they call for is taken when the action in flight reports back — so a
/// modem restart in the middle of a message re-initialises the modem before the next part,
/// instead of racing the send.
public struct WorkerMachine: Sendable {
    /// What the worker has been asked to do with its life.
    public enum Lifecycle: Sendable, Equatable {
        case running
        /// Finish the message in hand (every part), then stop.
        case stopping
        /// The device is gone: the message in hand goes back to the queue.
        case removed
    }

    /// The serial port, as far as the worker knows.
    public enum Connection: Sendable, Equatable {
        case closed
        case open
        /// It closed under us (unplug, EIO): to be closed on our side before anything else.
        case lost
    }

    /// The message in hand.
    public struct Message: Sendable, Equatable {
        public var id: String
        public var partCount: Int
        /// Parts still to submit, in order.
        public var pending: [Int]
        /// The modem restarted meanwhile: initialise it again before the next part.
        public var reinitialiseFirst = false

        public init(id: String, partCount: Int, pending: [Int]) {
            self.id = id
            self.partCount = partCount
            self.pending = pending
        }
    }

    /// What to record about the part in hand before settling its message.
    public enum PartOutcome: Sendable, Equatable {
        /// Its PDU was never written (status `rejected`, "not sent: …").
        case notSent(part: Int, reason: String)
        /// A definite refusal after the PDU (status `rejected`).
        case refused(part: Int, reason: String)
        /// Written, no answer, and not assumed (status `interrupted`).
        case interrupted(part: Int, reason: String)

        public var part: Int {
            switch self {
            case .notSent(let part, _), .refused(let part, _), .interrupted(let part, _): part
            }
        }
    }

    /// How the message in hand leaves the worker.
    public enum Settlement: Sendable, Equatable {
        /// Every part done → `sent/`. `assumedPart`: counted without an answer (assume-sent).
        case sent(assumedPart: Int?)
        /// → `failed/` with the reason.
        case failed(reason: String, part: PartOutcome?)
        /// Back to the queue. `countsAttempt`: one of the message's `max_attempts_per_message`
        /// is used up (only errors about the message do that, invariant 9).
        case giveBack(part: PartOutcome?, countsAttempt: Bool, reason: String)
    }

    public enum State: Sendable, Equatable {
        /// No port; open it at `retryAt` (nil: now).
        case disconnected(retryAt: Date?)
        /// Port open: initialise, PIN (at most once per start), SMS centre, STOP number.
        case settingUp
        /// The network refuses service: ask again at `checkAt` (or on a registration URC).
        case waitingForNetwork(checkAt: Date, backoff: Duration)
        /// Inbound, throttle, claim (the actor's chores).
        case ready
        case sending(Message)
        /// Record how the message in hand ended, then go on in `then`.
        indirect case settling(Settlement, then: State)
        /// After a failure: wait until `until`, then go on (reconnecting first if `reconnect`).
        case backingOff(until: Date, reconnect: Bool)
        /// The health ladder's reset rung.
        case resetting
        /// Its work goes to the other modems until `until`.
        case unhealthy(until: Date)
        /// Not used again until the agent restarts (SIM problem, configuration, a record that
        /// could not be written): the reason is shown in `status`.
        case parked(String)
        case stopped
    }

    public enum Action: Sendable, Equatable {
        /// Open the port and start the modem session; report `.portOpened` / `.portFailed`.
        case connect
        /// `initialise`, unlock (with this PIN, nil = never enter one), SMS centre, identity,
        /// STOP number, registration; report `.setUpDone` / `.setUpFailed`.
        case setUp(pin: String?)
        /// Ask `+CREG?`; report `.registration` / `.registrationUnknown`.
        case checkRegistration
        /// Inbound, throttle, claim one message or wait for the doorbell; report `.claimed` / `.workDone`.
        case work
        /// `initialise` again (the modem restarted mid-message); report `.reinitialised` / `.reinitialiseFailed`.
        case reinitialise
        /// Submit this part (the durable marker written after the prompt); report `.accepted` / `.submitFailed` / `.recordFailed`.
        case submit(part: Int)
        /// Record the outcome in the outbox and the ledger; report `.settled` / `.settleFailed`.
        case settle(Settlement)
        /// `AT+CFUN=1,1` and close the port; report `.resetDone`.
        case reset
        /// Close the port; report `.disconnected`.
        case disconnect
        /// Wait for the doorbell, or until this time; report `.woke`.
        case wait(until: Date?)
        /// The worker's loop ends.
        case finish
    }

    public enum SetUpFailure: Sendable, Equatable {
        /// A SIM problem (PIN, PUK, no SIM): never retried in this start (invariant 6).
        case sim(String)
        /// Something a person must configure (no STOP number): parked.
        case configuration(String)
        /// The modem misbehaved: the health ladder.
        case modem(String)
    }

    public enum Event: Sendable, Equatable {
        case portOpened
        case portFailed(String)
        /// `pinEntered`: the PIN was typed in during this set-up.
        case setUpDone(registered: Bool, pinEntered: Bool)
        case setUpFailed(SetUpFailure, pinEntered: Bool)
        /// An answer to `checkRegistration`, or a `+CREG`/`+CEREG` URC.
        case registration(registered: Bool)
        case registrationUnknown
        case claimed(Message)
        case workDone
        case reinitialised
        case reinitialiseFailed(String)
        case accepted(part: Int)
        case submitFailed(part: Int, SubmitErrorClass, reason: String)
        /// The durable marker could not be written: the submit was abandoned at the prompt.
        case recordFailed(part: Int, reason: String)
        /// The marker could not be written because the shared records (a database) cannot be
        /// reached for now: nothing was sent; the message goes back and the modem stays in service.
        case recordsUnreachable(part: Int, reason: String)
        case settled
        case settleFailed(String)
        case resetDone
        case disconnected
        case woke
        case portClosed(String)
        case modemRestarted
        case stopRequested
        case removed
    }

    public private(set) var state: State = .disconnected(retryAt: nil)
    public private(set) var lifecycle = Lifecycle.running
    public private(set) var connection = Connection.closed
    public private(set) var health: ModemHealth
    /// The configured PIN has been entered in this start: it is never entered again (invariant 6).
    public private(set) var pinEntered = false
    public private(set) var lastError: String?
    public let policy: AmbiguousSendPolicy
    let pin: String?

    public init(settings: RetrySettings, policy: AmbiguousSendPolicy, pin: String?) {
        self.health = ModemHealth(settings: settings)
        self.policy = policy
        self.pin = pin
    }

    /// Applies `event` and returns what to do next.
    public mutating func handle(_ event: Event, now: Date) -> Action {
        apply(event, now: now)
        return next(now: now)
    }

    /// Applies an event that arrived while an action was in flight (URC, stop, removal): the
    /// decision comes when that action reports back.
    public mutating func note(_ event: Event, now: Date) {
        apply(event, now: now)
    }

    // MARK: - Transitions

    mutating func apply(_ event: Event, now: Date) {
        switch event {
        case .portOpened:
            connection = .open
            state = .settingUp
        case .portFailed(let reason):
            connection = .closed
            lastError = reason
            state = climbLadder(reason: reason, now: now, connecting: true)
        case .setUpDone(let registered, let entered):
            pinEntered = pinEntered || entered
            // The health ladder is cleared by an accepted part, not by a set-up: a modem that
            // initialises fine but never sends must still climb to reset and unhealthy.
            state = registered ? .ready : waitForNetwork(now: now, after: nil)
        case .setUpFailed(let failure, let entered):
            pinEntered = pinEntered || entered
            switch failure {
            case .sim(let reason), .configuration(let reason):
                lastError = reason
                state = .parked(reason)
            case .modem(let reason):
                lastError = reason
                state = climbLadder(reason: reason, now: now, connecting: true)
            }
        case .registration(let registered):
            switch state {
            case .waitingForNetwork(_, let backoff):
                state = registered ? .ready : waitForNetwork(now: now, after: backoff)
            case .ready where !registered:
                state = waitForNetwork(now: now, after: nil)
            default:
                break   // sending: the part's own answer tells; elsewhere it is looked at on set-up
            }
        case .registrationUnknown:
            if case .waitingForNetwork(_, let backoff) = state { state = waitForNetwork(now: now, after: backoff) }
        case .claimed(let message):
            if case .ready = state {
                state = message.pending.isEmpty ? .settling(.sent(assumedPart: nil), then: .ready) : .sending(message)
            } else {
                // The state moved on during the claim (a URC, a failure): not on this modem now.
                state = .settling(.giveBack(part: nil, countsAttempt: false, reason: "the modem is not ready"), then: state)
            }
        case .workDone, .woke:
            break
        case .reinitialised:
            if case .sending(var message) = state {
                message.reinitialiseFirst = false
                state = .sending(message)
            }
        case .reinitialiseFailed(let reason):
            lastError = reason
            if case .sending = state {
                state = .settling(.giveBack(part: nil, countsAttempt: false, reason: "not sent: \(reason)"),
                                  then: climbLadder(reason: reason, now: now, connecting: false))
            }
        case .accepted(let part):
            guard case .sending(var message) = state else { break }
            health.succeeded()
            message.pending.removeAll { $0 == part }
            state = message.pending.isEmpty ? .settling(.sent(assumedPart: nil), then: .ready) : .sending(message)
        case .submitFailed(let part, let kind, let reason):
            guard case .sending(let message) = state else { break }
            lastError = reason
            state = submitFailed(message, part: part, kind: kind, reason: reason, now: now)
        case .recordFailed(let part, let reason):
            let problem = "cannot record a send attempt (\(reason)): this modem takes no new work until the agent restarts"
            lastError = problem
            state = .settling(.giveBack(part: .notSent(part: part, reason: "not sent: \(reason)"), countsAttempt: false, reason: reason),
                              then: .parked(problem))
        case .recordsUnreachable(let part, let reason):
            lastError = "the records cannot be reached (\(reason)): nothing is sent until they answer"
            state = .settling(.giveBack(part: .notSent(part: part, reason: "not sent: \(reason)"), countsAttempt: false, reason: reason),
                              then: .ready)
        case .settled:
            if case .settling(_, let then) = state { state = then }
        case .settleFailed(let reason):
            let problem = "cannot record the outcome of a message (\(reason)): this modem takes no new work until the agent restarts"
            lastError = problem
            state = .parked(problem)
        case .resetDone:
            connection = .closed
            state = .disconnected(retryAt: now.addingTimeInterval(health.settings.initialBackoff.timeInterval))
        case .disconnected:
            connection = .closed
            switch state {
            case .settingUp, .ready, .waitingForNetwork, .backingOff: state = .disconnected(retryAt: nil)
            default: break
            }
        case .portClosed(let reason):
            if connection == .open { connection = .lost }
            lastError = "port closed: \(reason)"
        case .modemRestarted:
            switch state {
            case .sending(var message):
                message.reinitialiseFirst = true
                state = .sending(message)
            case .ready, .waitingForNetwork:
                state = .settingUp
            default:
                break
            }
        case .stopRequested:
            if lifecycle == .running { lifecycle = .stopping }
        case .removed:
            lifecycle = .removed
        }
    }

    /// The one decision about a failed part (with `AmbiguousWindow` for the window itself).
    private mutating func submitFailed(_ message: Message, part: Int, kind: SubmitErrorClass, reason: String, now: Date) -> State {
        let notSent = PartOutcome.notSent(part: part, reason: "not sent: \(reason)")
        switch kind {
        case .ambiguous:
            let after = climbLadder(reason: reason, now: now, connecting: false)
            switch AmbiguousWindow.resolve(policy: policy, pduMayHaveBeenWritten: true, isLastOutstandingPart: message.pending == [part]) {
            case .assumeSent:
                return .settling(.sent(assumedPart: part), then: after)
            case .resend, .notSent:
                return .settling(.giveBack(part: .interrupted(part: part, reason: "no answer (\(reason)); sent again (policy \(policy.rawValue))"),
                                           countsAttempt: true, reason: reason), then: after)
            case .failMessage:
                let why = "part \(part) may have been sent: no answer (\(reason)) (policy fail)"
                return .settling(.failed(reason: why, part: .interrupted(part: part, reason: "no answer (\(reason)) (policy fail)")), then: after)
            }
        case .notSent:
            return .settling(.giveBack(part: notSent, countsAttempt: false, reason: reason),
                             then: climbLadder(reason: reason, now: now, connecting: false))
        case .network:
            return .settling(.giveBack(part: notSent, countsAttempt: false, reason: reason), then: waitForNetwork(now: now, after: nil))
        case .simBusy:
            return .settling(.giveBack(part: notSent, countsAttempt: false, reason: reason),
                             then: .backingOff(until: now.addingTimeInterval(health.settings.initialBackoff.timeInterval), reconnect: false))
        case .noServiceCentre:
            let problem = "the SIM has no SMS centre: set modems.smsc"
            lastError = problem
            return .settling(.giveBack(part: notSent, countsAttempt: false, reason: reason), then: .parked(problem))
        case .messageRefused:
            return .settling(.failed(reason: reason, part: .refused(part: part, reason: reason)), then: .ready)
        case .modemRefused:
            return .settling(.giveBack(part: .refused(part: part, reason: reason), countsAttempt: true, reason: reason),
                             then: climbLadder(reason: reason, now: now, connecting: false))
        }
    }

    /// A failure that points at the modem: the next rung of its health ladder.
    private mutating func climbLadder(reason: String, now: Date, connecting: Bool) -> State {
        switch health.failed() {
        case .retry(let after):
            return connecting ? .disconnected(retryAt: now.addingTimeInterval(after.timeInterval))
                              : .backingOff(until: now.addingTimeInterval(after.timeInterval), reconnect: false)
        case .reinitialise:
            return connecting ? .disconnected(retryAt: now.addingTimeInterval(health.settings.initialBackoff.timeInterval)) : .settingUp
        case .reset:
            return connecting ? .disconnected(retryAt: now.addingTimeInterval(health.settings.initialBackoff.timeInterval)) : .resetting
        case .markUnhealthy(let retryAfter):
            return .unhealthy(until: now.addingTimeInterval(retryAfter.timeInterval))
        }
    }

    /// Registration is polled slowly with a doubling backoff (a URC ends the wait sooner).
    private func waitForNetwork(now: Date, after previous: Duration?) -> State {
        let backoff = previous.map { min($0 * 2, health.settings.maxBackoff) } ?? health.settings.initialBackoff
        return .waitingForNetwork(checkAt: now.addingTimeInterval(backoff.timeInterval), backoff: backoff)
    }

    // MARK: - Decisions

    /// The action the current state calls for.
    public mutating func next(now: Date) -> Action {
        if case .settling(let settlement, _) = state { return .settle(settlement) }   // disk only: always first
        if lifecycle != .running {
            if case .sending(let message) = state {
                if lifecycle == .stopping && connection == .open && !message.reinitialiseFirst {
                    return .submit(part: message.pending[0])   // stop finishes the message in hand
                }
                state = .settling(.giveBack(part: nil, countsAttempt: false, reason: "the modem was stopped or removed"), then: .stopped)
                return next(now: now)
            }
            if connection != .closed { return .disconnect }
            state = .stopped
            return .finish
        }
        if connection == .lost {
            if case .sending = state {
                state = .settling(.giveBack(part: nil, countsAttempt: false, reason: lastError ?? "port closed"),
                                  then: .disconnected(retryAt: nil))
                return next(now: now)
            }
            return .disconnect
        }
        switch state {
        case .disconnected(let retryAt):
            if connection != .closed { return .disconnect }
            if let retryAt, now < retryAt { return .wait(until: retryAt) }
            return .connect
        case .settingUp:
            guard connection == .open else {
                state = .disconnected(retryAt: nil)
                return .connect
            }
            return .setUp(pin: pinEntered ? nil : pin)
        case .waitingForNetwork(let checkAt, _):
            return now >= checkAt ? .checkRegistration : .wait(until: checkAt)
        case .ready:
            return .work
        case .sending(let message):
            if message.reinitialiseFirst { return .reinitialise }
            guard let part = message.pending.first else {
                state = .settling(.sent(assumedPart: nil), then: .ready)
                return next(now: now)
            }
            return .submit(part: part)
        case .settling(let settlement, _):
            return .settle(settlement)
        case .backingOff(let until, let reconnect):
            if now < until { return .wait(until: until) }
            state = reconnect ? .disconnected(retryAt: nil) : .ready
            return next(now: now)
        case .resetting:
            return .reset
        case .unhealthy(let until):
            if connection != .closed { return .disconnect }
            if now < until { return .wait(until: until) }
            health.revive()
            state = .disconnected(retryAt: nil)
            return .connect
        case .parked:
            if connection != .closed { return .disconnect }
            return .wait(until: nil)
        case .stopped:
            return .finish
        }
    }

    // MARK: - Status

    /// The state as `status.json` shows it.
    public var statusText: String {
        switch state {
        case .disconnected: lifecycle == .removed ? "removed" : lastError == nil ? "starting" : "disconnected"
        case .settingUp: "starting"
        case .waitingForNetwork: "waiting for network"
        case .ready: "ready"
        case .sending, .settling: "sending"
        case .backingOff, .resetting: "degraded"
        case .unhealthy: "unhealthy"
        case .parked: "parked"
        case .stopped: lifecycle == .removed ? "removed" : "stopped"
        }
    }
}
