@testable import Discovery
import Testing

/// The grouping of tty events into one event per physical device, with an injected time.
@Suite("Hotplug grouper")
struct HotplugGrouperTests {
    let usb = "/sys/devices/usb1/1-1"
    let t0 = ContinuousClock().now

    func tty(_ n: Int) -> String { "\(usb)/1-1:1.\(n)/ttyUSB\(n)/tty/ttyUSB\(n)" }

    @Test("ports arriving within the settling time come out as one device, once")
    func settlesIntoOne() {
        var grouper = HotplugGrouper(settle: .milliseconds(500))
        grouper.portAdded(usbID: usb, syspath: tty(0), devnode: "/dev/ttyUSB0", now: t0)
        grouper.portAdded(usbID: usb, syspath: tty(1), devnode: "/dev/ttyUSB1", now: t0 + .milliseconds(300))
        #expect(grouper.due(now: t0 + .milliseconds(600)).isEmpty)   // the second port restarted the clock
        let due = grouper.due(now: t0 + .milliseconds(800))
        #expect(due.map(\.usbID) == [usb])
        #expect(due.first?.ttys == [tty(0), tty(1)])
        #expect(grouper.due(now: t0 + .seconds(5)).isEmpty)
        #expect(grouper.nextDeadline == nil)
    }

    @Test("the first port removal of an announced device yields removed with every devnode; later ones nothing")
    func removalOnce() {
        var grouper = HotplugGrouper(settle: .milliseconds(100))
        grouper.portAdded(usbID: usb, syspath: tty(0), devnode: "/dev/ttyUSB0", now: t0)
        grouper.portAdded(usbID: usb, syspath: tty(2), devnode: "/dev/ttyUSB2", now: t0)
        _ = grouper.due(now: t0 + .seconds(1))
        #expect(grouper.portRemoved(syspath: tty(2)) == .removed(id: usb, devnodes: ["/dev/ttyUSB0", "/dev/ttyUSB2"]))
        #expect(grouper.portRemoved(syspath: tty(0)) == nil)
        #expect(grouper.deviceRemoved(usbID: usb) == nil)
    }

    @Test("the USB device's own removal also yields removed")
    func deviceRemoval() {
        var grouper = HotplugGrouper(settle: .milliseconds(100))
        grouper.portAdded(usbID: usb, syspath: tty(0), devnode: "/dev/ttyUSB0", now: t0)
        _ = grouper.due(now: t0 + .seconds(1))
        #expect(grouper.deviceRemoved(usbID: usb) == .removed(id: usb, devnodes: ["/dev/ttyUSB0"]))
    }

    @Test("a device unplugged before it settled produces no event at all")
    func unplugBeforeSettle() {
        var grouper = HotplugGrouper(settle: .milliseconds(500))
        grouper.portAdded(usbID: usb, syspath: tty(0), devnode: "/dev/ttyUSB0", now: t0)
        #expect(grouper.portRemoved(syspath: tty(0)) == nil)
        #expect(grouper.due(now: t0 + .seconds(1)).isEmpty)
    }

    @Test("a forgotten device (not a modem) gives no removed event")
    func forgottenDevice() {
        var grouper = HotplugGrouper(settle: .milliseconds(100))
        grouper.portAdded(usbID: usb, syspath: tty(0), devnode: "/dev/ttyUSB0", now: t0)
        _ = grouper.due(now: t0 + .seconds(1))
        grouper.forget(usbID: usb)
        #expect(grouper.portRemoved(syspath: tty(0)) == nil)
    }
}

extension HotplugGrouperTests {
    @Test("a port that comes after the device was announced re-announces the whole device")
    func latePortReannouncesWhole() {
        var grouper = HotplugGrouper(settle: .milliseconds(100))
        grouper.portAdded(usbID: usb, syspath: tty(0), devnode: "/dev/ttyUSB0", now: t0)
        _ = grouper.due(now: t0 + .seconds(1))
        grouper.portAdded(usbID: usb, syspath: tty(2), devnode: "/dev/ttyUSB2", now: t0 + .seconds(2))
        let due = grouper.due(now: t0 + .seconds(3))
        #expect(due.first?.ttys == [tty(0), tty(2)])
    }
}
