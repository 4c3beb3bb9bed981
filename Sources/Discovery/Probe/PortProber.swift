/// What a short AT exchange on one port showed.
public struct PortProbeResult: Codable, Sendable, Equatable {
    /// `AT` got `OK`.
    public var answersAT: Bool
    /// `AT+CMGF=0` got `OK`: PDU-mode SMS (TS 27.005 §3.2.3).
    public var pduSMS: Bool
    /// The first storage `AT+CPMS?` reported (TS 27.005 §3.2.2), e.g. `SM`.
    public var storage: String?
    /// How many `AT` attempts were needed (a port still settling after plug-in answers late).
    public var attempts: Int
    /// What went wrong, in words (`no answer`, `permission denied`, `non-AT bytes`).
    public var problem: String?
    /// The identity read on a port that answered AT and accepted PDU mode (read in the same
    /// session: the port is opened once per probe).
    public var fingerprint: ModemFingerprint?

    public init(answersAT: Bool, pduSMS: Bool = false, storage: String? = nil, attempts: Int, problem: String? = nil,
                fingerprint: ModemFingerprint? = nil) {
        self.answersAT = answersAT
        self.pduSMS = pduSMS
        self.storage = storage
        self.attempts = attempts
        self.problem = problem
        self.fingerprint = fingerprint
    }

    /// One line for `smsagent discover`.
    public var summary: String {
        guard answersAT else { return problem ?? "no answer to AT" }
        var text = "answers AT"
        if attempts > 1 { text += " (attempt \(attempts))" }
        text += pduSMS ? ", PDU SMS (AT+CMGF=0 OK)" : ", refused AT+CMGF=0"
        if let storage { text += ", storage \(storage)" }
        return text
    }
}

/// Timings of a probe.
public struct ProbeOptions: Sendable {
    /// `AT` attempts before a port is declared silent.
    public var attempts: Int
    /// How long each `AT` attempt waits for an answer.
    public var answerTimeout: Duration
    /// Pause between attempts (a port that just appeared may not be ready yet).
    public var retryDelay: Duration
    /// Timeout of the later commands (`AT+CMGF=0`, `AT+CPMS?`, identity) and of the resync after
    /// an unanswered attempt.
    public var commandTimeout: Duration

    public init(attempts: Int = 3, answerTimeout: Duration = .milliseconds(500),
                retryDelay: Duration = .milliseconds(300), commandTimeout: Duration = .seconds(1)) {
        self.attempts = attempts
        self.answerTimeout = answerTimeout
        self.retryDelay = retryDelay
        self.commandTimeout = commandTimeout
    }
}

/// Talks to one port briefly (`ModemKitPortProber` by default; tests may stand in their own).
public protocol PortProber: Sendable {
    /// `AT` (retried while the port settles), then `AT+CMGF=0` and `AT+CPMS?` if it answered, then
    /// the identity if it accepted PDU mode.
    func probe(devnode: String) async -> PortProbeResult
}
