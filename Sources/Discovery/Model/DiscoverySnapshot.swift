/// Everything one enumeration found.
public struct DiscoverySnapshot: Codable, Sendable, Equatable {
    public var modems: [DiscoveredModem]
    public var ignored: [IgnoredDevice]

    public init(modems: [DiscoveredModem], ignored: [IgnoredDevice]) {
        self.modems = modems
        self.ignored = ignored
    }
}
