/// Misbehaviour a test or a user can switch on (`SimulatedModem.inject(fault:)`).
public enum SimulatorFault: Sendable, Equatable, CustomStringConvertible {
    /// The command is swallowed: no echo-independent answer at all.
    case noReply
    /// Plain `ERROR`.
    case error
    /// `+CME ERROR: <n>` (rendered per `+CMEE`).
    case cme(Int)
    /// `+CMS ERROR: <n>`; on `AT+CMGS` it comes after the PDU, like a network refusal.
    case cms(Int)
    /// These bytes before the answer.
    case garbage([UInt8])
    /// This URC in the middle of the answer (after the first line of it).
    case urcMidResponse(String)
    /// `AT+CMGS` is submitted (recorded, reference used) but its `+CMGS:`/`OK` never comes:
    /// the ambiguous window of an agent.
    case noReplyAfterSubmit
    /// The answer is held back and comes just before the answer to the next command line, as
    /// from a modem still busy when the host gave up waiting: a late answer, with no timing in it.
    case late
    /// From now on the port takes bytes and says nothing (sticky until cleared).
    case hang
    /// The port disappears: the fd is closed / the in-memory stream finishes.
    case unplug

    public var description: String {
        switch self {
        case .noReply: "no reply"
        case .error: "ERROR"
        case .cme(let n): "+CME ERROR: \(n)"
        case .cms(let n): "+CMS ERROR: \(n)"
        case .garbage(let b): "\(b.count) garbage bytes"
        case .urcMidResponse(let u): "URC \(u) mid-response"
        case .noReplyAfterSubmit: "no reply after submit"
        case .late: "answer late"
        case .hang: "hang"
        case .unplug: "unplug"
        }
    }
}

/// How long an injected fault lasts.
public enum FaultPersistence: Sendable, Equatable {
    case once
    case times(Int)
    case sticky
}

/// A fault waiting for the command it applies to.
public struct FaultRule: Sendable, Equatable {
    public var fault: SimulatorFault
    /// Command name it applies to (`"+CMGS"`, `"+CPIN"`, `"E"` …, case-insensitive); nil = any.
    public var command: String?
    public var persistence: FaultPersistence

    public init(fault: SimulatorFault, command: String? = nil, persistence: FaultPersistence = .once) {
        self.fault = fault
        self.command = command?.uppercased()
        self.persistence = persistence
    }
}
