/// What `Modem.prepare(pin:serviceCentre:)` learnt while setting a modem up: whether the SMS sent
/// to its SIM can be read, and where its SMS centre stands.
public struct ModemSetup: Sendable, Hashable {
    public var inbound: InboundCapability
    public var serviceCentre: ServiceCentreState

    public init(inbound: InboundCapability, serviceCentre: ServiceCentreState) {
        self.inbound = inbound
        self.serviceCentre = serviceCentre
    }
}

/// How messages sent to the modem's SIM reach the host (TS 27.005 §3.2.2 `+CPMS`, §3.4.1 `+CNMI`).
public enum InboundCapability: String, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Stored in a memory the host reads, and announced with `+CMTI`.
    case announced
    /// Stored in a memory the host reads, but the modem accepts no `AT+CNMI`: found by polling `AT+CMGL`.
    case pollingOnly = "polling-only"
    /// No SMS memory over AT (`AT+CPMS?` names none — a phone used as a modem): replies sent to this
    /// SIM, STOP included, stay in the device and are never seen.
    case unreadable

    /// False when an opt-out sent to this SIM would never reach the agent.
    public var canReadReplies: Bool { self != .unreadable }

    public var description: String {
        switch self {
        case .announced: "stored and announced (+CMTI)"
        case .pollingOnly: "stored, found by polling (the modem accepts no AT+CNMI)"
        case .unreadable: "cannot be read: the modem offers no SMS storage over AT (replies to this SIM, STOP included, are never seen)"
        }
    }
}

/// The SMS service centre as `AT+CSCA?` tells it (TS 27.005 §3.3.1).
public enum ServiceCentreState: Sendable, Hashable, CustomStringConvertible {
    /// The number stored on the SIM (or set with `AT+CSCA=`).
    case set(String)
    /// Empty: a PDU without its own SMSC address is refused with `+CMS ERROR: 330`.
    case unset
    /// The SIM kept answering "busy" (`+CME ERROR: 14`) while we asked.
    case unknownSIMBusy

    public var number: String? {
        if case .set(let number) = self { return number }
        return nil
    }

    public var description: String {
        switch self {
        case .set(let number): number
        case .unset: "not set"
        case .unknownSIMBusy: "unknown (SIM busy)"
        }
    }
}

/// Set-up failures that are about the port rather than one command.
public enum ModemSetupError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing on the port gave any final result to `AT` (tried twice): not a modem, or not its AT port.
    case noAnswer(port: String)

    public var description: String {
        switch self {
        case .noAnswer(let port): "\(port): no answer to AT — not a modem, or not its AT port"
        }
    }
}
