import CUdev
#if canImport(Glibc)
import Glibc
#endif

/// Owns one `struct udev *` context. Not `Sendable`: libudev handles are not thread-safe, so each
/// context is used by exactly one owner (the caller of `ModemDiscovery`, or the hotplug thread).
final class UdevContext {
    let handle: OpaquePointer

    init() throws {
        guard let handle = udev_new() else {
            throw UdevError.callFailed(call: "udev_new", errno: errno)
        }
        self.handle = handle
    }

    deinit { udev_unref(handle) }

    /// Syspaths of every device of `subsystem` (`udev_enumerate_scan_devices`).
    ///
    /// Deliberately no `add_match_is_initialized`: without a udev database (containers, umockdev)
    /// it matches nothing, and uninitialised devices still carry their properties.
    func syspaths(subsystem: String) throws -> [String] {
        guard let enumerator = udev_enumerate_new(handle) else {
            throw UdevError.callFailed(call: "udev_enumerate_new", errno: errno)
        }
        defer { udev_enumerate_unref(enumerator) }
        var status = udev_enumerate_add_match_subsystem(enumerator, subsystem)
        guard status >= 0 else { throw UdevError.callFailed(call: "udev_enumerate_add_match_subsystem", errno: -status) }
        status = udev_enumerate_scan_devices(enumerator)
        guard status >= 0 else { throw UdevError.callFailed(call: "udev_enumerate_scan_devices", errno: -status) }
        var result: [String] = []
        var entry = cudev_list_first(udev_enumerate_get_list_entry(enumerator))
        while let current = entry {
            if let name = udev_list_entry_get_name(current) { result.append(String(cString: name)) }
            entry = cudev_list_next(current)
        }
        return result
    }

    /// The device at `syspath`, or nil when it vanished meanwhile.
    func device(syspath: String) -> UdevDevice? {
        guard let raw = udev_device_new_from_syspath(handle, syspath) else { return nil }
        return UdevDevice(owning: raw)
    }
}
