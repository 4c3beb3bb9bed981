import Discovery

/// What `smsagent-testbed <scenario>` prints as JSON and the discovery tests read back: one
/// definition for both sides of that pipe.
public struct TestbedReport: Codable, Sendable {
    public var scenario: String
    public var snapshot: DiscoverySnapshot?
    public var probed: [DiscoveredModem] = []
    public var events: [EventRecord] = []
    public var figures: [String: Double] = [:]
    public var error: String?

    public init(scenario: String, snapshot: DiscoverySnapshot? = nil, probed: [DiscoveredModem] = [],
                events: [EventRecord] = [], figures: [String: Double] = [:], error: String? = nil) {
        self.scenario = scenario
        self.snapshot = snapshot
        self.probed = probed
        self.events = events
        self.figures = figures
        self.error = error
    }
}

/// One hotplug event as the testbed saw it.
public struct EventRecord: Codable, Equatable, Sendable {
    public var kind: String
    public var id: String
    public var devnodes: [String]
    public var atPort: String?
    public var layout: String?
    public var stableKey: String?
    public var latencyMilliseconds: Double?
    /// Anything else the scenario observed (an outbox summary, an exit status).
    public var detail: String?

    public init(kind: String, id: String, devnodes: [String], atPort: String? = nil, layout: String? = nil,
                stableKey: String? = nil, latencyMilliseconds: Double? = nil, detail: String? = nil) {
        self.kind = kind
        self.id = id
        self.devnodes = devnodes
        self.atPort = atPort
        self.layout = layout
        self.stableKey = stableKey
        self.latencyMilliseconds = latencyMilliseconds
        self.detail = detail
    }
}
