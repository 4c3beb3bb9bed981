/// The interface layout of a modem family: which `bInterfaceNumber` does what.
///
/// This is data that orders the probing (and names ports in `smsagent discover`); a probe still
/// decides. Sources: the vendors' Linux USB driver guides and ModemManager's
/// `77-mm-*-port-types.rules`, read for understanding.
public struct VendorLayout: Sendable, Equatable {
    public var name: String
    public var vendorID: String
    /// nil: any product of the vendor (a vendor-wide default, consulted after specific entries).
    public var productIDs: [String]?
    public var interfaces: [Int: InterfaceKind]

    public init(name: String, vendorID: String, productIDs: [String]?, interfaces: [Int: InterfaceKind]) {
        self.name = name
        self.vendorID = vendorID
        self.productIDs = productIDs
        self.interfaces = interfaces
    }

    /// Interface numbers in the order they should be probed: primary AT, secondary AT, then
    /// interfaces the layout does not describe, then the data port.
    func probeRank(_ interface: Int?) -> Int {
        guard let interface, let kind = interfaces[interface] else { return 2 }
        switch kind {
        case .at: return 0
        case .atSecondary: return 1
        case .modem: return 3
        case .diagnostics, .nmea, .audio: return 4
        }
    }
}
