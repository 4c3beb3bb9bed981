/// An error of a shared store (a database) that says it could not be reached — not that the
/// request was wrong: the same operation may succeed later. The agent then waits and tries again
/// instead of stopping (`AgentRuntime`) or parking a modem (`ModemWorker`).
public protocol TransientRecordsError: Error {
    /// Whether trying again later may succeed (the server down, the network, all connections busy).
    var isTransient: Bool { get }
    /// A claimed message is no longer this agent's: its lease expired and another agent settled
    /// it (by the ambiguous-window rules); what this agent knew about it is no longer needed.
    var isLeaseLost: Bool { get }
}

extension Error {
    /// Whether this error says the records could not be reached for now (`TransientRecordsError`).
    public var isTransientRecordsError: Bool {
        (self as? any TransientRecordsError)?.isTransient ?? false
    }

    /// Whether this error says another agent took the message over (`TransientRecordsError`).
    public var isLeaseLostRecordsError: Bool {
        (self as? any TransientRecordsError)?.isLeaseLost ?? false
    }
}
