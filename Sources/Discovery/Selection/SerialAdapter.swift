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
