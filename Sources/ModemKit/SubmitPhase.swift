/// How far one `AT+CMGS` handshake got (TS 27.005 §3.5.1). Typed, so that nobody infers it from
/// elapsed time or from the text of an error.
public enum SubmitPhase: Sendable, Hashable, CustomStringConvertible {
    /// `AT+CMGS=<length>` written (or about to be); no `> ` prompt yet. Nothing can have been sent.
    case beforePrompt
    /// The `> ` prompt came; the PDU's last byte (Ctrl-Z) is not written yet. Nothing can have been sent.
    case promptSeen
    /// The PDU and its Ctrl-Z were written. From here until a final result the part may have left:
    /// this is the one ambiguous window of invariant 2.
    case pduWritten

    public var description: String {
        switch self {
        case .beforePrompt: "before the > prompt"
        case .promptSeen: "after the > prompt, before the PDU's Ctrl-Z was written"
        case .pduWritten: "after the PDU was written"
        }
    }
}

/// A failed `AT+CMGS`: the error, and the phase the handshake had reached when it failed.
public struct SubmitFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public let phase: SubmitPhase
    public let error: ModemError

    public init(phase: SubmitPhase, error: ModemError) {
        self.phase = phase
        self.error = error
    }

    /// True when the part may have reached the network: the PDU was written and no final result
    /// (neither `+CMGS:` nor an error) came back — a timeout, a closed port, or an answer that made
    /// no sense. A definite error after the PDU (`+CMS ERROR`) means it was not accepted.
    public var isAmbiguous: Bool {
        guard phase == .pduWritten else { return false }
        switch error {
        case .timeout, .transportClosed, .malformedResponse: return true
        default: return false
        }
    }

    public var description: String { "\(error) (\(phase))" }
}
