/// What a reload (SIGHUP, `systemctl reload smsagent`) does with a re-read configuration: the
/// parts that may change while the service runs are applied, the others keep their running value
/// and are named in a log line, so the operator knows a restart is needed for them.
///
/// A reload re-creates the agent's runtime in the same process (the workers finish the command
/// in flight, the data directory's lock is released and taken again, messages left in
/// `outbox/sending/` are settled as after any stop), so everything the runtime reads at start —
/// throttles, quiet hours, brand, footer wording, hooks, modems added, removed or disabled — can
/// change. What the process itself holds cannot: the data directory (the lock, and the files
/// other programs write into) and the log level (logging is set up once per process).
public struct ConfigurationReload: Sendable, Equatable {
    /// The configuration to run with from now on.
    public var effective: AgentConfiguration
    /// The settings that changed and take effect (configuration key paths).
    public var applied: [String]
    /// The settings that changed but keep their running value until a restart, with why.
    public var refused: [Refusal]

    public struct Refusal: Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var reason: String
        public var description: String { "\(key): \(reason)" }
    }

    /// Nothing to apply: the runtime keeps running untouched.
    public var isEmpty: Bool { applied.isEmpty }

    public static func plan(running: AgentConfiguration, reread: AgentConfiguration) -> ConfigurationReload {
        var effective = reread
        var refused: [Refusal] = []
        if reread.dataDirectory != running.dataDirectory {
            effective.dataDirectory = running.dataDirectory
            refused.append(Refusal(key: "data_directory", reason: "the running agent keeps \(running.dataDirectory) (its lock and drop box); restart the service to move it"))
        }
        if reread.logLevel != running.logLevel {
            effective.logLevel = running.logLevel
            refused.append(Refusal(key: "log_level", reason: "logging is set up once per process; restart the service for \(reread.logLevel)"))
        }
        var applied: [String] = []
        func compare<Value: Equatable>(_ key: String, _ path: KeyPath<AgentConfiguration, Value>) {
            if running[keyPath: path] != effective[keyPath: path] { applied.append(key) }
        }
        compare("status_interval", \.statusInterval)
        compare("modems.discovery", \.modems.discovery)
        compare("modems.hotplug", \.modems.hotplug)
        compare("modems.pin", \.modems.pin)
        compare("modems.smsc", \.modems.smsc)
        compare("modems.throttle", \.modems.throttle)
        compare("modems.keepalive_interval", \.modems.keepaliveInterval)
        compare("modems.sms_storage", \.modems.smsStorage)
        compare("modems.devices", \.modems.devices)
        compare("modems.simulated", \.modems.simulated)
        compare("sender", \.sender)
        compare("compliance", \.compliance)
        compare("credits", \.credits)
        compare("sending", \.sending)
        compare("inbound", \.inbound)
        compare("hooks", \.hooks)
        // A setting added to AgentConfiguration and not listed above still applies; say so.
        if applied.isEmpty, effective != running { applied.append("other settings") }
        return ConfigurationReload(effective: effective, applied: applied, refused: refused)
    }
}
