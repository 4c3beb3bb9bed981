import CUdev
#if canImport(Glibc)
import Glibc
#endif

/// Owns one `struct udev_monitor *` bound to the "udev" netlink group (events after udev's rules
/// ran, so our `SMSAGENT_*` properties are present), filtered to ttys and USB devices.
///
/// Not `Sendable`: created by `ModemDiscovery.hotplug`, then handed to the hotplug thread, which is
/// its only user from then on.
final class UdevMonitor {
    let context: UdevContext
    let handle: OpaquePointer

    init(context: UdevContext) throws {
        self.context = context
        guard let handle = udev_monitor_new_from_netlink(context.handle, "udev") else {
            throw UdevError.callFailed(call: "udev_monitor_new_from_netlink(udev)", errno: errno)
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

    /// The socket to `poll()` for readability.
    var fileDescriptor: Int32 { udev_monitor_get_fd(handle) }

    /// The next queued event, or nil when none is ready (the socket is non-blocking).
    func receive() -> UdevDevice? {
        guard let raw = udev_monitor_receive_device(handle) else { return nil }
        return UdevDevice(owning: raw)
    }
}
