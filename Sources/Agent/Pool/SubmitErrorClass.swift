import ModemKit

/// Whose fault a failed `AT+CMGS` is — the one place that decides it (invariant 9: only errors
/// about the message itself use up a message's attempts). Pure; table-tested.
public enum SubmitErrorClass: Sendable, Equatable {
    /// The PDU may have left and no final result came: the ambiguous window (`AmbiguousWindow`).
    case ambiguous
    /// The PDU was certainly not written (no `> ` prompt, the port closed before it, `OK` instead
    /// of a prompt): not sent; the modem's problem, the message goes back untouched.
    case notSent
    /// The network refused service (not registered, no network service, network out of order,
    /// congestion): wait for registration; the message goes back untouched.
    case network
    /// The SIM is busy (right after unlock): retry shortly; the message goes back untouched.
    case simBusy
    /// `+CMS ERROR: 330`: the SIM knows no SMS centre. A configuration problem: park the modem.
    case noServiceCentre
    /// The network or modem refused this message or this recipient: another try would fail too.
    case messageRefused
    /// A definite refusal whose cause is unclear (`+CMS ERROR: 500`, plain `ERROR` …): counts as
    /// one of the message's attempts, and the modem climbs its health ladder.
    case modemRefused

    public static func classify(_ failure: SubmitFailure) -> SubmitErrorClass {
        if failure.isAmbiguous { return .ambiguous }
        switch failure.error {
        case .invalidArgument:
            return failure.phase == .beforePrompt ? .messageRefused : .notSent
        case .timeout, .transportClosed, .malformedResponse:
            // Not ambiguous (see above): the PDU was not written.
            return .notSent
        case .cms(let code?, _, _):
            return classify(cms: code)
        case .cme(let code?, _, _):
            return classify(cme: code)
        case .cms(nil, _, _), .cme(nil, _, _), .error:
            return failure.phase == .beforePrompt ? .notSent : .modemRefused
        default:
            // SIM problems: nothing was written.
            return .notSent
        }
    }

    /// TS 27.005 §3.2.5 and the RP-causes of TS 24.011 §8.2.5.4 / Annex E.
    static func classify(cms code: Int) -> SubmitErrorClass {
        switch code {
        case 330: .noServiceCentre
        // Unassigned number, barred, unidentified subscriber, facility rejected/unknown/not
        // subscribed, invalid message, protocol errors, invalid PDU/text parameter.
        case 1, 8, 10, 21, 27, 28, 29, 30, 50, 69, 81, 95, 96, 97, 98, 99, 111, 304, 305: .messageRefused
        // Network out of order, temporary failure, congestion, resources unavailable, no network
        // service, network timeout.
        case 38, 41, 42, 47, 331, 332: .network
        case 310, 311, 312, 313, 314, 315, 316, 317, 318: code == 314 ? .simBusy : .notSent
        default: .modemRefused
        }
    }

    /// TS 27.007 §9.2.
    static func classify(cme code: Int) -> SubmitErrorClass {
        switch code {
        case 14: .simBusy
        case 30, 31, 32: .network   // no network service, network timeout, emergency calls only
        case 10, 11, 12, 13, 15, 17, 18: .notSent
        default: .modemRefused
        }
    }

    /// Whether the failure uses up one of the message's `max_attempts_per_message`.
    public var consumesMessageAttempt: Bool {
        switch self {
        case .ambiguous, .modemRefused: true
        case .notSent, .network, .simBusy, .noServiceCentre, .messageRefused: false
        }
    }
}
