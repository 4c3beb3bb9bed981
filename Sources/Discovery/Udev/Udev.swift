import CUdev
#if canImport(Glibc)
import Glibc
#endif

/// Errors from libudev, with the call that failed and the errno it left.
public enum UdevError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A libudev call returned NULL or a negative status.
    case callFailed(call: String, errno: Int32)

    public var description: String {
        switch self {
        case let .callFailed(call, code):
            return "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}

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

/// Owns one `struct udev_device *` reference (released on deinit). Parents returned by libudev are
/// borrowed from their child; `UdevDevice.parent` takes its own reference so lifetimes stay simple.
final class UdevDevice {
    let handle: OpaquePointer

    init(owning handle: OpaquePointer) { self.handle = handle }

    deinit { udev_device_unref(handle) }

    var syspath: String { string(udev_device_get_syspath(handle)) ?? "" }
    var sysname: String { string(udev_device_get_sysname(handle)) ?? "" }
    var subsystem: String? { string(udev_device_get_subsystem(handle)) }
    var devtype: String? { string(udev_device_get_devtype(handle)) }
    var devnode: String? { string(udev_device_get_devnode(handle)) }
    var driver: String? { string(udev_device_get_driver(handle)) }
    var action: String? { string(udev_device_get_action(handle)) }

    func property(_ key: String) -> String? {
        string(udev_device_get_property_value(handle, key))
    }

    /// A sysfs attribute with surrounding white space removed (sysfs values end in a newline).
    func attribute(_ name: String) -> String? {
        guard let raw = string(udev_device_get_sysattr_value(handle, name)) else { return nil }
        let trimmed = raw.trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The nearest ancestor with this subsystem and devtype, with its own reference.
    func ancestor(subsystem: String, devtype: String) -> UdevDevice? {
        guard let borrowed = udev_device_get_parent_with_subsystem_devtype(handle, subsystem, devtype) else {
            return nil
        }
        guard let owned = udev_device_ref(borrowed) else { return nil }
        return UdevDevice(owning: owned)
    }

    /// The direct parent, with its own reference.
    var parent: UdevDevice? {
        guard let borrowed = udev_device_get_parent(handle), let owned = udev_device_ref(borrowed) else { return nil }
        return UdevDevice(owning: owned)
    }

    private func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
