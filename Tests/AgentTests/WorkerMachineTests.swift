import Foundation
import ModemKit
import Records
import Testing
@testable import Agent

/// The worker's decisions, as tables over the pure `WorkerMachine` (issue 16): no modem, no
/// clock, no sleep — every crash window and error class is one row.
@Suite struct WorkerMachineTests {
    static let t0 = Date(timeIntervalSince1970: 1_780_000_000)

    /// A machine with a message of `parts` parts in hand, about to submit part 1.
    static func sending(parts: Int, policy: AmbiguousSendPolicy = .assumeSent, pin: String? = nil) -> WorkerMachine {
        var machine = WorkerMachine(settings: RetrySettings(), policy: policy, pin: pin)
        #expect(machine.next(now: t0) == .connect)
        #expect(machine.handle(.portOpened, now: t0) == .setUp(pin: pin))
        #expect(machine.handle(.setUpDone(registered: true, pinEntered: pin != nil), now: t0) == .work)
        let first = machine.handle(.claimed(.init(id: "m", partCount: parts, pending: Array(1...parts))), now: t0)
        #expect(first == .submit(part: 1))
        return machine
    }

    static func failure(_ phase: SubmitPhase, _ error: ModemError) -> SubmitErrorClass {
        SubmitErrorClass.classify(SubmitFailure(phase: phase, error: error))
    }

    static let timeout = ModemError.timeout(command: "AT+CMGS=23")

    // MARK: the ambiguous window

    /// No `> ` prompt: the PDU was never written — the message goes back, under every policy,
    /// without using one of its attempts.
    @Test(arguments: AmbiguousSendPolicy.allCases)
    func aPromptTimeoutGivesTheMessageBackAndIsNeverAmbiguous(_ policy: AmbiguousSendPolicy) {
        var machine = Self.sending(parts: 3, policy: policy)
        let kind = Self.failure(.beforePrompt, Self.timeout)
        #expect(kind == .notSent)
        let action = machine.handle(.submitFailed(part: 1, kind, reason: "no prompt"), now: Self.t0)
        #expect(action == .settle(.giveBack(part: .notSent(part: 1, reason: "not sent: no prompt"), countsAttempt: false, reason: "no prompt")))
    }

    @Test(arguments: [
        // phase, error, class
        (SubmitPhase.beforePrompt, ModemError.timeout(command: "AT+CMGS=23"), SubmitErrorClass.notSent),
        (.promptSeen, .timeout(command: "AT+CMGS=23"), .notSent),
        (.promptSeen, .transportClosed(port: "p", reason: "EIO"), .notSent),
        (.beforePrompt, .malformedResponse(command: "AT+CMGS=23", line: "OK without a > prompt"), .notSent),
        (.pduWritten, .timeout(command: "AT+CMGS=23"), .ambiguous),
        (.pduWritten, .transportClosed(port: "p", reason: "EIO"), .ambiguous),
        (.pduWritten, .malformedResponse(command: "AT+CMGS=23", line: "?"), .ambiguous),
        (.pduWritten, .cms(code: 331, meaning: "", command: "AT+CMGS=23"), .network),
        (.pduWritten, .cms(code: 38, meaning: "", command: "AT+CMGS=23"), .network),
        (.pduWritten, .cms(code: 42, meaning: "", command: "AT+CMGS=23"), .network),
        (.beforePrompt, .cme(code: 30, meaning: "", command: "AT+CMGS=23"), .network),
        (.beforePrompt, .cms(code: 314, meaning: "", command: "AT+CMGS=23"), .simBusy),
        (.beforePrompt, .cme(code: 14, meaning: "", command: "AT+CMGS=23"), .simBusy),
        (.pduWritten, .cms(code: 330, meaning: "", command: "AT+CMGS=23"), .noServiceCentre),
        (.pduWritten, .cms(code: 1, meaning: "", command: "AT+CMGS=23"), .messageRefused),
        (.pduWritten, .cms(code: 28, meaning: "", command: "AT+CMGS=23"), .messageRefused),
        (.pduWritten, .cms(code: 304, meaning: "", command: "AT+CMGS=23"), .messageRefused),
        (.pduWritten, .cms(code: 500, meaning: "", command: "AT+CMGS=23"), .modemRefused),
        (.pduWritten, .error(command: "AT+CMGS=23", result: "ERROR"), .modemRefused),
        (.beforePrompt, .error(command: "AT+CMGS=23", result: "ERROR"), .notSent),
        (.beforePrompt, .cme(code: 11, meaning: "", command: "AT+CMGS=23"), .notSent),
    ])
    func errorsAreClassifiedInOnePlace(_ phase: SubmitPhase, _ error: ModemError, _ expected: SubmitErrorClass) {
        #expect(Self.failure(phase, error) == expected)
    }

    /// Invariant 9: only errors about the message (or a silence that may have been it) use up
    /// one of its attempts.
    @Test(arguments: [
        (SubmitErrorClass.ambiguous, true), (.modemRefused, true), (.notSent, false), (.network, false),
        (.simBusy, false), (.noServiceCentre, false), (.messageRefused, false),
    ])
    func onlyMessageErrorsConsumeAttempts(_ kind: SubmitErrorClass, _ consumes: Bool) {
        #expect(kind.consumesMessageAttempt == consumes)
    }

    /// No answer after the PDU: the policy decides — and never so that a later part follows a
    /// part that is only assumed.
    @Test(arguments: [
        // policy, parts, failing part, expected settlement
        (AmbiguousSendPolicy.assumeSent, 1, 1, WorkerMachine.Settlement.sent(assumedPart: 1)),
        (.assumeSent, 3, 3, .sent(assumedPart: 3)),
        (.assumeSent, 3, 2, .giveBack(part: .interrupted(part: 2, reason: "no answer (t); sent again (policy assume-sent)"), countsAttempt: true, reason: "t")),
        (.resend, 3, 3, .giveBack(part: .interrupted(part: 3, reason: "no answer (t); sent again (policy resend)"), countsAttempt: true, reason: "t")),
        (.fail, 3, 2, .failed(reason: "part 2 may have been sent: no answer (t) (policy fail)", part: .interrupted(part: 2, reason: "no answer (t) (policy fail)"))),
    ])
    func aResultTimeoutAppliesThePolicy(_ policy: AmbiguousSendPolicy, _ parts: Int, _ failing: Int, _ expected: WorkerMachine.Settlement) {
        var machine = Self.sending(parts: parts, policy: policy)
        for part in 1..<failing {
            #expect(machine.handle(.accepted(part: part), now: Self.t0) == .submit(part: part + 1))
        }
        #expect(machine.handle(.submitFailed(part: failing, Self.failure(.pduWritten, Self.timeout), reason: "t"), now: Self.t0) == .settle(expected))
    }

    /// The same rule decides after a crash (FileOutbox recovery) and at run time.
    @Test(arguments: [
        (AmbiguousSendPolicy.assumeSent, true, true, AmbiguousWindow.Resolution.assumeSent),
        (.assumeSent, true, false, .resend),
        (.resend, true, true, .resend),
        (.fail, true, false, .failMessage),
        (.assumeSent, false, true, .notSent),
        (.resend, false, false, .notSent),
        (.fail, false, true, .notSent),
    ])
    func oneRuleForTheAmbiguousWindow(_ policy: AmbiguousSendPolicy, _ written: Bool, _ last: Bool, _ expected: AmbiguousWindow.Resolution) {
        #expect(AmbiguousWindow.resolve(policy: policy, pduMayHaveBeenWritten: written, isLastOutstandingPart: last) == expected)
    }

    // MARK: reentrancy

    @Test func aRestartDuringAMessageReinitialisesBeforeTheNextPart() {
        var machine = Self.sending(parts: 3)
        // The URC arrives while part 1 is in flight.
        machine.note(.modemRestarted, now: Self.t0)
        #expect(machine.handle(.accepted(part: 1), now: Self.t0) == .reinitialise)
        #expect(machine.handle(.reinitialised, now: Self.t0) == .submit(part: 2))
        #expect(machine.handle(.accepted(part: 2), now: Self.t0) == .submit(part: 3))
    }

    @Test func aFailedReinitialisationGivesTheRestBackUntouched() {
        var machine = Self.sending(parts: 2)
        machine.note(.modemRestarted, now: Self.t0)
        #expect(machine.handle(.accepted(part: 1), now: Self.t0) == .reinitialise)
        let action = machine.handle(.reinitialiseFailed("no answer to AT"), now: Self.t0)
        #expect(action == .settle(.giveBack(part: nil, countsAttempt: false, reason: "not sent: no answer to AT")))
    }

    @Test func removalWhileAwaitingThePromptGivesTheMessageBack() {
        var machine = Self.sending(parts: 3)
        machine.note(.removed, now: Self.t0)
        machine.note(.portClosed("EIO"), now: Self.t0)
        let closed = Self.failure(.beforePrompt, .transportClosed(port: "p", reason: "EIO"))
        let action = machine.handle(.submitFailed(part: 1, closed, reason: "closed"), now: Self.t0)
        #expect(action == .settle(.giveBack(part: .notSent(part: 1, reason: "not sent: closed"), countsAttempt: false, reason: "closed")))
        #expect(machine.handle(.settled, now: Self.t0) == .disconnect)
        #expect(machine.handle(.disconnected, now: Self.t0) == .finish)
        #expect(machine.statusText == "removed")
    }

    @Test func removalAfterAPartGivesTheRestBackInsteadOfSendingIt() {
        var machine = Self.sending(parts: 3)
        machine.note(.removed, now: Self.t0)
        let action = machine.handle(.accepted(part: 1), now: Self.t0)
        #expect(action == .settle(.giveBack(part: nil, countsAttempt: false, reason: "the modem was stopped or removed")))
    }

    @Test func stopFinishesThePartInHandAndTheMessage() {
        var machine = Self.sending(parts: 3)
        machine.note(.stopRequested, now: Self.t0)
        #expect(machine.handle(.accepted(part: 1), now: Self.t0) == .submit(part: 2))
        #expect(machine.handle(.accepted(part: 2), now: Self.t0) == .submit(part: 3))
        #expect(machine.handle(.accepted(part: 3), now: Self.t0) == .settle(.sent(assumedPart: nil)))
        #expect(machine.handle(.settled, now: Self.t0) == .disconnect)
        #expect(machine.handle(.disconnected, now: Self.t0) == .finish)
        #expect(machine.statusText == "stopped")
    }

    @Test func stopWhileIdleStopsAtOnce() {
        var machine = Self.sending(parts: 1)
        #expect(machine.handle(.accepted(part: 1), now: Self.t0) == .settle(.sent(assumedPart: nil)))
        #expect(machine.handle(.settled, now: Self.t0) == .work)
        machine.note(.stopRequested, now: Self.t0)
        #expect(machine.handle(.workDone, now: Self.t0) == .disconnect)
    }

    /// A message claimed while the state moved on (a URC during the claim) goes back at once.
    @Test func aClaimThatArrivesWhenNotReadyIsGivenBack() {
        var machine = Self.sending(parts: 1)
        _ = machine.handle(.accepted(part: 1), now: Self.t0)
        #expect(machine.handle(.settled, now: Self.t0) == .work)
        machine.note(.registration(registered: false), now: Self.t0)
        let action = machine.handle(.claimed(.init(id: "x", partCount: 1, pending: [1])), now: Self.t0)
        #expect(action == .settle(.giveBack(part: nil, countsAttempt: false, reason: "the modem is not ready")))
    }

    // MARK: PIN (invariant 6)

    @Test func thePINIsEnteredAtMostOncePerStart() {
        var machine = WorkerMachine(settings: RetrySettings(), policy: .assumeSent, pin: "1234")
        #expect(machine.next(now: Self.t0) == .connect)
        #expect(machine.handle(.portOpened, now: Self.t0) == .setUp(pin: "1234"))
        // The set-up failed after the PIN went in (the modem then hung): reconnect …
        var action = machine.handle(.setUpFailed(.modem("timeout"), pinEntered: true), now: Self.t0)
        #expect(action == .disconnect)
        action = machine.handle(.disconnected, now: Self.t0.addingTimeInterval(3600))
        #expect(action == .connect)
        // … and never offer the PIN again.
        #expect(machine.handle(.portOpened, now: Self.t0.addingTimeInterval(3600)) == .setUp(pin: nil))
    }

    @Test func aSetUpThatFailedBeforeThePINStepOffersItAgain() {
        var machine = WorkerMachine(settings: RetrySettings(), policy: .assumeSent, pin: "1234")
        _ = machine.next(now: Self.t0)
        _ = machine.handle(.portOpened, now: Self.t0)
        _ = machine.handle(.setUpFailed(.modem("timeout"), pinEntered: false), now: Self.t0)
        _ = machine.handle(.disconnected, now: Self.t0.addingTimeInterval(3600))
        #expect(machine.handle(.portOpened, now: Self.t0.addingTimeInterval(3600)) == .setUp(pin: "1234"))
    }

    @Test func aSIMProblemParksTheModemForTheRestOfTheRun() {
        var machine = WorkerMachine(settings: RetrySettings(), policy: .assumeSent, pin: "0000")
        _ = machine.next(now: Self.t0)
        _ = machine.handle(.portOpened, now: Self.t0)
        #expect(machine.handle(.setUpFailed(.sim("the SIM rejected the PIN"), pinEntered: true), now: Self.t0) == .disconnect)
        #expect(machine.handle(.disconnected, now: Self.t0) == .wait(until: nil))
        #expect(machine.handle(.woke, now: Self.t0.addingTimeInterval(86_400)) == .wait(until: nil))
        #expect(machine.statusText == "parked")
    }

    // MARK: network and configuration (invariant 9, issue 10.4)

    @Test(arguments: [331, 38, 332])
    func aNetworkErrorWaitsForRegistrationWithoutUsingAnAttempt(_ code: Int) {
        var machine = Self.sending(parts: 1)
        let kind = Self.failure(.pduWritten, .cms(code: code, meaning: "", command: "AT+CMGS=23"))
        let action = machine.handle(.submitFailed(part: 1, kind, reason: "no network"), now: Self.t0)
        #expect(action == .settle(.giveBack(part: .notSent(part: 1, reason: "not sent: no network"), countsAttempt: false, reason: "no network")))
        let checkAt = Self.t0.addingTimeInterval(1)
        #expect(machine.handle(.settled, now: Self.t0) == .wait(until: checkAt))
        #expect(machine.statusText == "waiting for network")
        // Still not registered: the next look is later (doubling backoff).
        #expect(machine.handle(.woke, now: checkAt) == .checkRegistration)
        #expect(machine.handle(.registration(registered: false), now: checkAt) == .wait(until: checkAt.addingTimeInterval(2)))
        // A URC says the network is back: the queue goes again.
        #expect(machine.handle(.registration(registered: true), now: checkAt) == .work)
        #expect(machine.statusText == "ready")
    }

    @Test func setUpOnAnUnregisteredModemWaitsForTheNetwork() {
        var machine = WorkerMachine(settings: RetrySettings(), policy: .assumeSent, pin: nil)
        _ = machine.next(now: Self.t0)
        _ = machine.handle(.portOpened, now: Self.t0)
        #expect(machine.handle(.setUpDone(registered: false, pinEntered: false), now: Self.t0) == .wait(until: Self.t0.addingTimeInterval(1)))
        #expect(machine.health.consecutiveFailures == 0)
    }

    @Test func noServiceCentreParksTheModemAndKeepsTheQueue() {
        var machine = Self.sending(parts: 1)
        let kind = Self.failure(.pduWritten, .cms(code: 330, meaning: "", command: "AT+CMGS=23"))
        let action = machine.handle(.submitFailed(part: 1, kind, reason: "330"), now: Self.t0)
        #expect(action == .settle(.giveBack(part: .notSent(part: 1, reason: "not sent: 330"), countsAttempt: false, reason: "330")))
        #expect(machine.handle(.settled, now: Self.t0) == .disconnect)
        #expect(machine.state == .parked("the SIM has no SMS centre: set modems.smsc"))
        #expect(machine.health.resets == 0)
    }

    @Test func aRecipientRefusalFailsTheMessageAndTheModemStaysReady() {
        var machine = Self.sending(parts: 1)
        let kind = Self.failure(.pduWritten, .cms(code: 1, meaning: "", command: "AT+CMGS=23"))
        #expect(machine.handle(.submitFailed(part: 1, kind, reason: "unassigned"), now: Self.t0)
                == .settle(.failed(reason: "unassigned", part: .refused(part: 1, reason: "unassigned"))))
        #expect(machine.handle(.settled, now: Self.t0) == .work)
    }

    // MARK: errors that matter stop the intake

    @Test func aSettleThatCannotBeRecordedStopsTheIntake() {
        var machine = Self.sending(parts: 1)
        _ = machine.handle(.accepted(part: 1), now: Self.t0)
        #expect(machine.handle(.settleFailed("ENOSPC"), now: Self.t0) == .disconnect)
        #expect(machine.handle(.disconnected, now: Self.t0) == .wait(until: nil))
        #expect(machine.statusText == "parked")
        #expect(machine.lastError?.contains("ENOSPC") == true)
    }

    @Test func aMarkerThatCannotBeWrittenGivesTheMessageBackAndStopsTheIntake() {
        var machine = Self.sending(parts: 2)
        let action = machine.handle(.recordFailed(part: 1, reason: "ENOSPC"), now: Self.t0)
        #expect(action == .settle(.giveBack(part: .notSent(part: 1, reason: "not sent: ENOSPC"), countsAttempt: false, reason: "ENOSPC")))
        #expect(machine.handle(.settled, now: Self.t0) == .disconnect)
        #expect(machine.statusText == "parked")
    }

    /// A shared database away at the prompt: nothing was sent, the message goes back without
    /// using an attempt, and the modem stays in service (it claims again once the records answer).
    @Test func aMarkerLostToAnUnreachableDatabaseGivesTheMessageBackAndKeepsTheModem() {
        var machine = Self.sending(parts: 2)
        let action = machine.handle(.recordsUnreachable(part: 1, reason: "database down"), now: Self.t0)
        #expect(action == .settle(.giveBack(part: .notSent(part: 1, reason: "not sent: database down"), countsAttempt: false, reason: "database down")))
        #expect(machine.handle(.settled, now: Self.t0) == .work)
        #expect(machine.statusText != "parked")
    }

    // MARK: the health ladder

    /// A modem that sets up fine but never sends climbs the whole ladder: re-initialise, reset,
    /// unhealthy (its work goes to the other modems) — never a loop of re-initialisations.
    @Test func aModemThatKeepsFailingClimbsTheLadderToUnhealthy() {
        var settings = RetrySettings()
        settings.attemptsBeforeReinitialise = 1
        settings.reinitialisationsBeforeReset = 1
        settings.resetsBeforeUnhealthy = 1
        var machine = WorkerMachine(settings: settings, policy: .assumeSent, pin: nil)
        let t0 = Self.t0
        _ = machine.next(now: t0)
        _ = machine.handle(.portOpened, now: t0)
        _ = machine.handle(.setUpDone(registered: true, pinEntered: false), now: t0)
        func failOnce() -> WorkerMachine.Action {
            _ = machine.handle(.claimed(.init(id: "m", partCount: 1, pending: [1])), now: t0)
            _ = machine.handle(.submitFailed(part: 1, .notSent, reason: "no prompt"), now: t0)
            return machine.handle(.settled, now: t0)
        }
        #expect(failOnce() == .setUp(pin: nil))   // re-initialise
        #expect(machine.handle(.setUpDone(registered: true, pinEntered: false), now: t0) == .work)
        #expect(failOnce() == .reset)
        #expect(machine.handle(.resetDone, now: t0) == .wait(until: t0.addingTimeInterval(1)))
        #expect(machine.handle(.woke, now: t0.addingTimeInterval(1)) == .connect)
        _ = machine.handle(.portOpened, now: t0)
        #expect(machine.handle(.setUpDone(registered: true, pinEntered: false), now: t0) == .work)
        #expect(failOnce() == .disconnect)
        #expect(machine.statusText == "unhealthy")
        #expect(machine.handle(.disconnected, now: t0) == .wait(until: t0.addingTimeInterval(300)))
    }

    @Test func anAcceptedPartClearsTheLadder() {
        var machine = Self.sending(parts: 2)
        _ = machine.handle(.submitFailed(part: 1, .notSent, reason: "no prompt"), now: Self.t0)
        #expect(machine.health.consecutiveFailures == 1)
        _ = machine.handle(.settled, now: Self.t0)
        _ = machine.handle(.woke, now: Self.t0.addingTimeInterval(5))
        _ = machine.handle(.claimed(.init(id: "m", partCount: 2, pending: [1, 2])), now: Self.t0)
        _ = machine.handle(.accepted(part: 1), now: Self.t0)
        #expect(machine.health.consecutiveFailures == 0)
    }
}
