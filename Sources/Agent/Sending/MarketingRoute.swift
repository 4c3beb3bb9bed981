/// Which modems may carry marketing: a marketing SMS offers a STOP number, and that number must
/// reach a SIM whose replies the agent reads (COMPLIANCE.md: a free, simple opt-out that works).
/// A phone used as a modem keeps received SMS to itself (`InboundCapability.unreadable`): a STOP
/// sent to its SIM is never seen. Pure; the dispatcher owns one and asks it at every claim.
///
/// The STOP number of a modem is `sender.stop_number` when set, else the modem's own number. So:
/// - without `sender.stop_number`, a modem carries marketing when its own replies can be read;
/// - with it, no modem does when it is the number of a modem known to be unreadable; a readable
///   modem does otherwise (the number may be a SIM of another host, as today); an unreadable
///   modem does only when it is the number of a modem of this agent that is known readable.
///
/// Modems the route has not been told about (tests that drive the dispatcher without workers)
/// carry marketing: the route only withholds it from modems known to be unreadable.
public struct MarketingRoute: Sendable, Equatable {
    public struct Modem: Sendable, Equatable {
        public var repliesReadable: Bool
        /// False when its footer would have no STOP number: no `sender.stop_number` and the SIM
        /// does not know its own number. Notifications still go; marketing never through it.
        public var knowsStopNumber: Bool = true
        /// Its own number in E.164 (from `AT+CNUM`), nil when the SIM does not know it.
        public var ownNumber: String?
        /// Set up and taking work (ready or sending): a hand-off to it goes out soon.
        public var available: Bool

        public init(repliesReadable: Bool, ownNumber: String?, available: Bool = false, knowsStopNumber: Bool = true) {
            self.repliesReadable = repliesReadable
            self.knowsStopNumber = knowsStopNumber
            self.ownNumber = ownNumber
            self.available = available
        }
    }

    /// `sender.stop_number` in E.164, nil when each SIM offers its own number.
    public let stopNumber: String?
    public private(set) var modems: [String: Modem] = [:]

    public init(stopNumber: String?) {
        self.stopNumber = stopNumber
    }

    public mutating func join(_ id: String, _ modem: Modem) { modems[id] = modem }
    public mutating func leave(_ id: String) { modems[id] = nil }

    /// Returns whether it changed.
    @discardableResult
    public mutating func setAvailable(_ id: String, _ available: Bool) -> Bool {
        guard let modem = modems[id], modem.available != available else { return false }
        modems[id]?.available = available
        return true
    }

    /// Whether modem `id` may be handed a marketing message.
    public func carries(_ id: String) -> Bool { refusal(for: id) == nil }

    /// Why modem `id` may not carry marketing (nil: it may), in words that say the fix.
    public func refusal(for id: String) -> String? {
        guard let modem = modems[id] else { return nil }
        guard let stopNumber else {
            if !modem.knowsStopNumber {
                return "no STOP number for the footer: its SIM does not know its own number (AT+CNUM) and sender.stop_number is not set; "
                    + "set sender.stop_number (notifications still go)"
            }
            return modem.repliesReadable ? nil
                : "replies to its SIM cannot be read and it would be its own STOP number; set sender.stop_number to the number of a SIM the agent reads"
        }
        if let owner = modems.first(where: { $0.value.ownNumber == stopNumber && !$0.value.repliesReadable }) {
            return "sender.stop_number (\(stopNumber)) is the SIM of \(owner.key), whose replies cannot be read; set it to the number of a SIM the agent reads"
        }
        if modem.repliesReadable { return nil }
        if modems.values.contains(where: { $0.ownNumber == stopNumber && $0.repliesReadable }) { return nil }
        return "replies to its SIM cannot be read, and sender.stop_number (\(stopNumber)) is not the number of a SIM this agent reads "
            + "(as AT+CNUM gives it); set sender.stop_number to such a SIM's number"
    }

    /// Modems known to carry marketing that take work now, by id.
    public var availableCarriers: [String] {
        modems.filter { $0.value.available && carries($0.key) }.map(\.key).sorted()
    }

    /// Modems known not to carry marketing, by id.
    public var refusers: [String] {
        modems.keys.filter { !carries($0) }.sorted()
    }
}
