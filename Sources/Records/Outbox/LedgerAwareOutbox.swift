import Foundation

/// An outbox that writes a part's ledger row in the same transaction as the part's new state
/// (the database backend): a crash or a lost connection leaves both or neither (invariant 3).
/// The dispatcher uses it when the outbox offers it, else it writes the outbox, then the ledger.
public protocol LedgerAwareOutbox: Outbox {
    /// `recordPartAccepted` and the ledger's `commit(row:)` at once. Returns whether the row was
    /// new (`false`: that part of that message was already charged).
    func recordPartAccepted(_ id: String, part: Int, reference: Int, at: Date, charging row: LedgerRow) throws -> Bool
    /// `recordPartOutcome`, and the ledger row of a part that was written with no answer.
    func recordPartOutcome(_ id: String, part: Int, status: SendAttempt.Status, reason: String, at: Date,
                           charging row: LedgerRow?) throws
}

extension OutboxMessage {
    /// The modem answered `+CMGS` for `part` (see `Outbox.recordPartAccepted`); idempotent.
    package mutating func noteAccepted(part: Int, reference: Int, at: Date, next: SendAttempt?) throws {
        if let index = attempts.lastIndex(where: { $0.part == part && $0.status == nil }) {
            attempts[index].status = .accepted
            attempts[index].reference = reference
            attempts[index].answeredAt = at
        } else if !attempts.contains(where: { $0.part == part && $0.status == .accepted && $0.reference == reference }) {
            throw RecordsError.invalidRecord("\(id): part \(part) accepted but no attempt was recorded for it")
        }
        if let next {
            try Self.checkPart(of: next, id: id)
            attempts.append(next)
        }
    }

    /// The outstanding attempt of `part` ended without `+CMGS` (see `Outbox.recordPartOutcome`).
    package mutating func noteOutcome(part: Int, status: SendAttempt.Status, reason: String, at: Date) throws {
        guard let index = attempts.lastIndex(where: { $0.part == part && $0.status == nil }) else {
            throw RecordsError.invalidRecord("\(id): part \(part) ended (\(status.rawValue)) but no attempt is outstanding")
        }
        attempts[index].status = status
        attempts[index].reason = reason
        attempts[index].answeredAt = at
    }

    package static func checkPart(of attempt: SendAttempt, id: String) throws {
        guard attempt.part >= 1, attempt.part <= attempt.parts else {
            throw RecordsError.invalidRecord("attempt for part \(attempt.part) of \(attempt.parts) of \(id)")
        }
    }

    /// Whether this message is one of the agent's own (a reply with a `kind`, or one with history):
    /// such messages go to `queued`, producers' requests to `new` (invariant 8).
    package var isAgentMessage: Bool { kind != nil || !attempts.isEmpty || result != nil }
}
