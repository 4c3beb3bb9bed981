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
