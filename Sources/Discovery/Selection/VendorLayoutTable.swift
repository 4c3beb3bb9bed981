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
