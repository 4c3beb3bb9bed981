import Compliance
import Foundation
import Logging
import Records
import SMSCodec

/// Between the outbox and the modem workers: claims the next message, applies
/// `Compliance.SendPolicy` (number normalisation, opt-out suppression, footer, quiet hours),
/// reserves its credits, and records every outcome durably in the outbox and the ledger.
///
/// One actor for the whole agent, so two workers never claim the same message and the credit
/// reservations are counted once.
public actor Dispatcher {
    /// Its disk I/O runs on the records thread, never on the cooperative pool.
    private nonisolated let recordsExecutor = RecordsExecutor(name: "smsagent-dispatch")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { recordsExecutor.asUnownedSerialExecutor() }

    let outbox: any Outbox
    let hooks: HookRunner?
    let ledger: any CreditLedger
    let optOuts: any OptOutRegistry
    let configuration: AgentConfiguration
    let clock: any AgentClock
    let logger: Logger

    /// Set when the balance could not cover a message: no claim until the balance changes.
    public private(set) var waitingForCredits = false
    private var creditsWarned = false
    /// What the message that found the balance short needed.
    private var blockedNeed = 0
    private var lowBalanceWarned = false
    private var lastHoldLog: Date?
    private var heldSinceLastLog = 0
    /// Outcomes, in order (bounded), for the demo and tests.
    public private(set) var recentOutcomes: [DispatchOutcome] = []
    private var sentSinceSummary = 0
    private var partsSinceSummary = 0
    private var lastSummary: Date?
    /// Per-message failure counts (message id → modem attempts that failed), in memory.
    private var failures: [String: Int] = [:]
    /// Last parts the modem accepted whose acceptance goes to the outbox with the message's
    /// completion (`sent`), by message id; their ledger rows are already written.
    private var acceptedUnrecorded: [String: [(accepted: AcceptedPart, row: LedgerRow)]] = [:]
    /// Which modems may carry marketing (`Dispatcher+Marketing.swift`).
    var route: MarketingRoute
    /// Marketing messages claimed by a modem that may not carry them, for one that may (they stay
    /// in `sending/`; a crash puts them back in the queue, having no attempt).
    var handoff: [OutboxMessage] = []
    /// The workers' doorbells, to wake a carrier for a hand-off and the others once it is taken.
    var doorbells: [String: Doorbell] = [:]
    /// Why marketing is held now (no modem can carry it), nil while it goes out.
    var marketingHeld: String?

    public init(outbox: any Outbox, ledger: any CreditLedger, optOuts: any OptOutRegistry,
                configuration: AgentConfiguration, clock: any AgentClock, logger: Logger, hooks: HookRunner? = nil) {
        self.hooks = hooks
        self.outbox = outbox
        self.ledger = ledger
        self.optOuts = optOuts
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.route = MarketingRoute(stopNumber: configuration.sender.stopNumber.flatMap {
            try? PhoneNumber.parse($0, defaultCountry: configuration.compliance.defaultCountry).e164
        })
    }

    /// The next message `modemID` should send now under `policy`, or nil when nothing is ready.
    /// Messages that are suppressed, invalid or held are settled on the way (and the claim goes on).
    public func nextJob(modemID: String, policy: SendPolicy) -> SendJob? {
        if waitingForCredits {
            guard recheckCredits() else { return nil }
        }
        let carriesMarketing = route.carries(modemID)
        if carriesMarketing, let job = takeHandedOff(modemID: modemID, policy: policy) { return job }
        if waitingForCredits { return nil }
        while true {
            // A modem that may not carry marketing stops claiming while the hand-off is full: what
            // it would claim next is as likely marketing again, and the carriers take the rest.
            if !carriesMarketing, handoffIsFull { return nil }
            let claimed: ClaimedMessage?
            do {
                claimed = try outbox.claimNext(now: clock.now())
            } catch {
                logger.error("cannot claim from the outbox", metadata: ["error": "\(error)"])
                return nil
            }
            guard let claimed else {
                flushHoldLog(force: true)
                logSendSummary(queueEmpty: true)
                return nil
            }
            for rejected in claimed.rejected {
                logger.warning("unusable outbox file moved to failed/", metadata: ["file": "\(rejected.path)", "reason": "\(rejected.reason)"])
            }
            if !carriesMarketing, messageClass(of: claimed.message) == .marketing {
                routeMarketing(claimed.message, claimedBy: modemID)
                continue
            }
            if let job = decide(claimed.message, modemID: modemID, policy: policy) {
                return job
            }
            if waitingForCredits { return nil }
        }
    }

    /// The class a message is sent as: its own, else the agent's replies are notifications, else
    /// the installation's default.
    func messageClass(of message: OutboxMessage) -> MessageClass {
        message.messageClass ?? (Self.isReply(message) ? .notification : configuration.compliance.effectiveDefaultClass)
    }

    /// The agent's own replies: notifications, never held, no footer (an opt-in acknowledgement too).
    static func isReply(_ message: OutboxMessage) -> Bool {
        message.kind == "confirmation" || message.kind == "help" || message.kind == "optin_ack"
    }

    func decide(_ message: OutboxMessage, modemID: String, policy: SendPolicy) -> SendJob? {
        let now = clock.now()
        let isReply = Self.isReply(message)
        let messageClass = messageClass(of: message)
        let optOuts = self.optOuts
        let decision: SendDecision
        do {
            decision = try policy.decide(to: message.to, defaultCountry: configuration.compliance.defaultCountry, text: message.text,
                                         class: messageClass, isConfirmation: isReply, now: now) { number in
                try optOuts.isOptedOut(number)
            }
        } catch {
            // The opt-out registry could not be read: never send marketing blind. Retry later.
            logger.error("cannot read the opt-out registry; message kept queued", metadata: ["id": "\(message.id)", "error": "\(error)"])
            requeue(message.id, notBefore: now.addingTimeInterval(30))
            return nil
        }
        switch decision {
        case .reject(let reason):
            settle(message, SendResult(status: .failed, reason: reason.description, finishedAt: now))
            logger.info("message failed", metadata: ["id": "\(message.id)", "to": "\(message.to)", "reason": "\(reason)"])
            record(.failed(id: message.id, reason: reason.description))
            return nil
        case .suppress(let reason):
            settle(message, SendResult(status: .suppressed, reason: reason.description, finishedAt: now))
            logger.info("message suppressed", metadata: ["id": "\(message.id)", "to": "\(message.to)", "reason": "\(reason)"])
            record(.suppressed(id: message.id, reason: reason.description))
            return nil
        case .hold(let until, let reason):
            requeue(message.id, notBefore: until)
            noteHeld(until: until, reason: reason.description)
            record(.held(id: message.id, until: until, reason: reason.description))
            return nil
        case .send(let text, let plan, let footerAdded):
            let recipient: PhoneNumber
            do {
                // The policy's parser (libphonenumber when installed): the one the decision used.
                recipient = try policy.parse(message.to, defaultCountry: configuration.compliance.defaultCountry).get()
            } catch {
                settle(message, SendResult(status: .failed, reason: "invalid number: \(error)", finishedAt: now))
                return nil
            }
            // Parts already accepted on this same modem are not sent again (same concat reference).
            let resumable = message.attempts.allSatisfy { $0.modem == modemID && $0.parts == plan.segmentCount }
            var done = Set<Int>()
            var reference: UInt8?
            if resumable, !message.attempts.isEmpty {
                // Accepted or assumed (recovery decided with `AmbiguousWindow`; nothing is left unanswered).
                done = message.partsDone
                reference = message.attempts.compactMap(\.concatReference).last.map { UInt8(truncatingIfNeeded: $0) }
            }
            let perSegment = configuration.credits.cost(perSegmentFor: messageClass)
            let remaining = plan.segmentCount - done.count
            let needed = remaining * perSegment
            if needed > 0 {
                do {
                    try ledger.reserve(messageID: message.id, credits: needed)
                    creditsWarned = false
                } catch {
                    if configuration.credits.hardStop {
                        let available = (try? ledger.available()) ?? 0
                        requeue(message.id, notBefore: nil)
                        waitingForCredits = true
                        blockedNeed = needed
                        if !creditsWarned {
                            creditsWarned = true
                            logger.warning("credits exhausted: messages stay queued until the balance is topped up",
                                           metadata: ["needed": "\(needed)", "available": "\(available)"])
                        }
                        record(.waitingForCredits(id: message.id, needed: needed, available: available))
                        return nil
                    }
                }
            }
            record(.send(id: message.id))
            return SendJob(message: message, recipient: recipient, messageClass: messageClass, text: text, plan: plan,
                           footerAdded: footerAdded, doneParts: done, concatReference: reference,
                           creditsPerSegment: perSegment, reservedCredits: needed)
        }
    }

    /// Whether claiming may resume after the credits ran out.
    @discardableResult
    public func recheckCredits() -> Bool {
        guard waitingForCredits else { return true }
        let available = (try? ledger.available()) ?? 0
        if available >= blockedNeed {
            waitingForCredits = false
            logger.info("credits available again; sending resumes", metadata: ["available": "\(available)"])
            return true
        }
        return false
    }

    // MARK: - Recording what happened to a job

    /// Durably notes that the `> ` prompt came for `part` and its PDU is about to be written to
    /// `modem` — the marker of invariant 2, written after the prompt and before the PDU's first byte.
    public func willSubmit(_ job: SendJob, part: Int, modem: String, concatReference: UInt8) throws {
        try recordAcceptedUnrecorded(job.id)
        let now = clock.now()
        try outbox.recordAttempt(job.id, SendAttempt(part: part, parts: job.partCount, modem: modem, startedAt: now,
                                                     concatReference: Int(concatReference), promptSeenAt: now))
    }

    /// The modem accepted `part` (`+CMGS: reference`): outbox and ledger (one row per part).
    /// Throws when either could not be written: the caller stops taking work (invariant 3 — a
    /// ledger that silently misses an accepted part is worse than a modem that stops).
    ///
    /// `completesMessage`: no part of the message is left to send (the worker settles it as sent
    /// next). Then nothing is written now: the acceptance goes to the outbox with the message's
    /// result in `sent` — one write of the spool instead of two — and its ledger row is written
    /// while that write is flushed, before the message is filed. Until then the part is, on
    /// disk, one whose PDU was written with no answer (the ambiguous window, which recovery
    /// settles by policy; a row is never charged twice, commits being idempotent per part);
    /// nothing reports the message sent before `sent` has made it durable.
    public func accepted(_ job: SendJob, part: Int, reference: Int, modem: String, completesMessage: Bool = false) throws {
        let now = clock.now()
        let row = LedgerRow(time: now, messageID: job.id, recipient: job.recipient.e164,
                            messageClass: job.messageClass.rawValue, segments: 1, credits: job.creditsPerSegment,
                            modem: modem, refs: [reference], part: part)
        let charged: Bool
        if let outbox = outbox as? any LedgerAwareOutbox {
            // A database: the part's state and its ledger row in one transaction.
            charged = try outbox.recordPartAccepted(job.id, part: part, reference: reference, at: now, charging: row)
        } else if completesMessage {
            acceptedUnrecorded[job.id, default: []].append((AcceptedPart(part: part, reference: reference, at: now), row))
            return
        } else {
            try recordAcceptedUnrecorded(job.id)
            try outbox.recordPartAccepted(job.id, part: part, reference: reference, at: now, next: nil)
            charged = try ledger.commit(row: row)
        }
        if !charged {
            // This part was already charged when an earlier modem sent it (the message moved to
            // this modem mid-way and went again whole): the network took it twice, so it costs
            // twice. Recorded as a row without part number, which the ledger always appends.
            var again = row
            again.part = nil
            try ledger.commit(row: again)
            logger.notice("part sent again on another modem; charged again", metadata: ["id": "\(job.id)", "part": "\(part)", "modem": "\(modem)"])
        }
        if !lowBalanceWarned, let balance = try? ledger.balance(), balance < configuration.credits.lowBalanceWarning {
            lowBalanceWarned = true
            logger.warning("credit balance is low", metadata: ["balance": "\(balance)", "warning_below": "\(configuration.credits.lowBalanceWarning)"])
        }
    }

    /// What became of a part that was not accepted (`rejected`, `interrupted` or `assumed_sent`),
    /// recorded on its attempt so that readers can tell a refusal from a silence.
    /// A part whose PDU was written and got no answer (`assumed_sent`, or `interrupted` and sent
    /// again or failed) also gets its ledger row, with no network reference (empty `refs`): the
    /// operator most likely billed it, so the balance follows the bill, and the empty `refs`
    /// column tells it from a confirmed part (README "The ambiguous window").
    public func recordPart(_ job: SendJob, part: Int, status: SendAttempt.Status, reason: String) throws {
        try recordAcceptedUnrecorded(job.id)
        let now = clock.now()
        let row = status == .assumedSent || status == .interrupted
            ? LedgerRow(time: now, messageID: job.id, recipient: job.recipient.e164,
                        messageClass: job.messageClass.rawValue, segments: 1, credits: job.creditsPerSegment,
                        modem: job.message.attempts.last?.modem ?? "", refs: [], part: part)
            : nil
        if let outbox = outbox as? any LedgerAwareOutbox {
            try outbox.recordPartOutcome(job.id, part: part, status: status, reason: reason, at: now, charging: row)
        } else {
            try outbox.recordPartOutcome(job.id, part: part, status: status, reason: reason, at: now)
            if let row { try ledger.commit(row: row) }
        }
    }

    /// The modem refused `part` with a definite error (it was not sent).
    public func rejected(_ job: SendJob, part: Int, reason: String) throws {
        try recordPart(job, part: part, status: .rejected, reason: reason)
    }

    /// Every part is done: the message goes to `sent/`. `assumed`: a part was counted without an
    /// answer (policy assume-sent); `refs` then lists only the parts the network confirmed.
    public func sent(_ job: SendJob, modem: String, references: [Int], assumed: Bool) throws {
        defer { ledger.release(messageID: job.id) }   // after the rows below consumed their part
        let unrecorded = acceptedUnrecorded[job.id] ?? []
        let rows = unrecorded.map(\.row)
        let (ledger, logger) = (self.ledger, self.logger)
        sentSinceSummary += 1
        partsSinceSummary += job.partCount
        logSendSummary(queueEmpty: false)
        failures[job.id] = nil
        try settleOrThrow(job.message, SendResult(status: .sent, refs: references, modem: modem, segments: job.partCount,
                                                  credits: references.count * job.creditsPerSegment,
                                                  reason: assumed ? "a part had no answer; assumed sent (policy assume-sent)" : nil,
                                                  finishedAt: clock.now()),
                          sentText: job.plan.text, accepting: unrecorded.map(\.accepted),
                          charge: { @Sendable in try Self.charge(rows, to: ledger, logger: logger) })
        acceptedUnrecorded[job.id] = nil
        if !rows.isEmpty { warnIfLow() }
    }

    /// Commits ledger rows; a part already charged (the message moved to this modem mid-way and
    /// went again whole: the network took it twice) is charged again by a row without part number.
    private static func charge(_ rows: [LedgerRow], to ledger: any CreditLedger, logger: Logger) throws {
        for row in rows where try !ledger.commit(row: row) {
            var again = row
            again.part = nil
            try ledger.commit(row: again)
            logger.notice("part sent again on another modem; charged again",
                          metadata: ["id": "\(row.messageID)", "part": "\(row.part ?? 0)", "modem": "\(row.modem)"])
        }
    }

    private func warnIfLow() {
        if !lowBalanceWarned, let balance = try? ledger.balance(), balance < configuration.credits.lowBalanceWarning {
            lowBalanceWarned = true
            logger.warning("credit balance is low", metadata: ["balance": "\(balance)", "warning_below": "\(configuration.credits.lowBalanceWarning)"])
        }
    }

    /// Writes the acceptances `accepted(completesMessage: true)` left for the completion, when the
    /// message takes another way (a failure, a requeue, another part).
    private func recordAcceptedUnrecorded(_ id: String) throws {
        guard let parts = acceptedUnrecorded[id] else { return }
        for (accepted, row) in parts {
            try outbox.recordPartAccepted(id, part: accepted.part, reference: accepted.reference, at: accepted.at, next: nil)
            try Self.charge([row], to: ledger, logger: logger)
        }
        acceptedUnrecorded[id] = nil
        warnIfLow()
    }

    /// The message cannot be sent: `failed/` with the reason.
    public func failed(_ job: SendJob, modem: String?, reason: String) throws {
        try recordAcceptedUnrecorded(job.id)
        ledger.release(messageID: job.id)
        failures[job.id] = nil
        try settleOrThrow(job.message, SendResult(status: .failed, refs: [], modem: modem, segments: job.partCount, credits: 0,
                                                  reason: reason, finishedAt: clock.now()))
        record(.failed(id: job.id, reason: reason))
        logger.warning("message failed", metadata: ["id": "\(job.id)", "to": "\(job.recipient.e164)", "reason": "\(reason)"])
    }

    /// The job could not go out because of the message itself (or a silence that may have been
    /// it): back to the queue, or to `failed/` once it has used `max_attempts_per_message`.
    public func retryLater(_ job: SendJob, modem: String, reason: String, backoff: Duration) throws {
        try recordAcceptedUnrecorded(job.id)
        ledger.release(messageID: job.id)
        let count = (failures[job.id] ?? 0) + 1
        failures[job.id] = count
        if count >= configuration.sending.retry.maxAttemptsPerMessage {
            try failed(job, modem: modem, reason: "\(reason) (after \(count) attempts)")
            return
        }
        try outbox.requeue(job.id, notBefore: backoff > .zero ? clock.now().addingTimeInterval(backoff.timeInterval) : nil)
    }

    /// Gives the job back without using one of its attempts (shutdown, removal, a network or
    /// modem problem — invariant 9): another modem, or this one later, takes it.
    public func giveBack(_ job: SendJob) throws {
        try recordAcceptedUnrecorded(job.id)
        ledger.release(messageID: job.id)
        try outbox.requeue(job.id, notBefore: nil)
    }

    // MARK: - Helpers

    /// Moves the message to `sent/` or `failed/` (suppressed messages too, with their status) and
    /// tells the `on_sent` / `on_failed` hook.
    private func settle(_ message: OutboxMessage, _ result: SendResult) {
        do {
            try settleOrThrow(message, result)
        } catch {
            logger.error("cannot complete an outbox message", metadata: ["id": "\(message.id)", "error": "\(error)"])
        }
    }

    private func settleOrThrow(_ message: OutboxMessage, _ result: SendResult, sentText: String? = nil,
                               accepting: [AcceptedPart] = [], charge: @Sendable () throws -> Void = {}) throws {
        try outbox.complete(message.id, result: result, sentText: sentText, accepting: accepting, charge: charge)
        guard let hooks else { return }
        var fields: [(name: String, value: String)] = [
            ("id", message.id), ("to", message.to), ("status", result.status.rawValue), ("modem", result.modem ?? ""),
            ("refs", result.refs.map(String.init).joined(separator: " ")), ("segments", String(result.segments)),
            ("class", message.messageClass?.rawValue ?? ""), ("campaign", message.campaign ?? ""), ("kind", message.kind ?? ""),
            ("text", message.text), ("finished_at", InboundTime.iso(result.finishedAt)),
        ]
        if let reason = result.reason { fields.append(("reason", reason)) }
        hooks.post(HookEvent(kind: result.status == .sent ? .sent : .failed, fields: fields))
    }

    func requeue(_ id: String, notBefore: Date?) {
        do {
            try outbox.requeue(id, notBefore: notBefore)
        } catch {
            logger.error("cannot requeue an outbox message", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    private func noteHeld(until: Date, reason: String) {
        heldSinceLastLog += 1
        if lastHoldLog == nil {
            lastHoldLog = clock.now()
            logger.info("marketing held by quiet hours", metadata: ["until": "\(ISO8601DateFormatter().string(from: until))", "reason": "\(reason)"])
        }
    }

    private func flushHoldLog(force: Bool) {
        if heldSinceLastLog > 1 {
            logger.info("messages held until their sending window opens", metadata: ["count": "\(heldSinceLastLog)"])
        }
        heldSinceLastLog = 0
        lastHoldLog = nil
    }

    /// One info line per 10 s of sending, and one when the queue empties: what an operator wants
    /// to see, without a line per message.
    private func logSendSummary(queueEmpty: Bool) {
        let now = clock.now()
        guard sentSinceSummary > 0 else { return }
        if lastSummary == nil { lastSummary = now }
        guard queueEmpty || now.timeIntervalSince(lastSummary ?? now) >= 10 else { return }
        let balance = (try? ledger.balance()).map(String.init) ?? "?"
        logger.info(queueEmpty ? "sent; nothing left to send now" : "sending", metadata: [
            "messages": "\(sentSinceSummary)", "segments": "\(partsSinceSummary)", "credits_left": "\(balance)"])
        sentSinceSummary = 0
        partsSinceSummary = 0
        lastSummary = now
    }

    func record(_ outcome: DispatchOutcome) {
        recentOutcomes.append(outcome)
        if recentOutcomes.count > 1000 { recentOutcomes.removeFirst(recentOutcomes.count - 1000) }
    }

    /// The earliest instant a held message becomes due (to schedule a wake-up).
    public func earliestHeldUntil() -> Date? {
        try? outbox.earliestHeldUntil()
    }
}
