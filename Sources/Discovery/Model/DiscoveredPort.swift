/// What a tty of a modem is for, as far as discovery can tell.
public enum PortRole: String, Codable, Sendable, CaseIterable {
    /// The port the agent drives: AT commands and PDU-mode SMS.
    case at
    /// May speak AT; not chosen (yet). Probing decides.
    case candidate
    /// Speaks AT but is not the one chosen (a secondary AT or PPP data port).
    case secondary
    /// Known not to be an AT port (diagnostics, GPS/NMEA, audio) or told to be ignored.
    case ignored
    /// Probed and did not answer like an AT port.
    case silent
}

/// Hints udev rules put on a port: ours (`udev/`) and ModemManager's.
public struct PortHints: Codable, Sendable, Equatable {
    /// `SMSAGENT_PORT` from our rules: `at` or `ignore`.
    public var smsagentPort: String?
    /// `ID_MM_PORT_TYPE_AT_PRIMARY=1`.
    public var mmATPrimary: Bool
    /// `ID_MM_PORT_TYPE_AT_SECONDARY=1`.
    public var mmATSecondary: Bool
    /// `ID_MM_PORT_TYPE_AT_PPP=1` (data port that also answers AT).
    public var mmATPPP: Bool
    /// A ModemManager non-AT type: `QCDM`, `GPS`, `AUDIO`.
    public var mmOtherType: String?
    /// `ID_MM_PORT_IGNORE=1`.
    public var mmPortIgnore: Bool
    /// `ID_MM_DEVICE_IGNORE=1` (ModemManager's list of devices that are not modems, or a user's).
    public var mmDeviceIgnore: Bool
    /// `SMSAGENT_MODEM=1`: our rules recognised the device as an SMS-capable modem.
    public var smsagentModem: Bool

    public init(smsagentPort: String? = nil, mmATPrimary: Bool = false, mmATSecondary: Bool = false,
                mmATPPP: Bool = false, mmOtherType: String? = nil, mmPortIgnore: Bool = false,
                mmDeviceIgnore: Bool = false, smsagentModem: Bool = false) {
        self.smsagentPort = smsagentPort
        self.mmATPrimary = mmATPrimary
        self.mmATSecondary = mmATSecondary
        self.mmATPPP = mmATPPP
        self.mmOtherType = mmOtherType
        self.mmPortIgnore = mmPortIgnore
        self.mmDeviceIgnore = mmDeviceIgnore
        self.smsagentModem = smsagentModem
    }

    /// True when no rule said anything about this port.
    public var isEmpty: Bool { self == PortHints() }
}

/// One tty of a USB modem, as udev describes it.
public struct DiscoveredPort: Codable, Sendable, Equatable {
    /// `/dev/ttyUSB2`, exactly as udev names it (never canonicalised).
    public var devnode: String
    public var syspath: String
    /// `ttyUSB2`.
    public var sysname: String
    /// `bInterfaceNumber` of the USB interface the tty belongs to.
    public var interfaceNumber: Int?
    /// `bInterfaceClass` / `bInterfaceSubClass` / `bInterfaceProtocol`, two hex digits each.
    public var interfaceClass: String?
    public var interfaceSubclass: String?
    public var interfaceProtocol: String?
    /// Kernel driver of the interface: `option`, `qcserial`, `cdc_acm`, `sierra`, `ftdi_sio` …
    public var driver: String?
    /// `DEVLINKS`: the stable symlinks udev made (`/dev/serial/by-id/…`, ours `/dev/smsagent/…`).
    public var devlinks: [String]
    public var hints: PortHints
    public var role: PortRole
    /// Why the role was given, for a person reading `smsagent discover`.
    public var reason: String

    public init(devnode: String, syspath: String, sysname: String, interfaceNumber: Int?,
                interfaceClass: String? = nil, interfaceSubclass: String? = nil, interfaceProtocol: String? = nil,
                driver: String? = nil, devlinks: [String] = [], hints: PortHints = PortHints(),
                role: PortRole = .candidate, reason: String = "") {
        self.devnode = devnode
        self.syspath = syspath
        self.sysname = sysname
        self.interfaceNumber = interfaceNumber
        self.interfaceClass = interfaceClass
        self.interfaceSubclass = interfaceSubclass
        self.interfaceProtocol = interfaceProtocol
        self.driver = driver
        self.devlinks = devlinks
        self.hints = hints
        self.role = role
        self.reason = reason
    }
}
