/// Tunables of a `Modem`. The defaults suit real USB modems; tests shorten the timeouts.
public struct ModemOptions: Sendable {
    /// Queries and settings (`AT+CSQ`, `AT+CPMS` …).
    public var commandTimeout: Duration = .seconds(5)
    /// From `AT+CMGS=<n>` to the `> ` prompt.
    public var promptTimeout: Duration = .seconds(5)
    /// From the PDU's Ctrl-Z to `+CMGS:` — the network round trip (TS 27.005 allows long waits).
    public var sendTimeout: Duration = .seconds(60)
    /// After ESC (leaving a `> ` prompt) and before the next command line: a modem that discards a
    /// line beginning with ESC must get it alone.
    public var escapePause: Duration = .milliseconds(100)
    /// How long a final result may still take after the information line of a command whose line
    /// suffices (`AT+CPIN?` on Wavecom firmwares, which send none).
    public var informationGrace: Duration = .milliseconds(500)
    /// `AT+CMGL` on a full storage takes a while on some modems.
    public var listTimeout: Duration = .seconds(20)
    /// `AT+CPIN=…` (the SIM checks the PIN).
    public var pinTimeout: Duration = .seconds(10)
    /// How long to wait for the SIM to become ready after a correct PIN.
    public var simReadyTimeout: Duration = .seconds(15)
    /// Preferred storage for reading, writing and receiving (`AT+CPMS`). Falls back to the modem's own
    /// choice when it rejects this.
    public var storage: [String] = ["SM", "SM", "SM"]
    /// `AT+CNMI` settings tried in order until the modem accepts one (TS 27.005 §3.4.1): store new
    /// messages and announce them with `+CMTI` (mt=1), status reports stored with `+CDSI` (ds=2) or
    /// routed (ds=1).
    public var newMessageIndications: [[Int]] = [[2, 1, 0, 2, 0], [2, 1, 0, 1, 0], [2, 1, 0, 0, 0], [1, 1, 0, 0, 0], [2, 1]]
    /// The reset command line (`AT+CFUN=1,1` restarts the modem on most families).
    public var resetCommand: String = "AT+CFUN=1,1"
    /// Enter the configured PIN even when the SIM says only one attempt is left. Off by default: a
    /// wrong PIN at that point PUK-locks the SIM, which only a person with the PUK can undo.
    public var allowLastPINAttempt: Bool = false

    public init() {}
}
