/// One physical USB modem and its ttys.
public struct DiscoveredModem: Codable, Sendable, Equatable, Identifiable {
    /// The syspath of the USB device (`/sys/devices/…/1-1`): unique while plugged, changes with the
    /// USB port it sits in. `stableKey` is the identity that survives re-enumeration.
    public var id: String
    /// Four lower-case hex digits (`12d1`).
    public var vendorID: String
    public var productID: String
    public var manufacturer: String?
    public var product: String?
    /// The USB serial number (`iSerial`), when the device has one.
    public var serial: String?
    /// Name of the known vendor layout that ordered the ports, if any (`Quectel EC25`).
    public var layout: String?
    /// Ports, in interface order.
    public var ports: [DiscoveredPort]
    /// The devnode of the chosen AT port (`/dev/ttyUSB2`), or nil when none could be chosen.
    public var atPort: String?
    /// Why `atPort` was chosen, or why none was.
    public var reason: String
    /// True once the ports were talked to (`ModemDiscovery.probe`).
    public var probed: Bool
    /// Identity read from the modem during a probe.
    public var fingerprint: ModemFingerprint?

    public init(id: String, vendorID: String, productID: String, manufacturer: String? = nil,
                product: String? = nil, serial: String? = nil, layout: String? = nil,
                ports: [DiscoveredPort], atPort: String? = nil, reason: String = "",
                probed: Bool = false, fingerprint: ModemFingerprint? = nil) {
        self.id = id
        self.vendorID = vendorID
        self.productID = productID
        self.manufacturer = manufacturer
        self.product = product
        self.serial = serial
        self.layout = layout
        self.ports = ports
        self.atPort = atPort
        self.reason = reason
        self.probed = probed
        self.fingerprint = fingerprint
    }

    /// The key that names this modem across unplug/replug and `ttyUSBn` renumbering:
    /// `imei:<IMEI>` when probed, else `iccid:`/`imsi:` of the SIM, else `usb:<vid>:<pid>:<serial>`,
    /// else the USB syspath (stable only while the stick stays in the same USB socket).
    public var stableKey: String {
        if let imei = fingerprint?.imei, !imei.isEmpty { return "imei:\(imei)" }
        if let iccid = fingerprint?.iccid, !iccid.isEmpty { return "iccid:\(iccid)" }
        if let imsi = fingerprint?.imsi, !imsi.isEmpty { return "imsi:\(imsi)" }
        if let serial, !serial.isEmpty { return "usb:\(vendorID):\(productID):\(serial)" }
        return "path:\(id)"
    }

    /// The SIM's identity (`iccid` preferred, else `imsi`), when probed.
    public var simKey: String? {
        if let iccid = fingerprint?.iccid, !iccid.isEmpty { return "iccid:\(iccid)" }
        if let imsi = fingerprint?.imsi, !imsi.isEmpty { return "imsi:\(imsi)" }
        return nil
    }

    private enum CodingKeys: String, CodingKey {
        case id, vendorID, productID, manufacturer, product, serial, layout, ports, atPort, reason, probed,
             fingerprint, stableKey
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        vendorID = try c.decode(String.self, forKey: .vendorID)
        productID = try c.decode(String.self, forKey: .productID)
        manufacturer = try c.decodeIfPresent(String.self, forKey: .manufacturer)
        product = try c.decodeIfPresent(String.self, forKey: .product)
        serial = try c.decodeIfPresent(String.self, forKey: .serial)
        layout = try c.decodeIfPresent(String.self, forKey: .layout)
        ports = try c.decode([DiscoveredPort].self, forKey: .ports)
        atPort = try c.decodeIfPresent(String.self, forKey: .atPort)
        reason = try c.decode(String.self, forKey: .reason)
        probed = try c.decodeIfPresent(Bool.self, forKey: .probed) ?? false
        fingerprint = try c.decodeIfPresent(ModemFingerprint.self, forKey: .fingerprint)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(vendorID, forKey: .vendorID)
        try c.encode(productID, forKey: .productID)
        try c.encodeIfPresent(manufacturer, forKey: .manufacturer)
        try c.encodeIfPresent(product, forKey: .product)
        try c.encodeIfPresent(serial, forKey: .serial)
        try c.encodeIfPresent(layout, forKey: .layout)
        try c.encode(ports, forKey: .ports)
        try c.encodeIfPresent(atPort, forKey: .atPort)
        try c.encode(reason, forKey: .reason)
        try c.encode(probed, forKey: .probed)
        try c.encodeIfPresent(fingerprint, forKey: .fingerprint)
        try c.encode(stableKey, forKey: .stableKey)
    }
}
