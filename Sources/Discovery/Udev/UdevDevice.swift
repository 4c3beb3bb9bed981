import CUdev

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
