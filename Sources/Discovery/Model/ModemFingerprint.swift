/// What the modem and its SIM say about themselves (read on the AT port during a probe).
///
/// IMEI: `AT+CGSN` (TS 27.007 §5.4); IMSI: `AT+CIMI` (§5.6); ICCID: `AT+CCID`/`AT+ICCID` (vendor).
public struct ModemFingerprint: Codable, Sendable, Equatable {
    public var manufacturer: String?
    public var model: String?
    public var imei: String?
    public var imsi: String?
    public var iccid: String?

    public init(manufacturer: String? = nil, model: String? = nil, imei: String? = nil,
                imsi: String? = nil, iccid: String? = nil) {
        self.manufacturer = manufacturer
        self.model = model
        self.imei = imei
        self.imsi = imsi
        self.iccid = iccid
    }
}
