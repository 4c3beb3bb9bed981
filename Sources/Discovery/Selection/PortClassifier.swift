/// Chooses each port's role from what udev says (pure: no I/O).
///
/// Order of authority: our rules (`SMSAGENT_PORT`), then ModemManager's (`ID_MM_PORT_*`), then the
/// known vendor layout, then the USB interface class (a CDC-ACM interface declaring the V.250 AT
/// protocol). Probing (`resolve(_:probes:)`) then confirms or replaces a guess.
public enum PortClassifier {
    /// Why a device is not a modem, or nil when it may be one.
    public static func notAModemReason(vendorID: String, productID: String, ports: [DiscoveredPort],
                                       table: VendorLayoutTable) -> String? {
        if ports.contains(where: { $0.hints.smsagentPort == "at" || $0.hints.smsagentModem }) { return nil }
        if let adapter = table.adapter(vendorID: vendorID, productID: productID,
                                       drivers: ports.compactMap(\.driver)) {
            return "\(adapter): a cable, not a modem; never claimed"
        }
        if ports.contains(where: { $0.hints.mmDeviceIgnore }) {
            return "udev: ID_MM_DEVICE_IGNORE=1 (listed as not a modem) and no SMSAGENT_MODEM tag"
        }
        return nil
    }

    /// Roles, `atPort` and `reason` from udev properties and the layout table, before any probe.
    public static func classify(_ modem: DiscoveredModem, table: VendorLayoutTable) -> DiscoveredModem {
        var modem = modem
        let layout = table.layout(vendorID: modem.vendorID, productID: modem.productID)
        modem.layout = layout?.name
        modem.atPort = nil
        for index in modem.ports.indices {
            let (role, reason) = initialRole(modem.ports[index], layout: layout)
            modem.ports[index].role = role
            modem.ports[index].reason = reason
        }
        if let index = modem.ports.firstIndex(where: { $0.hints.smsagentPort == "at" }) {
            choose(index, in: &modem, reason: "udev: SMSAGENT_PORT=at on \(modem.ports[index].sysname) (smsagent rules)")
        } else if let index = modem.ports.firstIndex(where: { $0.hints.mmATPrimary && $0.role != .ignored }) {
            choose(index, in: &modem,
                   reason: "udev: ID_MM_PORT_TYPE_AT_PRIMARY=1 on \(modem.ports[index].sysname) (ModemManager rules)")
        } else if let layout, let index = modem.ports.firstIndex(where: {
            $0.role != .ignored && $0.interfaceNumber.map { layout.interfaces[$0] == .at } == true
        }) {
            choose(index, in: &modem, reason: "layout \(layout.name): interface \(ifnum(modem.ports[index])) is the AT port (not probed)")
        } else if let index = modem.ports.firstIndex(where: { $0.role != .ignored && isCDCAT($0) }) {
            choose(index, in: &modem,
                   reason: "cdc_acm interface declaring the AT command protocol (class 02/02/01) (not probed)")
        } else if modem.ports.allSatisfy({ $0.role == .ignored }) {
            modem.reason = "every port is ignored by udev rules or the layout"
        } else {
            modem.reason = "no udev hint and no known layout: `smsagent discover --probe` will ask the ports"
        }
        return modem
    }

    /// Ports to probe, most likely AT port first. When udev named the AT port explicitly, only that
    /// port (a probe then just reads the identity); diagnostics, NMEA and audio ports never.
    public static func probeOrder(_ modem: DiscoveredModem, table: VendorLayoutTable) -> [DiscoveredPort] {
        let explicit = modem.ports.filter { $0.hints.smsagentPort == "at" || $0.hints.mmATPrimary }
            .filter { $0.hints.smsagentPort != "ignore" }
        if let first = explicit.first { return [first] }
        let layout = table.layout(vendorID: modem.vendorID, productID: modem.productID)
        let candidates = modem.ports.filter { $0.role != .ignored }
        return candidates.enumerated().sorted { lhs, rhs in
            let l = rank(lhs.element, layout: layout), r = rank(rhs.element, layout: layout)
            return l != r ? l < r : lhs.offset < rhs.offset
        }.map(\.element)
    }

    /// Applies probe results: the first port (in probe order) that answers AT and accepts PDU mode
    /// wins; else the first that answers AT at all; else none.
    public static func resolve(_ modem: DiscoveredModem, order: [DiscoveredPort],
                               probes: [String: PortProbeResult]) -> DiscoveredModem {
        var modem = modem
        modem.probed = true
        let explicit = order.count == 1 && (order[0].hints.smsagentPort == "at" || order[0].hints.mmATPrimary)
        for index in modem.ports.indices {
            guard let result = probes[modem.ports[index].devnode] else { continue }
            if result.answersAT {
                modem.ports[index].role = .secondary
                modem.ports[index].reason = "probe: " + result.summary
            } else {
                modem.ports[index].role = .silent
                modem.ports[index].reason = "probe: " + result.summary
            }
        }
        let answered = order.filter { probes[$0.devnode]?.answersAT == true }
        let winner = answered.first { probes[$0.devnode]?.pduSMS == true } ?? answered.first
        if let winner, let index = modem.ports.firstIndex(where: { $0.devnode == winner.devnode }),
           let result = probes[winner.devnode] {
            let why = explicit ? "\(modem.reason); probe: \(result.summary)" : "probe: \(winner.sysname) \(result.summary)"
            choose(index, in: &modem, reason: why)
            if !result.pduSMS { modem.reason += " — no PDU-mode SMS: sending will fail" }
        } else if explicit, let index = modem.ports.firstIndex(where: { $0.devnode == order[0].devnode }) {
            // udev's word stands, but say that the port did not answer.
            let summary = probes[order[0].devnode]?.summary ?? "not probed"
            choose(index, in: &modem, reason: "\(modem.reason); but the probe got no AT answer (\(summary))")
        } else {
            modem.atPort = nil
            let tried = order.map(\.sysname).joined(separator: ", ")
            modem.reason = tried.isEmpty ? "no port to probe" : "no port answered AT (probed \(tried))"
        }
        for index in modem.ports.indices where modem.ports[index].role == .candidate {
            modem.ports[index].reason = explicit ? "not probed: udev named the AT port" : "not probed: AT port already found"
        }
        return modem
    }

    // MARK: - Helpers

    private static func initialRole(_ port: DiscoveredPort, layout: VendorLayout?) -> (PortRole, String) {
        let hints = port.hints
        if hints.smsagentPort == "ignore" { return (.ignored, "udev: SMSAGENT_PORT=ignore") }
        if hints.mmPortIgnore { return (.ignored, "udev: ID_MM_PORT_IGNORE=1") }
        if let other = hints.mmOtherType { return (.ignored, "udev: ID_MM_PORT_TYPE_\(other)=1 (not AT)") }
        if hints.smsagentPort == "at" || hints.mmATPrimary { return (.candidate, "udev names it the AT port") }
        if hints.mmATSecondary { return (.candidate, "udev: ID_MM_PORT_TYPE_AT_SECONDARY=1") }
        if hints.mmATPPP { return (.candidate, "udev: ID_MM_PORT_TYPE_AT_PPP=1 (data port, probed last)") }
        if let layout, let number = port.interfaceNumber, let kind = layout.interfaces[number] {
            switch kind {
            case .diagnostics, .nmea, .audio:
                return (.ignored, "layout \(layout.name): interface \(number) is \(kind.rawValue), never sent AT")
            case .at: return (.candidate, "layout \(layout.name): interface \(number) is the AT port")
            case .atSecondary: return (.candidate, "layout \(layout.name): interface \(number) is a second AT port")
            case .modem: return (.candidate, "layout \(layout.name): interface \(number) is the data (PPP) port")
            }
        }
        return (.candidate, "may speak AT")
    }

    private static func rank(_ port: DiscoveredPort, layout: VendorLayout?) -> Int {
        if port.hints.mmATSecondary { return 1 }
        if port.hints.mmATPPP { return 3 }
        if let layout { return layout.probeRank(port.interfaceNumber) }
        return isCDCAT(port) ? 0 : 2
    }

    private static func choose(_ index: Int, in modem: inout DiscoveredModem, reason: String) {
        modem.atPort = modem.ports[index].devnode
        modem.ports[index].role = .at
        modem.ports[index].reason = reason
        modem.reason = reason
    }

    private static func isCDCAT(_ port: DiscoveredPort) -> Bool {
        port.interfaceClass == "02" && port.interfaceSubclass == "02" && port.interfaceProtocol == "01"
    }

    private static func ifnum(_ port: DiscoveredPort) -> String {
        port.interfaceNumber.map(String.init) ?? "?"
    }
}
