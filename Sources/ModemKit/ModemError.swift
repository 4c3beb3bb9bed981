/// What went wrong talking to a modem, with what a person needs to act on it.
public enum ModemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No final result within the command's timeout. `answered` holds the information lines the
    /// modem did send for it (empty when it said nothing at all).
    case timeout(command: String, answered: [String] = [])
    /// `+CME ERROR` (TS 27.007 §9.2).
    case cme(code: Int?, meaning: String, command: String)
    /// `+CMS ERROR` (TS 27.005 §3.2.5).
    case cms(code: Int?, meaning: String, command: String)
    /// Plain `ERROR` (or a vendor failure such as `COMMAND NOT SUPPORT`).
    case error(command: String, result: String)
    /// The port went away (unplug, hang-up, closed); every later call fails the same way.
    case transportClosed(port: String, reason: String)
    /// A PIN is needed and none was configured.
    case pinRequired
    /// The SIM rejected the PIN. It is never retried by this `Modem`.
    case pinRejected(remainingAttempts: Int?)
    /// A PIN was already entered once by this `Modem` and the SIM still asks for one: not retried.
    case pinAlreadyAttempted
    /// Entering the PIN was refused because a wrong PIN now would leave the SIM PUK-locked.
    case pinAttemptsTooLow(remaining: Int)
    /// The SIM is PUK-locked: only a person with the PUK can unlock it.
    case pukRequired
    case simNotInserted
    /// The SIM wants something this program never enters (PH-SIM, network lock, PIN2…).
    case simLocked(String)
    /// An answer that should have been there, or could not be parsed.
    case malformedResponse(command: String, line: String)
    /// A command could not be built from the given values; nothing was sent.
    case invalidArgument(String)
    /// The caller stopped waiting before the command was written; nothing was sent.
    case cancelled(command: String)

    public var description: String {
        switch self {
        case .timeout(let command, let answered) where answered.isEmpty: "no answer to \(command) in time"
        case .timeout(let command, let answered):
            "no final result to \(command) in time (it answered \(answered.joined(separator: " | ").debugDescription) and then nothing)"
        case .cme(let code, let meaning, let command): "\(command) failed: +CME ERROR \(code.map(String.init) ?? "") (\(meaning))"
        case .cms(let code, let meaning, let command): "\(command) failed: +CMS ERROR \(code.map(String.init) ?? "") (\(meaning))"
        case .error(let command, let result): "\(command) failed: \(result)"
        case .transportClosed(let port, let reason): "\(port) closed: \(reason)"
        case .pinRequired: "SIM PIN required: set modems.pin (or --pin)"
        case .pinRejected(let remaining):
            "the SIM rejected the PIN" + (remaining.map { " (\($0) attempt(s) left); it will not be tried again" } ?? "; it will not be tried again")
        case .pinAlreadyAttempted: "a PIN was already entered once; not entering it again (protects the SIM from a PUK lock)"
        case .pinAttemptsTooLow(let remaining):
            "the SIM has only \(remaining) PIN attempt(s) left: not entering the configured PIN (a wrong one would PUK-lock the SIM); enter it by hand once it is checked"
        case .pukRequired: "the SIM is PUK-locked: unlock it with its PUK in a phone"
        case .simNotInserted: "no SIM card inserted"
        case .simLocked(let what): "the SIM is locked (\(what))"
        case .malformedResponse(let command, let line): "unexpected answer to \(command): \(line.debugDescription)"
        case .invalidArgument(let reason): reason
        case .cancelled(let command): "\(command) not sent: the caller stopped waiting"
        }
    }

    /// True when repeating the same operation later may succeed (timeouts, congestion, SIM busy);
    /// false for closed ports, SIM problems and permanent CMS errors.
    public var isTemporary: Bool {
        switch self {
        case .timeout: true
        case .cme(let code?, _, _): ATErrorCatalogue.isTemporary(code, in: .cme)
        case .cms(let code?, _, _): ATErrorCatalogue.isTemporary(code, in: .cms)
        case .error: true
        default: false
        }
    }

    static func from(_ final: ATFinalResult, command: String) -> ModemError {
        switch final {
        case .cmeError(let detail): .cme(code: detail.code, meaning: detail.meaning, command: command)
        case .cmsError(let detail): .cms(code: detail.code, meaning: detail.meaning, command: command)
        default: .error(command: command, result: final.description)
        }
    }
}
