/// The escalation ladder of one modem (issue 5): a failed send is retried after a backoff; after
/// `attemptsBeforeReinitialise` failures in a row the modem is re-initialised; after
/// `reinitialisationsBeforeReset` re-initialisations that did not help it is reset; after
/// `resetsBeforeUnhealthy` resets it is unhealthy (its work moves to the other modems) until
/// `unhealthyRetryInterval` has passed. Any success clears the ladder.
///
/// A pure state machine: events in, the action for the owner to perform out.
public struct ModemHealth: Sendable, Equatable {
    public enum State: String, Sendable, Codable {
        case healthy, degraded, unhealthy
    }

    public enum Action: Sendable, Equatable {
        /// Try again on this modem after the backoff.
        case retry(after: Duration)
        case reinitialise
        case reset
        /// Stop using the modem; look again after this long.
        case markUnhealthy(retryAfter: Duration)
    }

    public let settings: RetrySettings
    public private(set) var consecutiveFailures = 0
    public private(set) var reinitialisations = 0
    public private(set) var resets = 0
    public private(set) var state: State = .healthy

    public init(settings: RetrySettings) {
        self.settings = settings
    }

    public mutating func succeeded() {
        consecutiveFailures = 0
        reinitialisations = 0
        resets = 0
        state = .healthy
    }

    /// A command failed in a way that points at the modem (timeout, transport error, repeated
    /// `ERROR`); returns what to do next.
    public mutating func failed() -> Action {
        consecutiveFailures += 1
        state = .degraded
        if consecutiveFailures < settings.attemptsBeforeReinitialise {
            return .retry(after: backoff(consecutiveFailures))
        }
        consecutiveFailures = 0
        if reinitialisations < settings.reinitialisationsBeforeReset {
            reinitialisations += 1
            return .reinitialise
        }
        if resets < settings.resetsBeforeUnhealthy {
            resets += 1
            return .reset
        }
        state = .unhealthy
        return .markUnhealthy(retryAfter: settings.unhealthyRetryInterval)
    }

    /// The modem is to be tried again after being unhealthy.
    public mutating func revive() {
        consecutiveFailures = 0
        reinitialisations = 0
        resets = 0
        state = .degraded
    }

    /// Exponential backoff: initial × 2^(n-1), capped at max.
    public func backoff(_ failures: Int) -> Duration {
        var delay = settings.initialBackoff
        var n = 1
        while n < failures && delay < settings.maxBackoff {
            delay = delay * 2
            n += 1
        }
        return min(delay, settings.maxBackoff)
    }
}
