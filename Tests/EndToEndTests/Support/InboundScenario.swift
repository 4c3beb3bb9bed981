import Foundation
import Records

/// One `smsagent simulate` modem and `smsagent run` configured for speed (throttle off, latency 0,
/// 1 s poll), with the receiving side's options.
final class InboundScenario: @unchecked Sendable {
    let installation: AgentInstallation
    let simulator: SimulatorProcess

    static func start(hashOptOuts: Bool = false, simulatorArguments: [String] = [], startAgent: Bool = true,
                      extraConfig: String = "") async throws -> InboundScenario {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess(name: "a", in: directory, ownNumber: "+33600000001", extraArguments: simulatorArguments)
        let config = """
            log_level: info
            status_interval: 1s
            sender: { brand: "Boulangerie Test" }
            modems:
              discovery: false
              throttle: { min_interval: 0s, daily_cap: 0 }
              devices:
                - { name: a, path: \(simulator.linkPath) }
            compliance: { quiet_hours: none }
            credits: { opening_balance: 1000 }
            inbound: { poll_interval: 1s, hash_opt_outs: \(hashOptOuts) }
            sending:
              retry: { initial_backoff: 100ms, max_backoff: 400ms, unhealthy_retry_interval: 2s }
            \(extraConfig)
            """
        let installation = try AgentInstallation(config: config, directory: directory)
        let scenario = InboundScenario(installation: installation, simulator: simulator)
        if startAgent { try await installation.startAgent() }
        return scenario
    }

    private init(installation: AgentInstallation, simulator: SimulatorProcess) {
        self.installation = installation
        self.simulator = simulator
    }

    var dataDirectory: String { installation.dataDirectory }

    func enqueue(_ messages: [OutboxMessage]) throws {
        let outbox = try FileOutbox(root: dataDirectory + "/outbox")
        for message in messages { try outbox.enqueue(message) }
    }

    /// Waits until `condition` holds, with the processes' output in the failure.
    func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: @escaping @Sendable () throws -> Bool) async throws {
        let installation = self.installation, simulator = self.simulator
        try await Wait.until(what, timeout: timeout, diagnostics: { installation.transcripts + "\n" + simulator.child.transcript }, condition)
    }

    /// Waits until the simulated SIM holds `count` messages.
    func waitForSIMStorage(_ count: Int, timeout: Duration = .seconds(30)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var used = try await simulator.simStorageUsed()
        while used != count {
            if clock.now >= deadline {
                throw HarnessError("timed out after \(timeout) waiting until the SIM holds \(count) messages (it holds \(used))\n\(installation.transcripts)")
            }
            try await Task.sleep(for: .milliseconds(100))
            used = try await simulator.simStorageUsed()
        }
    }

    /// Messages the simulator accepted for `number`.
    func submissions(to number: String) -> [SimulatorSubmission] {
        simulator.completeSubmissions().filter { $0.number == number }
    }

    var optOutRows: [[String: String]] { installation.csvRows("optouts.csv") }
    var inboxRows: [[String: String]] { installation.csvRows("inbox.csv") }

    func stop() {
        installation.stopAll()
        simulator.stop()
    }

    /// The French confirmation for the scenario's brand (COMPLIANCE.md defaults).
    static let confirmationPrefix = "Boulangerie Test : désinscription prise en compte"
}

extension SimulatorProcess {
    /// Messages stored in the simulated SIM ("SM"), from the simulator's `status` command.
    func simStorageUsed(timeout: Duration = .seconds(10)) async throws -> Int {
        let before = child.stdout.count
        try command("status")
        let child = self.child
        let found = LockedBox<Int?>(nil)
        try await Wait.until("the simulator answers status", timeout: timeout, diagnostics: { child.transcript }) {
            for line in child.stdout.dropFirst(before).split(separator: "\n") where line.hasPrefix("{") {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                      let storage = object["storage"] as? [String: Any], let sm = storage["SM"] as? [String: Any],
                      let count = sm["used"] as? Int else { continue }
                found.value = count
                return true
            }
            return false
        }
        return found.value ?? -1
    }
}

final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
