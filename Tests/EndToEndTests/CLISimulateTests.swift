import Foundation
import Testing

/// `smsagent simulate` as a process: the port path it prints, `unplug`/`plug`, end of stdin.
@Suite(.timeLimit(.minutes(1)))
struct CLISimulateTests {
    /// Without --link the first stdout line is the pty itself, and a modem answers there.
    @Test func printsThePseudoTerminalPath() async throws {
        let child = try ChildProcess(name: "simulate", executable: try SMSAgentBinary.url(), arguments: ["simulate", "--latency-ms", "0"])
        defer { child.stop() }
        try await Wait.until("the simulator prints its port", timeout: .seconds(10), diagnostics: { child.transcript }) {
            child.stdout.contains("\n")
        }
        let path = try #require(child.stdout.split(separator: "\n").first.map(String.init))
        #expect(path.hasPrefix("/dev/pts/"), "\(child.transcript)")
        var info = stat()
        #expect(stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR, "\(path)")
        let at = try await CLI.modem(path, ["at", "AT"])
        #expect(at.status == 0, "\(at)")
        #expect(at.stdoutLines == ["OK"], "\(at)")
    }

    /// With --link it prints the link, a symlink to the pty.
    @Test func printsTheLinkWhichPointsAtThePseudoTerminal() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        try await simulator.child.waitForOutput(containing: simulator.linkPath, timeout: .seconds(5))
        #expect(simulator.child.stdout.split(separator: "\n").first.map(String.init) == simulator.linkPath)
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: simulator.linkPath)
        #expect(target.hasPrefix("/dev/pts/"), "\(target)")
    }

    /// `unplug` removes the link (a modem command then finds no port: exit 3); `plug` brings a
    /// new port back under the same link.
    @Test func unplugRemovesTheLinkAndPlugBringsItBack() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        #expect(try await simulator.control("unplug") == "ok unplugged")
        #expect(!FileManager.default.fileExists(atPath: simulator.linkPath))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: simulator.linkPath)) == nil)
        let gone = try await CLI.modem(simulator.linkPath, ["info"])
        #expect(gone.status == 3, "\(gone)")

        #expect(try await simulator.control("plug").hasPrefix("ok plugged"))
        #expect(FileManager.default.fileExists(atPath: simulator.linkPath))
        let back = try await CLI.modem(simulator.linkPath, ["at", "AT"])
        #expect(back.status == 0, "\(back)")
    }

    /// A modem command waiting for an answer when the modem is unplugged fails at once (not after
    /// its 20 s timeout), with one line on stderr and a non-zero status.
    @Test func unplugMidCommandFailsTheConnectedCommandCleanly() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory, ["-v"])
        defer { simulator.stop() }
        #expect(try await simulator.control("fault hang").hasPrefix("ok"))
        let command = try CLIInvocation(["modem", "--port", simulator.linkPath, "--timeout", "20", "at", "AT+CSQ"])
        defer { command.kill() }
        try await Wait.until("AT+CSQ reaches the modem", timeout: .seconds(10), diagnostics: { simulator.child.transcript }) {
            simulator.child.stderr.contains("AT+CSQ")
        }
        #expect(command.isRunning)

        #expect(try await simulator.control("unplug") == "ok unplugged")
        let result = try await command.result(timeout: .seconds(5))
        #expect(result.status != 0, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(result.stderrLines.count == 1, "\(result)")
        #expect(result.stderr.contains(simulator.linkPath), "\(result)")
        // 3 = port absent, whether it goes away during set-up or mid-command.
        #expect(result.status == 3, "\(result)")
    }

    /// A harness that dies closes the simulator's stdin pipe: the simulator exits by itself.
    @Test func endOfStdinOnAPipeStopsTheSimulator() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        simulator.child.closeStdin()
        let status = try await simulator.child.waitForExit(timeout: .seconds(10))
        #expect(status == 0, "\(simulator.child.transcript)")
    }

    @Test func statusIsOneJSONLineOfState() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        let before = try await simulator.status()
        #expect(before["connected"] as? Bool == true)
        #expect(before["submittedMessages"] as? Int == 0)
        let sent = try await CLI.modem(simulator.linkPath, ["send", "--to", "+33612345678", "--text", "Bonjour"])
        #expect(sent.status == 0, "\(sent)")
        #expect(try await simulator.status()["submittedMessages"] as? Int == 1)
    }
}
