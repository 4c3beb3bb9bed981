/// How a message found in `sending` with no agent behind it is settled — after a crash of this
/// agent (`FileOutbox.recoverAfterCrash`) or, on a shared database, after another agent's lease
/// expired. One rule for both backends: every unanswered part goes through `AmbiguousWindow`.
public enum OutboxRecovery {
    public struct Settlement: Sendable, Equatable {
        /// The message with its unanswered attempts settled (and its result, when it is done).
        public var message: OutboxMessage
        /// `.sent`, `.failed` or `.queued`.
        public var destination: OutboxFolder
        /// Whether `message` differs from the stored one (else it only moves).
        public var rewrite: Bool
        public var entry: RecoveryReport.Entry
    }

    public static func settle(_ original: OutboxMessage, policy: AmbiguousSendPolicy) -> Settlement {
        var message = original
        let id = message.id
        let accepted = message.attempts.filter { $0.status == .accepted }
        if let result = message.result {
            let action: RecoveryReport.Action = result.status == .sent ? .sent : .failed
            return Settlement(message: message, destination: result.status == .sent ? .sent : .failed, rewrite: false,
                              entry: .init(id: id, action: action, ambiguousParts: [], acceptedParts: accepted,
                                           reason: "the result was written before the stop"))
        }
        if message.attempts.isEmpty {
            return Settlement(message: message, destination: .queued, rewrite: false,
                              entry: .init(id: id, action: .requeued, ambiguousParts: [], acceptedParts: [], reason: "no attempt had started"))
        }
        let total = message.attempts.map(\.parts).max() ?? 0
        let acceptedParts = Set(accepted.map(\.part))
        var ambiguous: [Int] = []
        var failWhole = false
        var done = message.partsDone
        for index in message.attempts.indices where message.attempts[index].status == nil {
            let part = message.attempts[index].part
            if acceptedParts.contains(part) { continue }
            let isLast = total > 0 && (1...total).allSatisfy { $0 == part || done.contains($0) }
            switch AmbiguousWindow.resolve(policy: policy, pduMayHaveBeenWritten: message.attempts[index].pduMayHaveBeenWritten,
                                           isLastOutstandingPart: isLast) {
            case .notSent:
                message.attempts[index].status = .rejected
                message.attempts[index].reason = "not sent: the agent stopped before the PDU was written"
            case .assumeSent:
                ambiguous.append(part)
                done.insert(part)
                message.attempts[index].status = .assumedSent
                message.attempts[index].reason = "no answer before the agent stopped; assumed sent (policy assume-sent)"
            case .resend:
                ambiguous.append(part)
                message.attempts[index].status = .interrupted
                message.attempts[index].reason = "no answer before the agent stopped; sent again with the same concatenation reference (policy \(policy.rawValue))"
            case .failMessage:
                ambiguous.append(part)
                failWhole = true
                message.attempts[index].status = .interrupted
                message.attempts[index].reason = "no answer before the agent stopped (policy \(policy.rawValue))"
            }
        }
        ambiguous = Array(Set(ambiguous)).sorted()
        let lastModem = message.attempts.last?.modem
        if failWhole {
            let reason = "part(s) \(ambiguous.map(String.init).joined(separator: ",")) may have been sent: no answer before the agent stopped (policy fail)"
            message.result = SendResult(status: .failed, refs: message.acceptedReferences, modem: lastModem,
                                        segments: acceptedParts.count, credits: 0, reason: reason)
            return Settlement(message: message, destination: .failed, rewrite: true,
                              entry: .init(id: id, action: .failed, ambiguousParts: ambiguous, acceptedParts: accepted, reason: reason))
        }
        if total > 0, (1...total).allSatisfy(done.contains) {
            let reason = ambiguous.isEmpty
                ? "every part was accepted before the agent stopped"
                : "part(s) \(ambiguous.map(String.init).joined(separator: ",")) assumed sent after a stop with no answer (policy assume-sent)"
            message.result = SendResult(status: .sent, refs: message.acceptedReferences, modem: lastModem,
                                        segments: total, credits: 0, reason: reason)
            return Settlement(message: message, destination: .sent, rewrite: true,
                              entry: .init(id: id, action: .sent, ambiguousParts: ambiguous, acceptedParts: accepted, reason: reason))
        }
        let listed = ambiguous.map(String.init).joined(separator: ",")
        let reason = ambiguous.isEmpty
            ? "parts not yet accepted will be sent"
            : "part(s) \(listed) will be sent again with the same concatenation reference (policy \(policy.rawValue))"
        return Settlement(message: message, destination: .queued, rewrite: true,
                          entry: .init(id: id, action: .requeued, ambiguousParts: ambiguous, acceptedParts: accepted, reason: reason))
    }

    /// The attempts of a settled message that cost credits: accepted, assumed sent, or written
    /// with no answer (the operator most likely billed them). The ledger row of each is written
    /// once (commits are idempotent per message and part).
    public static func chargedAttempts(of message: OutboxMessage) -> [SendAttempt] {
        message.attempts.filter {
            $0.status == .accepted || $0.status == .assumedSent || ($0.status == .interrupted && $0.pduMayHaveBeenWritten)
        }
    }
}

extension RecoveryReport.Entry {
    /// A message moved to `failed` because its record could not be read.
    public static func unreadable(id: String, reason: String) -> Self {
        .init(id: id, action: .failed, ambiguousParts: [], acceptedParts: [], reason: reason)
    }
}
