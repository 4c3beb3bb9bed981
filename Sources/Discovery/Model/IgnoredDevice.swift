/// A USB tty that discovery saw and deliberately left alone (a USB-serial cable, a device
/// ModemManager's lists call "not a modem").
public struct IgnoredDevice: Codable, Sendable, Equatable {
    public var id: String
    public var vendorID: String
    public var productID: String
    public var product: String?
    public var devnodes: [String]
    public var driver: String?
    public var reason: String

    public init(id: String, vendorID: String, productID: String, product: String?, devnodes: [String],
                driver: String?, reason: String) {
        self.id = id
        self.vendorID = vendorID
        self.productID = productID
        self.product = product
        self.devnodes = devnodes
        self.driver = driver
        self.reason = reason
    }
}
