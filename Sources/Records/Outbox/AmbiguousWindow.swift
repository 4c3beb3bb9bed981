/// The one rule for a part that got no final answer (invariant 2), shared by the worker at run
/// time and by `FileOutbox.recoverAfterCrash` after a `kill -9`, so both always decide alike.
///
/// - A part whose PDU cannot have been written (no `> ` prompt, or the durable marker
///   `SendAttempt.promptSeenAt` is absent) was **not sent**: it is simply sent again.
/// - A part whose PDU may have been written (Ctrl-Z written, no final result) is **ambiguous**:
///   the `ambiguous_window` policy decides, and never so that a later part leaves after a part
///   that is only assumed — a multi-part message never has a hole.
public enum AmbiguousWindow {
    /// What becomes of a part that got no final answer.
    public enum Resolution: Sendable, Equatable {
        /// Its PDU was never written: not sent, send it again (no attempt of the message is used up).
        case notSent
        /// Counted as sent without an answer (`assume-sent`, and only for the message's last
        /// outstanding part): the message is complete.
        case assumeSent
        /// Sent again with the same concatenation reference (the recipient may get it twice).
        case resend
        /// The whole message goes to `failed/` for a person to decide.
        case failMessage
    }

    /// - Parameters:
    ///   - pduMayHaveBeenWritten: the PDU's bytes may have gone out (at run time: the submit failed
    ///     in phase `.pduWritten` with no final result; after a crash: the attempt carries
    ///     `promptSeenAt`).
    ///   - isLastOutstandingPart: every other part of the message is accepted (or assumed), so
    ///     assuming this one leaves no part unsent after it.
    public static func resolve(policy: AmbiguousSendPolicy, pduMayHaveBeenWritten: Bool,
                               isLastOutstandingPart: Bool) -> Resolution {
        guard pduMayHaveBeenWritten else { return .notSent }
        switch policy {
        case .assumeSent:
            // Assuming a middle part and sending the next would deliver a message with a hole
            // whenever the assumption is wrong: resend it with the same reference instead.
            return isLastOutstandingPart ? .assumeSent : .resend
        case .resend:
            return .resend
        case .fail:
            return .failMessage
        }
    }
}

extension SendAttempt {
    /// After a crash: whether this unanswered attempt's PDU may have been written (its durable
    /// marker was recorded after the `> ` prompt, before the PDU's first byte).
    public var pduMayHaveBeenWritten: Bool { promptSeenAt != nil }
}
