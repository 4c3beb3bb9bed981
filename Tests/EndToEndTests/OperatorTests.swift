#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// Operators beside the service: a member of the data directory's group uses the CLI, files keep
/// the group; anyone else gets one clear line; `status` says by its exit status whether the agent
/// runs, and `--json` is always JSON. The other users are real (setpriv), so these need root.
@Suite(.serialized) struct OperatorTests {
    static let operatorsGroup: gid_t = 47_123
    static let nobody: uid_t = 65_534

    /// A data directory as the package makes it: setgid 2770, owned by root and the operators' group.
    static func sharedInstallation() throws -> AgentInstallation {
        let installation = try AgentInstallation(config: "sender: { brand: \"Chez Léa\" }\nmodems: { discovery: false }\n")
        #expect(mkdir(installation.dataDirectory, 0o700) == 0)
        #expect(chown(installation.dataDirectory, 0, operatorsGroup) == 0)
        #expect(chmod(installation.dataDirectory, 0o2770) == 0)
        return installation
    }

    /// Runs the CLI as user nobody, in `groups` only.
    static func runAs(groups: [gid_t], _ installation: AgentInstallation, _ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = try SMSAgentBinary.url().path
        let child = try ChildProcess(
            name: "smsagent \(arguments.first ?? "") as nobody", executable: URL(fileURLWithPath: "/usr/bin/setpriv"),
            arguments: ["--reuid=\(nobody)", "--regid=\(groups.first ?? 65_534)",
                        groups.isEmpty ? "--clear-groups" : "--groups=\(groups.map(String.init).joined(separator: ","))",
                        binary] + arguments + ["--config", installation.configPath])
        child.closeStdin()
        let status = try await child.waitForExit(timeout: .seconds(30))
        try? await Wait.until("output drained", timeout: .milliseconds(200)) { false }
        return (status, child.stdout, child.stderr)
    }

    @Test(.enabled(if: getuid() == 0, "needs root to act as other users"))
    func aMemberOfTheGroupSendsAndOptsOutAndTheFilesKeepTheGroup() async throws {
        let installation = try Self.sharedInstallation()
        let send = try await Self.runAs(groups: [Self.operatorsGroup], installation,
                                        ["send", "--to", "0612345678", "--text", "Votre colis arrive", "--class", "notification"])
        #expect(send.status == 0, "\(send.stderr)")
        let optOut = try await Self.runAs(groups: [Self.operatorsGroup], installation, ["optouts", "add", "0698765432"])
        #expect(optOut.status == 0, "\(optOut.stderr)")
        let queued = installation.outboxFiles("new")
        #expect(queued.count == 1)
        for path in ["outbox", "outbox/new", "outbox/new/\(queued.first ?? "?")", "optouts.csv"] {
            var info = stat()
            #expect(stat(installation.dataDirectory + "/" + path, &info) == 0, "\(path)")
            #expect(info.st_gid == Self.operatorsGroup, "\(path) keeps the operators' group")
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            #expect(info.st_mode & 0o7777 == (isDirectory ? 0o2770 : 0o660), "\(path): \(String(info.st_mode & 0o7777, radix: 8))")
        }
    }

    @Test(.enabled(if: getuid() == 0, "needs root to act as other users"))
    func someoneOutsideTheGroupGetsOneClearLine() async throws {
        let installation = try Self.sharedInstallation()
        for arguments in [["send", "--to", "0612345678", "--text", "x", "--class", "notification"], ["status"], ["optouts", "list"]] {
            let result = try await Self.runAs(groups: [], installation, arguments)
            #expect(result.status != 0)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("permission denied on \(installation.dataDirectory): add yourself to group"), "\(arguments): \(result.stderr)")
            #expect(!result.stdout.contains("has not run here yet"))
        }
    }

    @Test func statusExitsNonZeroWhenTheAgentIsNotRunningAndJSONIsAlwaysJSON() async throws {
        let installation = try AgentInstallation(config: "sender: { brand: \"Chez Léa\" }\n")
        let plain = try await installation.run(["status"])
        #expect(plain.status == 3)
        let json = try await installation.run(["status", "--json"])
        #expect(json.status == 3)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stdout)")
        #expect(object["running"] as? Bool == false)

        // A status.json left by an agent that stopped: still not running.
        let scenario = try await SendingScenario.start(modems: 1)
        let agent = try #require(scenario.installation.children.first)
        let running = try await scenario.installation.run(["status", "--json"])
        #expect(running.status == 0)
        let live = try #require(try JSONSerialization.jsonObject(with: Data(running.stdout.utf8)) as? [String: Any])
        #expect(live["running"] as? Bool == true)
        #expect(live["modems"] is [Any])
        agent.signal(SIGTERM)
        #expect(try await agent.waitForExit(timeout: .seconds(20)) == 0)
        let stopped = try await scenario.installation.run(["status"])
        #expect(stopped.status == 3)
        #expect(stopped.stdout.contains("not running"))
        scenario.stop()
    }
}
