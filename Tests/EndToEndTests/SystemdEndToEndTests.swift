#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Records
import Testing
import TestSupport

/// `smsagent run` as systemd runs it (Type=notify, WatchdogSec=, ExecReload=kill -HUP): what it
/// says on NOTIFY_SOCKET, and a reload in the middle of a batch.
@Suite(.serialized) struct SystemdEndToEndTests {
    @Test func readyComesOnceTheDataDirectoryIsLockedThenStatusAndWatchdogPingsThenStopping() async throws {
        let socketDirectory = try TemporaryDirectory(prefix: "notify")
        let socket = try NotifySocket(directory: socketDirectory.path)
        let scenario = try await SendingScenario.start(modems: 1, environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "3000000"],
                                                       startAgent: false)
        defer { scenario.stop() }
        let agent = try await scenario.installation.startAgent()
        let untilReady = try socket.receive(until: { $0.contains("READY=1") }, timeout: .seconds(20))
        #expect(!untilReady.dropLast().contains { $0.contains("WATCHDOG=1") }, "no keep-alive before the agent is ready")
        // The lock is held by the agent that said READY.
        let lock = open(scenario.dataDirectory + "/smsagent.lock", O_RDONLY | O_CLOEXEC)
        #expect(lock >= 0)
        defer { close(lock) }
        #expect(flock(lock, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK)

        // Keep-alives at least every second (status loop clamped to a third of 3 s), with the modem count.
        let pings = try socket.receive(until: { $0.contains("WATCHDOG=1") && $0.contains("STATUS=1/1 modem ready") }, timeout: .seconds(10))
        #expect(pings.last?.contains("queue: 0 new, 0 sending") == true)
        _ = try socket.receive(until: { $0.contains("WATCHDOG=1") }, timeout: .seconds(3))

        agent.signal(SIGTERM)
        _ = try socket.receive(until: { $0.contains("STOPPING=1") }, timeout: .seconds(10))
        #expect(try await agent.waitForExit(timeout: .seconds(20)) == 0)
    }

    @Test func sighupAppliesANewThrottleMidBatchWithoutLosingOrRepeatingAMessage() async throws {
        let socketDirectory = try TemporaryDirectory(prefix: "notify")
        let socket = try NotifySocket(directory: socketDirectory.path)
        let scenario = try await SendingScenario.start(modems: 1, environment: ["NOTIFY_SOCKET": socket.path],
                                                       simulatorArguments: ["--cmgs-latency-ms", "300"], startAgent: false)
        defer { scenario.stop() }
        let agent = try await scenario.installation.startAgent()
        _ = try socket.receive(until: { $0.contains("READY=1") }, timeout: .seconds(20))

        let count = 12
        try scenario.enqueue((0..<count).map {
            OutboxMessage(to: SendingScenario.number($0), text: "Votre commande \($0) est prête", messageClass: .notification)
        })
        let installation = scenario.installation
        try await Wait.until("the batch is under way", timeout: .seconds(20), diagnostics: { installation.transcripts }) {
            !installation.outboxFiles("sent").isEmpty
        }
        // New throttle, and a data directory the running agent must refuse to move to.
        let config = try String(contentsOfFile: installation.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "daily_cap: 0", with: "daily_cap: 500")
            .replacingOccurrences(of: "data_directory: \(installation.dataDirectory)", with: "data_directory: \(installation.dataDirectory)-moved")
            .write(toFile: installation.configPath, atomically: true, encoding: .utf8)
        agent.signal(SIGHUP)
        let reload = try socket.receive(until: { $0.contains("READY=1") }, timeout: .seconds(30))
        // RELOADING=1 before the new READY=1 (a STATUS= line of the status loop may come first).
        #expect(reload.contains { $0.contains("RELOADING=1") }, "\(reload)")
        try await agent.waitForOutput(containing: "changed=modems.throttle", timeout: .seconds(5))
        #expect(agent.stderr.contains("key=data_directory") || agent.stdout.contains("key=data_directory"))

        try await scenario.waitUntilSettled(count)
        #expect(installation.outboxFiles("sent").count == count)
        #expect(installation.outboxFiles("failed").isEmpty)
        let submissions = scenario.submissions()
        #expect(submissions.count == count)
        #expect(Set(submissions.map(\.number)).count == count, "nobody got a message twice")
        #expect(scenario.ledgerSegments() == count)
        try await Wait.until("status.json shows the new daily cap", timeout: .seconds(10), diagnostics: { installation.transcripts }) {
            let modems = installation.statusJSON?["modems"] as? [[String: Any]]
            return (modems?.first?["throttle"] as? [String: Any])?["daily_cap"] as? Int == 500
        }
        #expect(!FileManager.default.fileExists(atPath: installation.dataDirectory + "-moved"))

        // A file that does not load changes nothing: the agent keeps sending.
        try "modems: [".write(toFile: installation.configPath, atomically: true, encoding: .utf8)
        agent.signal(SIGHUP)
        try await agent.waitForOutput(containing: "reload: configuration not applied", timeout: .seconds(10))
        try scenario.enqueue([OutboxMessage(to: SendingScenario.number(99), text: "Encore une", messageClass: .notification)])
        try await scenario.waitUntilSettled(count + 1)
        #expect(installation.outboxFiles("sent").count == count + 1)
        #expect(agent.isRunning)
    }
}
