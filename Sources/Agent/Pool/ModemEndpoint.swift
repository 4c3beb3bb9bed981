import Foundation
import ModemKit
import Simulator

/// How to reach one modem: a serial port, a pty, or an in-process simulator, plus the settings
/// that belong to its SIM.
public struct ModemEndpoint: Sendable {
    /// Stable id used in logs, `status.json`, the outbox attempts and `credits.csv`.
    public var id: String
    /// The device path (or `sim:<name>` for an in-process simulator).
    public var port: String
    public var pin: String?
    public var smsc: String?
    public var throttle: ThrottleSettings
    /// Where it came from: `config`, `discovery`, `simulated`.
    public var origin: String
    /// Opens a fresh transport (called again after the modem was lost or reset).
    public var open: @Sendable () async throws -> any ByteTransport

    public init(id: String, port: String, pin: String? = nil, smsc: String? = nil, throttle: ThrottleSettings,
                origin: String, open: @escaping @Sendable () async throws -> any ByteTransport) {
        self.id = id
        self.port = port
        self.pin = pin
        self.smsc = smsc
        self.throttle = throttle
        self.origin = origin
        self.open = open
    }

    /// A serial AT port.
    public static func serial(id: String, path: String, baud: Int = 115200, flowControl: Bool = false, pin: String?,
                              smsc: String?, throttle: ThrottleSettings, origin: String) -> ModemEndpoint {
        ModemEndpoint(id: id, port: path, pin: pin, smsc: smsc, throttle: throttle, origin: origin) {
            try SerialTransport.open(path: path, baud: baud, flowControl: flowControl)
        }
    }

    /// An in-process simulated modem (in-memory transport).
    public static func simulated(_ modem: SimulatedModem, id: String, pin: String? = nil, smsc: String? = nil,
                                 throttle: ThrottleSettings) -> ModemEndpoint {
        ModemEndpoint(id: id, port: "sim:\(id)", pin: pin, smsc: smsc, throttle: throttle, origin: "simulated") {
            await modem.connectInMemory()
        }
    }
}
