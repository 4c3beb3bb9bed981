/// What a USB interface of a known modem is for.
public enum InterfaceKind: String, Codable, Sendable {
    /// The primary AT port (Huawei "PCUI", Quectel/SIMCom "AT port").
    case at
    /// A second AT port (works, but the primary is preferred).
    case atSecondary
    /// The PPP/data ("modem") port: answers AT, but is meant for data; probed last.
    case modem
    /// Qualcomm diagnostics (QCDM/DM): never sent AT.
    case diagnostics
    /// GPS NMEA stream: never sent AT.
    case nmea
    /// PCM audio: never sent AT.
    case audio

    /// Kinds that are never probed.
    var isNeverAT: Bool { self == .diagnostics || self == .nmea || self == .audio }
}

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

/// A USB-serial converter chip (a cable, not a modem). Its ports are never claimed.
public struct SerialAdapter: Sendable, Equatable {
    public var name: String
    public var vendorID: String
    /// nil: every product of this vendor ID is such an adapter.
    public var productIDs: [String]?

    public init(name: String, vendorID: String, productIDs: [String]?) {
        self.name = name
        self.vendorID = vendorID
        self.productIDs = productIDs
    }
}

/// The tables discovery consults. `builtIn` is what ships; tests may pass their own.
public struct VendorLayoutTable: Sendable {
    public var layouts: [VendorLayout]
    public var adapters: [SerialAdapter]
    /// Kernel drivers that only ever bind USB-serial converter chips.
    public var adapterDrivers: Set<String>

    public init(layouts: [VendorLayout], adapters: [SerialAdapter], adapterDrivers: Set<String>) {
        self.layouts = layouts
        self.adapters = adapters
        self.adapterDrivers = adapterDrivers
    }

    /// The most specific layout for this device: an entry naming the product, else the vendor default.
    public func layout(vendorID: String, productID: String) -> VendorLayout? {
        let vendor = vendorID.lowercased(), product = productID.lowercased()
        return layouts.first { $0.vendorID == vendor && ($0.productIDs?.contains(product) ?? false) }
            ?? layouts.first { $0.vendorID == vendor && $0.productIDs == nil }
    }

    /// The adapter this device is, by IDs or by driver.
    public func adapter(vendorID: String, productID: String, drivers: [String]) -> String? {
        let vendor = vendorID.lowercased(), product = productID.lowercased()
        if let match = adapters.first(where: { $0.vendorID == vendor && ($0.productIDs?.contains(product) ?? true) }) {
            return match.name
        }
        if let driver = drivers.first(where: { adapterDrivers.contains($0) }) {
            return "USB-serial converter (driver \(driver))"
        }
        return nil
    }
}

extension VendorLayoutTable {
    public static let builtIn = VendorLayoutTable(
        layouts: [
            // Huawei sticks in serial mode (E1550/E173/E3131/E3372 "stick" firmware): if0 is the
            // PPP modem port, if1 diagnostics on some models, if2 the PCUI (AT/control) port.
            VendorLayout(name: "Huawei E1550/E173/E3372", vendorID: "12d1",
                         productIDs: ["1001", "1003", "1436", "1506", "14ac", "1c05", "1465"],
                         interfaces: [0: .modem, 1: .diagnostics, 2: .at]),
            VendorLayout(name: "Huawei (vendor default)", vendorID: "12d1", productIDs: nil,
                         interfaces: [0: .modem, 2: .at]),
            // ZTE MF-series (option driver): if1 diagnostics, if2 AT, if3 modem.
            VendorLayout(name: "ZTE MF190/MF626/MF667", vendorID: "19d2",
                         productIDs: ["0031", "0117", "0016", "0017", "2003"],
                         interfaces: [0: .diagnostics, 1: .atSecondary, 2: .at, 3: .modem]),
            VendorLayout(name: "ZTE (vendor default)", vendorID: "19d2", productIDs: nil, interfaces: [:]),
            // SIMCom SIM7500/SIM7600 composition 9001: if0 diag, if1 NMEA, if2 AT, if3 AT/PPP
            // modem, if4 audio, if5 network.
            VendorLayout(name: "SIMCom SIM7600", vendorID: "1e0e", productIDs: ["9001", "9011"],
                         interfaces: [0: .diagnostics, 1: .nmea, 2: .at, 3: .modem, 4: .audio]),
            VendorLayout(name: "SIMCom (vendor default)", vendorID: "1e0e", productIDs: nil, interfaces: [:]),
            // Quectel Qualcomm modules (EC25, EC21, EG25-G, EG95, BG96, EP06, UC20): if0 diag,
            // if1 NMEA, if2 AT, if3 AT/PPP modem, if4 QMI network.
            VendorLayout(name: "Quectel EC25/EC21/EG95/BG96", vendorID: "2c7c",
                         productIDs: ["0125", "0121", "0195", "0296", "0306", "0191"],
                         interfaces: [0: .diagnostics, 1: .nmea, 2: .at, 3: .modem]),
            VendorLayout(name: "Quectel UC20", vendorID: "05c6", productIDs: ["9003"],
                         interfaces: [0: .diagnostics, 1: .nmea, 2: .at, 3: .modem]),
            VendorLayout(name: "Quectel (vendor default)", vendorID: "2c7c", productIDs: nil, interfaces: [:]),
            // Sierra Wireless MC/EM modules on qcserial: if0 DM, if2 NMEA, if3 AT.
            VendorLayout(name: "Sierra Wireless MC73xx/MC74xx/EM75xx", vendorID: "1199",
                         productIDs: ["68c0", "9071", "9079", "9091", "9041"],
                         interfaces: [0: .diagnostics, 2: .nmea, 3: .at]),
            VendorLayout(name: "Sierra Wireless (vendor default)", vendorID: "1199", productIDs: nil, interfaces: [:]),
            // Telit LE910Cx: if0 diag, if4 AT primary, if5 AT secondary.
            VendorLayout(name: "Telit LE910Cx", vendorID: "1bc7", productIDs: ["1201", "1203", "1204"],
                         interfaces: [0: .diagnostics, 4: .at, 5: .atSecondary]),
            VendorLayout(name: "Telit (vendor default)", vendorID: "1bc7", productIDs: nil, interfaces: [:]),
            // u-blox cellular modules enumerate cdc_acm ports; the first one is the AT port.
            VendorLayout(name: "u-blox (cdc_acm)", vendorID: "1546", productIDs: nil, interfaces: [0: .at]),
            VendorLayout(name: "Fibocom (vendor default)", vendorID: "2cb7", productIDs: nil, interfaces: [:]),
            VendorLayout(name: "Fibocom L610", vendorID: "1782", productIDs: ["4d10", "4d11"], interfaces: [:]),
        ],
        adapters: [
            SerialAdapter(name: "FTDI USB-serial converter", vendorID: "0403", productIDs: nil),
            SerialAdapter(name: "Silicon Labs CP210x USB-serial converter", vendorID: "10c4",
                          productIDs: ["ea60", "ea61", "ea63", "ea70", "ea71", "ea80"]),
            SerialAdapter(name: "Prolific PL2303 USB-serial converter", vendorID: "067b",
                          productIDs: ["2303", "23a3", "23b3", "23c3", "23d3", "23e3", "23f3"]),
            SerialAdapter(name: "WCH CH340/CH341/CH9102 USB-serial converter", vendorID: "1a86",
                          productIDs: ["7523", "5523", "7522", "55d4", "55d3"]),
        ],
        adapterDrivers: ["ftdi_sio", "cp210x", "pl2303", "ch341", "ch343", "ark3116", "mos7840", "ti_usb_3410_5052"]
    )
}
