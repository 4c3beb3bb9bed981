import Foundation
import Testing

/// The front-end commands around the agent, as a user runs them.
@Suite(.timeLimit(.minutes(1)))
struct CommandsEndToEndTests {
    @Test func theDemoFinishesOnItsOwnAndShowsTheWholeLoop() async throws {
        let child = try ChildProcess(name: "smsagent demo", executable: try SMSAgentBinary.url(), arguments: ["demo"])
        defer { child.stop() }
        child.closeStdin()
        #expect(try await child.waitForExit(timeout: .seconds(30)) == 0, "\(child.transcript)")
        try await child.waitForOutput(containing: "Done.", timeout: .seconds(5))
        #expect(child.stdout.contains("STOP au 0600000001") || child.stdout.contains("STOP au 0600000002"))
        #expect(child.stdout.contains("+33612345602: suppressed"))
        #expect(child.stdout.contains("optouts.csv (1 row)"))
    }

    @Test func checkConfigNamesTheLineOfABadValue() async throws {
        let installation = try AgentInstallation(config: "modems:\n  throttle:\n    daily_cap: lots\n")
        let result = try await installation.run(["check-config", installation.configPath])
        #expect(result.status != 0)
        #expect(result.stderr.contains("smsagent.yaml:4:"), "\(result.stderr)")   // line 1 is data_directory
        #expect(result.stderr.contains("modems.throttle.daily_cap"))
    }

    @Test func checkConfigPrintsTheEffectiveConfiguration() async throws {
        let installation = try AgentInstallation(config: "sender: { brand: \"Chez Léa\" }\n")
        let result = try await installation.run(["check-config"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("throttle: { min_interval: 3s, daily_cap: 200 }"))
        #expect(result.stdout.contains("ambiguous_window: assume-sent"))
        #expect(result.stdout.contains("# ok"))
    }

    @Test func sendQueuesAndStatusReportsTheRunningAgent() async throws {
        let scenario = try await SendingScenario.start(modems: 1)
        defer { scenario.stop() }
        let send = try await scenario.installation.run(["send", "--to", "0612345678", "--text", "Votre colis arrive", "--class", "notification"])
        #expect(send.status == 0, "\(send.stderr)")
        #expect(send.stdout.hasPrefix("queued "))
        try await scenario.waitUntilSettled(1)
        let installation = scenario.installation
        try await Wait.until("status.json shows the sent message", timeout: .seconds(10)) {
            (installation.statusJSON?["queue"] as? [String: Any])?["sent"] as? Int == 1
        }
        let status = try await scenario.installation.run(["status"])
        #expect(status.status == 0)
        #expect(status.stdout.contains("agent: running"))
        #expect(status.stdout.contains("1 sent"))
        #expect(status.stdout.contains("ready"))
        let bad = try await scenario.installation.run(["send", "--to", "12", "--text", "x"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--to 12"))
    }
}
