/// A change in the set of plugged modems (`ModemDiscovery.hotplug`).
public enum HotplugEvent: Sendable, Equatable {
    /// A stick's ports have all appeared (after the settling time). Not probed yet.
    case added(DiscoveredModem)
    /// The first of its ports (or the USB device itself) went away: stop using it now.
    case removed(id: String, devnodes: [String])
}
