/// The USB device a tty hangs off, as read from sysfs/udev.
struct UsbDeviceSummary {
    var id: String
    var vendorID: String
    var productID: String
    var manufacturer: String?
    var product: String?
    var serial: String?
    var ports: [DiscoveredPort] = []
}

/// Reads ports and their USB ancestry from udev devices.
enum DeviceReader {
    /// The port and its USB device, or nil for a tty with no USB ancestor (`ttyS0`, `tty1`, ptys).
    static func port(from tty: UdevDevice) -> (UsbDeviceSummary, DiscoveredPort)? {
        guard let usb = tty.ancestor(subsystem: "usb", devtype: "usb_device") else { return nil }
        let interface = tty.ancestor(subsystem: "usb", devtype: "usb_interface")
        let sysname = tty.sysname
        let devnode = tty.devnode ?? tty.property("DEVNAME").map { $0.hasPrefix("/") ? $0 : "/dev/\($0)" }
            ?? "/dev/\(sysname)"
        let interfaceNumber = (interface?.attribute("bInterfaceNumber") ?? tty.property("ID_USB_INTERFACE_NUM"))
            .flatMap { Int($0, radix: 16) }
        var port = DiscoveredPort(
            devnode: devnode, syspath: tty.syspath, sysname: sysname, interfaceNumber: interfaceNumber,
            interfaceClass: interface?.attribute("bInterfaceClass")?.lowercased(),
            interfaceSubclass: interface?.attribute("bInterfaceSubClass")?.lowercased(),
            interfaceProtocol: interface?.attribute("bInterfaceProtocol")?.lowercased(),
            driver: interface?.driver ?? tty.property("ID_USB_DRIVER"),
            devlinks: (tty.property("DEVLINKS") ?? "").split(separator: " ").map(String.init))
        port.hints = hints(tty)
        let summary = UsbDeviceSummary(
            id: usb.syspath,
            vendorID: (usb.attribute("idVendor") ?? tty.property("ID_VENDOR_ID") ?? "0000").lowercased(),
            productID: (usb.attribute("idProduct") ?? tty.property("ID_MODEL_ID") ?? "0000").lowercased(),
            manufacturer: usb.attribute("manufacturer") ?? tty.property("ID_VENDOR_FROM_DATABASE"),
            product: usb.attribute("product") ?? tty.property("ID_MODEL_FROM_DATABASE"),
            serial: usb.attribute("serial") ?? tty.property("ID_SERIAL_SHORT"))
        return (summary, port)
    }

    static func hints(_ tty: UdevDevice) -> PortHints {
        func flag(_ key: String) -> Bool {
            guard let value = tty.property(key) else { return false }
            return value == "1" || value.lowercased() == "true" || value.lowercased() == "yes"
        }
        var hints = PortHints()
        hints.smsagentPort = tty.property("SMSAGENT_PORT")?.lowercased()
        hints.smsagentModem = flag("SMSAGENT_MODEM")
        hints.mmATPrimary = flag("ID_MM_PORT_TYPE_AT_PRIMARY")
        hints.mmATSecondary = flag("ID_MM_PORT_TYPE_AT_SECONDARY")
        hints.mmATPPP = flag("ID_MM_PORT_TYPE_AT_PPP")
        hints.mmOtherType = ["QCDM", "GPS", "AUDIO"].first { flag("ID_MM_PORT_TYPE_\($0)") }
        hints.mmPortIgnore = flag("ID_MM_PORT_IGNORE")
        hints.mmDeviceIgnore = flag("ID_MM_DEVICE_IGNORE")
        return hints
    }
}
