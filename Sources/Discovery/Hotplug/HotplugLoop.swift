import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The hotplug thread: owns the monitor (and its udev context) from `start()` on.
final class HotplugLoop: @unchecked Sendable {
    // @unchecked: `monitor` is handed over to the thread in `start()` and only touched there.
    private let monitor: UdevMonitor
    private let wake: WakePipe
    private let continuation: AsyncStream<HotplugEvent>.Continuation
    private let discovery: ModemDiscovery
    private var grouper: HotplugGrouper

    init(monitor: UdevMonitor, wake: WakePipe, settle: Duration,
         continuation: AsyncStream<HotplugEvent>.Continuation, discovery: ModemDiscovery) {
        self.monitor = monitor
        self.wake = wake
        self.continuation = continuation
        self.discovery = discovery
        self.grouper = HotplugGrouper(settle: settle)
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "smsagent.hotplug"
        thread.start()
    }

    private func run() {
        let clock = ContinuousClock()
        var fds = [pollfd(fd: monitor.fileDescriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)]
        while true {
            var timeout: Int32 = -1
            if let deadline = grouper.nextDeadline {
                let remaining = clock.now.duration(to: deadline)
                timeout = remaining <= .zero ? 0 : Int32(clamping: max(1, remaining.milliseconds + 1))
            }
            let ready = poll(&fds, 2, timeout)
            if ready < 0 && errno != EINTR {
                discovery.logger.error("hotplug poll failed", metadata: ["errno": "\(errno)"])
                break
            }
            if fds[1].revents != 0 { break }
            if fds[0].revents & Int16(POLLIN) != 0 {
                while let device = monitor.receive() { handle(device, now: clock.now) }
            }
            for (usbID, ttys) in grouper.due(now: clock.now) { announce(usbID: usbID, ttys: ttys) }
        }
        continuation.finish()
    }

    private func handle(_ device: UdevDevice, now: ContinuousClock.Instant) {
        let action = device.action ?? ""
        let syspath = device.syspath
        discovery.logger.trace("uevent", metadata: ["action": "\(action)", "syspath": "\(syspath)"])
        if device.subsystem == "usb" {
            if action == "remove", let event = grouper.deviceRemoved(usbID: syspath) { continuation.yield(event) }
            return
        }
        switch action {
        case "add", "change", "bind":
            guard let usb = device.ancestor(subsystem: "usb", devtype: "usb_device") else { return }
            let devnode = device.devnode ?? device.property("DEVNAME").map { $0.hasPrefix("/") ? $0 : "/dev/\($0)" }
                ?? "/dev/\(device.sysname)"
            if action != "add" && grouper.announced[usb.syspath]?[syspath] != nil { return }
            grouper.portAdded(usbID: usb.syspath, syspath: syspath, devnode: devnode, now: now)
        case "remove":
            if let event = grouper.portRemoved(syspath: syspath) {
                discovery.logger.info("modem removed", metadata: ["modem.id": "\(syspath)"])
                continuation.yield(event)
            }
        default:
            break
        }
    }

    private func announce(usbID: String, ttys: [String]) {
        var summary: UsbDeviceSummary?
        for syspath in ttys {
            guard let tty = monitor.context.device(syspath: syspath),
                  let (usb, port) = DeviceReader.port(from: tty) else { continue }
            if summary == nil { summary = usb }
            summary?.ports.append(port)
        }
        guard let summary, !summary.ports.isEmpty else {
            grouper.forget(usbID: usbID)
            return
        }
        switch discovery.assemble(summary) {
        case let .modem(modem):
            discovery.logger.info("modem added", metadata: ["modem.id": "\(usbID)", "modem.port": "\(modem.atPort ?? "?")"])
            continuation.yield(.added(modem))
        case let .ignored(device):
            discovery.logger.info("USB tty ignored", metadata: ["device": "\(usbID)", "reason": "\(device.reason)"])
            grouper.forget(usbID: usbID)
        }
    }
}
