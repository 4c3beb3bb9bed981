import CUdev
#if canImport(Glibc)
import Glibc
#endif

/// Owns one `struct udev_monitor *`, filtered to ttys and USB devices.
///
/// Source: the "udev" netlink group (events after udevd ran the rules, so our `SMSAGENT_*`
/// properties are present) when udevd runs (`/run/udev/control` exists); otherwise the "kernel"
/// group, so that hotplug still works in containers and minimal systems without udevd (libudev
/// would silently disable a "udev" monitor there).
///
/// Not `Sendable`: created by `ModemDiscovery.hotplug`, then handed to the hotplug thread, which is
/// its only user from then on.
final class UdevMonitor {
    let context: UdevContext
    let handle: OpaquePointer

    let source: String

    init(context: UdevContext, source: String = UdevMonitor.defaultSource) throws {
        self.context = context
        self.source = source
        guard let handle = udev_monitor_new_from_netlink(context.handle, source) else {
            throw UdevError.callFailed(call: "udev_monitor_new_from_netlink(\(source))", errno: errno)
        }
        self.handle = handle
        var status = udev_monitor_filter_add_match_subsystem_devtype(handle, "tty", nil)
        if status >= 0 { status = udev_monitor_filter_add_match_subsystem_devtype(handle, "usb", "usb_device") }
        guard status >= 0 else {
            udev_monitor_unref(handle)
            throw UdevError.callFailed(call: "udev_monitor_filter_add_match_subsystem_devtype", errno: -status)
        }
        status = udev_monitor_enable_receiving(handle)
        guard status >= 0 else {
            udev_monitor_unref(handle)
            throw UdevError.callFailed(call: "udev_monitor_enable_receiving", errno: -status)
        }
    }

    deinit { udev_monitor_unref(handle) }

    static var defaultSource: String {
        access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel"
    }

    /// The socket to `poll()` for readability.
    var fileDescriptor: Int32 { udev_monitor_get_fd(handle) }

    /// The next queued event, or nil when none is ready (the socket is non-blocking).
    func receive() -> UdevDevice? {
        guard let raw = udev_monitor_receive_device(handle) else { return nil }
        return UdevDevice(owning: raw)
    }
}
