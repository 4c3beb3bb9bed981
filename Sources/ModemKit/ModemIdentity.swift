/// Who a modem and its SIM are. Each value is nil when the modem does not answer it (no SIM → no IMSI).
public struct ModemIdentity: Sendable, Hashable, Codable {
    public var manufacturer: String?
    public var model: String?
    public var revision: String?
    /// `AT+CGSN` (TS 27.007 §5.4): the stable key of the modem itself.
    public var imei: String?
    /// `AT+CIMI` (TS 27.007 §5.6): the SIM's subscriber identity.
    public var imsi: String?
    /// `AT+CCID` / `AT^ICCID?` / `AT+QCCID`: the SIM card's serial number.
    public var iccid: String?

    public init(manufacturer: String? = nil, model: String? = nil, revision: String? = nil,
                imei: String? = nil, imsi: String? = nil, iccid: String? = nil) {
        self.manufacturer = manufacturer
        self.model = model
        self.revision = revision
        self.imei = imei
        self.imsi = imsi
        self.iccid = iccid
    }
}
