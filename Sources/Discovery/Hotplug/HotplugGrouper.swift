/// Groups tty add/remove events per physical USB device (pure state machine; the hotplug thread
/// performs the side effects and passes the time in).
struct HotplugGrouper {
    struct Pending {
        var ttys: [String: String] = [:]   // tty syspath -> devnode
        var deadline: ContinuousClock.Instant
    }

    let settle: Duration
    private(set) var pending: [String: Pending] = [:]
    /// Devices announced with `.added`: usb id -> (tty syspath -> devnode).
    private(set) var announced: [String: [String: String]] = [:]

    init(settle: Duration) { self.settle = settle }

    /// A tty appeared under `usbID`. Restarts that device's settling time.
    mutating func portAdded(usbID: String, syspath: String, devnode: String, now: ContinuousClock.Instant) {
        var entry = pending[usbID] ?? Pending(deadline: now)
        entry.ttys[syspath] = devnode
        entry.deadline = now.advanced(by: settle)
        pending[usbID] = entry
    }

    /// A tty went away. Returns `.removed` the first time a port of an announced device goes.
    mutating func portRemoved(syspath: String) -> HotplugEvent? {
        if let (id, ttys) = announced.first(where: { $0.value[syspath] != nil || syspath.hasPrefix($0.key + "/") }) {
            announced[id] = nil
            pending[id] = nil
            return .removed(id: id, devnodes: ttys.values.sorted())
        }
        for (id, var entry) in pending where entry.ttys[syspath] != nil || syspath.hasPrefix(id + "/") {
            entry.ttys[syspath] = nil
            pending[id] = entry.ttys.isEmpty ? nil : entry
        }
        return nil
    }

    /// The USB device itself went away.
    mutating func deviceRemoved(usbID: String) -> HotplugEvent? {
        pending[usbID] = nil
        guard let ttys = announced.removeValue(forKey: usbID) else { return nil }
        return .removed(id: usbID, devnodes: ttys.values.sorted())
    }

    /// Devices whose settling time is over, with all their tty syspaths (in name order; a port that
    /// came late joins the ones already announced, and the device is announced again whole). They
    /// move to `announced`; call `forget` for one that turned out not to be a modem.
    mutating func due(now: ContinuousClock.Instant) -> [(usbID: String, ttys: [String])] {
        let ready = pending.filter { $0.value.deadline <= now }.sorted { $0.key < $1.key }
        var result: [(usbID: String, ttys: [String])] = []
        for (id, entry) in ready {
            pending[id] = nil
            announced[id, default: [:]].merge(entry.ttys) { _, new in new }
            result.append((id, announced[id, default: [:]].keys.sorted()))
        }
        return result
    }

    mutating func forget(usbID: String) { announced[usbID] = nil }

    var nextDeadline: ContinuousClock.Instant? { pending.values.map(\.deadline).min() }
}
