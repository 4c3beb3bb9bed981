/// Signal quality from `+CSQ: <rssi>,<ber>` (TS 27.007 §8.5).
public struct SignalQuality: Sendable, Hashable, Codable {
    /// `<rssi>` 0…31 (or 100…191 on TD-SCDMA), nil for 99/199 (not known or not detectable).
    public var rssi: Int?
    /// `<ber>` 0…7, or nil for 99.
    public var bitErrorRate: Int?

    public init(rssi: Int?, bitErrorRate: Int?) {
        self.rssi = rssi
        self.bitErrorRate = bitErrorRate
    }

    /// The received signal strength in dBm: 0 → -113 or less, 1 → -111, 2…30 → -109…-53, 31 → -51 or
    /// more; 100…191 → -116…-25 (TS 27.007 §8.5). nil when unknown.
    public var dBm: Int? {
        guard let rssi else { return nil }
        if (100...191).contains(rssi) { return rssi - 216 }
        return -113 + 2 * rssi
    }

    /// Parses `+CSQ: <rssi>,<ber>`; nil for anything out of range.
    public static func parse(_ line: String) -> SignalQuality? {
        guard let fields = ATFields.fields(of: line, prefix: "+CSQ"), fields.count >= 2,
              let rssi = fields[0].int, let ber = fields[1].int else { return nil }
        let known: Int?
        switch rssi {
        case 0...31, 100...191: known = rssi
        case 99, 199: known = nil
        default: return nil
        }
        return SignalQuality(rssi: known, bitErrorRate: (0...7).contains(ber) ? ber : nil)
    }
}
