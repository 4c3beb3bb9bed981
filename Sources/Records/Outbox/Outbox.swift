import Foundation

/// The queue of messages to send. The file spool (`FileOutbox`) is the embedded default; a
/// database with `SKIP LOCKED` can implement the same contract later (DESIGN.md "Later").
///
/// Life of a message: `enqueue` → `new` → `claimNext` → `sending` → (`recordAttempt` before each
/// PDU, `recordPartAccepted`/`recordPartRejected` after its answer) → `complete` (`sent`/`failed`)
/// or `requeue` (back to `new`). After a crash, `recoverAfterCrash` settles whatever was left in
/// `sending`. Every transition is durable when the call returns, except a claim: it becomes
/// durable with the next step of that message (its first attempt, its completion or its
/// requeue) — nothing is sent or reported between the two, and a claim lost to a crash only
/// leaves the message where it was.
public protocol Outbox: Sendable {
    /// Adds a message to `new` (temporary file + fsync + rename + fsync of the folder).
    func enqueue(_ message: OutboxMessage) throws
    /// Adds many messages in one durable step where the store can (one flush for the batch, not
    /// one per message); each message is either whole in the queue or absent after a crash.
    /// Returns how many were queued.
    @discardableResult func enqueue(contentsOf messages: [OutboxMessage]) throws -> Int
    /// Claims the oldest message of `new` whose `notBefore` has passed, moving it to `sending`.
    /// Unusable files met on the way go to `failed` with a reason, and the claim goes on.
    func claimNext(now: Date) throws -> ClaimedMessage?
    /// The earliest `notBefore` among the messages held in `new` (to schedule the next look).
    func earliestHeldUntil() throws -> Date?
    /// Durably records that part `attempt.part` is about to be written to modem `attempt.modem`.
    /// Call it BEFORE writing the PDU: it is how the ambiguous window is detected after a crash.
    func recordAttempt(_ id: String, _ attempt: SendAttempt) throws
    /// The modem answered `+CMGS: <reference>` for `part`; with `next`, also records that the next
    /// part is about to be written, in the same durable write (one rewrite instead of two between
    /// two parts of a message). Only pass `next` when its PDU is written right after.
    func recordPartAccepted(_ id: String, part: Int, reference: Int, at: Date, next: SendAttempt?) throws
    /// The modem refused `part` with a definite error: it was not sent.
    func recordPartRejected(_ id: String, part: Int, reason: String, at: Date) throws
    /// The outstanding attempt of `part` ended without `+CMGS`: `rejected` (not sent),
    /// `interrupted` (written, no answer, not assumed) or `assumed_sent`.
    func recordPartOutcome(_ id: String, part: Int, status: SendAttempt.Status, reason: String, at: Date) throws
    /// Writes the result and moves the message to `sent` (status `.sent`) or `failed`.
    func complete(_ id: String, result: SendResult) throws
    /// `complete`, also keeping `sentText` — the text that went on the air, footer and smart
    /// encoding included — beside the request's text (the proof that the footer went out).
    func complete(_ id: String, result: SendResult, sentText: String?) throws
    /// `complete`, also recording `accepting` — parts the modem accepted whose acceptance was
    /// not written yet — in the same durable step: the message's last part costs one write of the
    /// outbox instead of two. `charge` (their ledger rows) is done and durable before the message
    /// is filed; the file spool runs it while its own write is flushed (one journal commit for
    /// both). A throw from `charge` leaves the message in `sending`.
    func complete(_ id: String, result: SendResult, sentText: String?, accepting: [AcceptedPart],
                  charge: @Sendable () throws -> Void) throws
    /// Moves a claimed message back to `new`, optionally not to be claimed before `notBefore`.
    func requeue(_ id: String, notBefore: Date?) throws
    /// Settles the files left in `sending` by a crash (call once at start, before claiming).
    func recoverAfterCrash(policy: AmbiguousSendPolicy) throws -> RecoveryReport
    /// `recoverAfterCrash(policy:)`, calling `beforeSettling` with each message as it will be
    /// settled (attempts resolved) before it leaves `sending` — so that what it charges reaches
    /// the ledger before the message is gone from where a later recovery would find it. A throw
    /// leaves that message in `sending` (the next start tries again).
    func recoverAfterCrash(policy: AmbiguousSendPolicy, beforeSettling: (OutboxMessage) throws -> Void) throws -> RecoveryReport
    func counts() throws -> OutboxCounts
    /// A message in any folder, by id (for status reports and status-report correlation).
    func find(_ id: String) throws -> (folder: OutboxFolder, message: OutboxMessage)?
}

extension Outbox {
    /// One `enqueue` after the other: a store without a batch form.
    @discardableResult
    public func enqueue(contentsOf messages: [OutboxMessage]) throws -> Int {
        for (count, message) in messages.enumerated() {
            do {
                try enqueue(message)
            } catch where count > 0 {
                throw OutboxBatchError(queued: count, underlying: error)
            }
        }
        return messages.count
    }

    public func complete(_ id: String, result: SendResult, sentText: String?) throws {
        try complete(id, result: result)
    }

    /// The charge, one write per accepted part, then the completion: a store without a combined form.
    public func complete(_ id: String, result: SendResult, sentText: String?, accepting: [AcceptedPart],
                         charge: @Sendable () throws -> Void) throws {
        try charge()
        for accepted in accepting {
            try recordPartAccepted(id, part: accepted.part, reference: accepted.reference, at: accepted.at, next: nil)
        }
        try complete(id, result: result, sentText: sentText)
    }

    public func claimNext() throws -> ClaimedMessage? { try claimNext(now: Date()) }
    public func recordPartAccepted(_ id: String, part: Int, reference: Int, at: Date = Date()) throws {
        try recordPartAccepted(id, part: part, reference: reference, at: at, next: nil)
    }
    public func recordPartRejected(_ id: String, part: Int, reason: String) throws {
        try recordPartRejected(id, part: part, reason: reason, at: Date())
    }
    public func recoverAfterCrash() throws -> RecoveryReport { try recoverAfterCrash(policy: .assumeSent) }

    /// The default: settle, then hand each settled message over. A kill between the two loses
    /// that charge; `FileOutbox` overrides it to charge first, and so should any backend that can.
    public func recoverAfterCrash(policy: AmbiguousSendPolicy, beforeSettling: (OutboxMessage) throws -> Void) throws -> RecoveryReport {
        let report = try recoverAfterCrash(policy: policy)
        for entry in report.entries {
            if let found = try find(entry.id) { try beforeSettling(found.message) }
        }
        return report
    }
}

/// A part the modem accepted (`+CMGS: reference` at `at`) whose acceptance is recorded with the
/// message's completion (`Outbox.complete(_:result:sentText:accepting:charge:)`).
public struct AcceptedPart: Sendable, Equatable {
    public var part: Int
    public var reference: Int
    public var at: Date

    public init(part: Int, reference: Int, at: Date) {
        self.part = part
        self.reference = reference
        self.at = at
    }
}

/// The spool folders under `outbox/`.
public enum OutboxFolder: String, Sendable, CaseIterable {
    /// Where other programs rename their files into `new/` from (Maildir `tmp`).
    case tmp
    /// The drop box: producers rename requests (`OutboxRequest`) in; nothing else is read here.
    case new
    /// The agent's own queue, which producers never write: its replies (opt-out confirmations,
    /// HELP) and messages it put back for a later attempt. Claimed together with `new`, by name.
    case queued
    case sending
    case sent
    case failed
}

/// A batch enqueue that failed part-way: the first `queued` messages of the batch are queued
/// (and durable), the others are not.
public struct OutboxBatchError: Error, CustomStringConvertible {
    public var queued: Int
    public var underlying: any Error

    public var description: String { "\(underlying) (\(queued) of the batch queued before)" }
}
