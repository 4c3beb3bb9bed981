import Foundation
import Testing

/// `smsagent check-config` catches what would break at run time, on stderr with file, line, key.
@Suite struct CheckConfigTests {
    @Test func aMissingBrandIsAnErrorOnStderrWithFileAndKey() async throws {
        let installation = try AgentInstallation(config: "sender:\n  stop_number: \"0612345678\"\n")
        let result = try await installation.run(["check-config", installation.configPath])
        #expect(result.status == 1)
        #expect(result.stderr.contains("Error: \(installation.configPath):2: sender.brand: required"), "\(result.stderr)")
        #expect(!result.stdout.contains("error"))
    }

    @Test func hookProgramsThatCannotRunAreErrors() async throws {
        let installation = try AgentInstallation(config: "")
        let notExecutable = installation.directory.file("hook.sh").path
        try "#!/bin/sh\n".write(toFile: notExecutable, atomically: true, encoding: .utf8)
        try installation.writeConfig("""
            sender: { brand: "B", stop_number: "0612345678" }
            hooks:
              on_receive: [/nonexistent/helpdesk, --queue, shop]
              on_sent: \(notExecutable)
              on_failed: [sh, -c, "exit 0"]
            """)
        let result = try await installation.run(["check-config", installation.configPath])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(installation.configPath):4: hooks.on_receive: /nonexistent/helpdesk does not exist"), "\(result.stderr)")
        #expect(result.stderr.contains("\(installation.configPath):5: hooks.on_sent: \(notExecutable) is not executable"), "\(result.stderr)")
        #expect(!result.stderr.contains("on_failed"), "sh is found in PATH: \(result.stderr)")

        chmod(notExecutable, 0o755)
        try installation.writeConfig("sender: { brand: \"B\", stop_number: \"0612345678\" }\nhooks: { on_sent: \(notExecutable) }\n")
        let fixed = try await installation.run(["check-config", installation.configPath])
        #expect(fixed.status == 0, "\(fixed.stderr)")
    }

    @Test func noStopNumberIsAWarningNamingTheModemsThatCannotTellTheirNumber() async throws {
        let installation = try AgentInstallation(config: """
            sender: { brand: "B" }
            modems:
              discovery: false
              simulated: [{ name: sim-a }]
            """)
        let result = try await installation.run(["check-config", installation.configPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: \(installation.configPath): sender.stop_number: not set"), "\(result.stderr)")
        #expect(result.stderr.contains("sim-a"))
        #expect(result.stderr.contains("until sender.stop_number is set"))
    }
}
