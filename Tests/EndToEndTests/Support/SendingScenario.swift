import Foundation
import Records

/// A test installation with `count` simulators on ptys and `smsagent run` configured for speed
/// (throttle off, latency 0, short backoffs and polls).
final class SendingScenario: @unchecked Sendable {
    let installation: AgentInstallation
    let simulators: [SimulatorProcess]

    static func start(modems: Int = 2, extraConfig: String = "", quietHours: String = "none",
                      environment: [String: String] = [:], simulatorArguments: [String] = [],
                      startAgent: Bool = true) async throws -> SendingScenario {
        let directory = try TemporaryDirectory()
        var simulators: [SimulatorProcess] = []
        for index in 0..<modems {
            let name = ["a", "b", "c"][index]
            simulators.append(try await SimulatorProcess(name: name, in: directory, ownNumber: "+3360000000\(index + 1)", extraArguments: simulatorArguments))
        }
        let devices = simulators.enumerated().map { index, sim in
            "    - { name: \(["a", "b", "c"][index]), path: \(sim.linkPath) }"
        }.joined(separator: "\n")
        let config = """
            log_level: info
            status_interval: 1s
            sender: { brand: "Boulangerie Test" }
            modems:
              discovery: false
              throttle: { min_interval: 0s, daily_cap: 0 }
              devices:
            \(devices)
            compliance: { quiet_hours: \(quietHours) }
            credits: { opening_balance: 100000 }
            inbound: { poll_interval: 1s }
            sending:
              retry: { initial_backoff: 100ms, max_backoff: 400ms, unhealthy_retry_interval: 2s }
            \(extraConfig)
            """
        let installation = try AgentInstallation(config: config, environment: environment, directory: directory)
        let scenario = SendingScenario(installation: installation, simulators: simulators)
        if startAgent { try await installation.startAgent() }
        return scenario
    }

    private init(installation: AgentInstallation, simulators: [SimulatorProcess]) {
        self.installation = installation
        self.simulators = simulators
    }

    var dataDirectory: String { installation.dataDirectory }

    /// Queues messages directly through Records (as any other program may).
    func enqueue(_ messages: [OutboxMessage]) throws {
        let outbox = try FileOutbox(root: dataDirectory + "/outbox")
        for message in messages { try outbox.enqueue(message) }
    }

    /// Waits until nothing is left in `new/` or `sending/` and `expected` messages are settled.
    func waitUntilSettled(_ expected: Int, timeout: Duration = .seconds(60)) async throws {
        let installation = self.installation
        try await Wait.until("\(expected) messages settle in sent/ or failed/", timeout: timeout, every: .milliseconds(50),
                             diagnostics: { installation.transcripts }) {
            installation.outboxFiles("sent").count + installation.outboxFiles("failed").count >= expected
                && installation.outboxFiles("new").isEmpty && installation.outboxFiles("sending").isEmpty
        }
    }

    func submissions() -> [SimulatorSubmission] { simulators.flatMap { $0.completeSubmissions() } }

    /// Segments charged in credits.csv (top-ups count 0 segments).
    func ledgerSegments() -> Int {
        installation.csvRows("credits.csv").reduce(0) { $0 + (Int($1["segments"] ?? "") ?? 0) }
    }

    func stop() {
        installation.stopAll()
        for simulator in simulators { simulator.stop() }
    }

    static func number(_ index: Int) -> String {
        let digits = String(index)
        return "+3361" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }
}
