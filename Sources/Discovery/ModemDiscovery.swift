import Logging

/// Finds USB GSM modems with libudev, picks each one's AT port, and follows plug/unplug.
///
/// Holds only `Sendable` configuration: every libudev handle lives in a wrapper created for one
/// call (or owned by the hotplug thread) and released when that ends. No C type leaves this module.
public final class ModemDiscovery: Sendable {
    public let logger: Logger
    public let prober: any PortProber
    public let table: VendorLayoutTable

    public init(logger: Logger = Logger(label: "smsagent.discovery"),
                prober: (any PortProber)? = nil,
                table: VendorLayoutTable = .builtIn) {
        self.logger = logger
        self.prober = prober ?? ModemKitPortProber(logger: logger)
        self.table = table
    }

    /// Every USB modem plugged in now, ports classified from udev properties and the layout table
    /// (no port is opened). USB-serial cables and devices marked "not a modem" are left out.
    public func enumerate() throws -> [DiscoveredModem] {
        try snapshot().modems
    }

    /// Like `enumerate()`, and also the USB ttys deliberately left alone, with the reason.
    public func snapshot() throws -> DiscoverySnapshot {
        let context = try UdevContext()
        var groups: [String: UsbDeviceSummary] = [:]
        var order: [String] = []
        for syspath in try context.syspaths(subsystem: "tty") {
            guard let tty = context.device(syspath: syspath),
                  let (usb, port) = DeviceReader.port(from: tty) else { continue }
            if groups[usb.id] == nil {
                groups[usb.id] = usb
                order.append(usb.id)
            }
            groups[usb.id]?.ports.append(port)
        }
        var modems: [DiscoveredModem] = []
        var ignored: [IgnoredDevice] = []
        for id in order.sorted() {
            guard let group = groups[id] else { continue }
            switch assemble(group) {
            case let .modem(modem): modems.append(modem)
            case let .ignored(device): ignored.append(device)
            }
        }
        logger.debug("enumerated", metadata: ["modems": "\(modems.count)", "ignored": "\(ignored.count)"])
        return DiscoverySnapshot(modems: modems, ignored: ignored)
    }

    /// Talks to the modem's candidate ports (most likely first, udev's choice alone if it named
    /// one) until one answers `AT` and accepts `AT+CMGF=0`; then reads the identity there.
    public func probe(_ modem: DiscoveredModem) async -> DiscoveredModem {
        let order = PortClassifier.probeOrder(modem, table: table)
        var results: [String: PortProbeResult] = [:]
        for port in order {
            let result = await prober.probe(devnode: port.devnode)
            logger.debug("probed", metadata: ["modem.port": "\(port.devnode)", "result": "\(result.summary)"])
            results[port.devnode] = result
            if result.answersAT && result.pduSMS { break }
        }
        var resolved = PortClassifier.resolve(modem, order: order, probes: results)
        resolved.fingerprint = resolved.atPort.flatMap { results[$0]?.fingerprint }
        logger.info("modem probed", metadata: [
            "modem.id": "\(resolved.stableKey)", "modem.port": "\(resolved.atPort ?? "none")", "reason": "\(resolved.reason)",
        ])
        return resolved
    }

    /// Plug and unplug events, grouped per physical USB device.
    ///
    /// A stick's ports arrive one by one; `.added` comes once no new port appeared for `settle`.
    /// `.removed` comes as soon as the first of its ports (or the USB device) goes away. The udev
    /// monitor is bound before this returns, so nothing plugged afterwards is missed. Ending the
    /// iteration (or dropping the stream) stops the monitor thread.
    public func hotplug(settle: Duration = .milliseconds(1500)) throws -> AsyncStream<HotplugEvent> {
        let context = try UdevContext()
        let monitor = try UdevMonitor(context: context)
        logger.debug("hotplug monitor bound", metadata: ["udev.source": "\(monitor.source)"])
        let wake = try WakePipe()
        let (stream, continuation) = AsyncStream.makeStream(of: HotplugEvent.self, bufferingPolicy: .unbounded)
        let loop = HotplugLoop(monitor: monitor, wake: wake, settle: settle, continuation: continuation,
                               discovery: self)
        continuation.onTermination = { _ in wake.signal() }
        loop.start()
        return stream
    }

    enum Assembled {
        case modem(DiscoveredModem)
        case ignored(IgnoredDevice)
    }

    func assemble(_ group: UsbDeviceSummary) -> Assembled {
        let ports = group.ports.sorted {
            ($0.interfaceNumber ?? Int.max, $0.sysname) < ($1.interfaceNumber ?? Int.max, $1.sysname)
        }
        if let reason = PortClassifier.notAModemReason(vendorID: group.vendorID, productID: group.productID,
                                                       ports: ports, table: table) {
            return .ignored(IgnoredDevice(id: group.id, vendorID: group.vendorID, productID: group.productID,
                                          product: group.product, devnodes: ports.map(\.devnode),
                                          driver: ports.compactMap(\.driver).first, reason: reason))
        }
        let modem = DiscoveredModem(id: group.id, vendorID: group.vendorID, productID: group.productID,
                                    manufacturer: group.manufacturer, product: group.product,
                                    serial: group.serial, ports: ports)
        return .modem(PortClassifier.classify(modem, table: table))
    }
}
