import Foundation
import Simulator
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `smsagent run` with discovery and hotplug, as a child process that sees this testbed: it starts
/// with no modem, a message waits in its outbox, a Huawei stick is plugged in and the message leaves
/// through it; the stick is pulled, a second message waits, the stick comes back on other tty
/// numbers and the second message leaves; SIGTERM stops the agent cleanly.
///
/// The agent's libudev (enumeration and monitor), its serial port and the modem on the far side
/// are the real ones; only /sys, /dev and the netlink socket are umockdev's.
func agentHotplug(_ bench: Bench, _ report: inout TestbedReport) async throws {
    let clock = ContinuousClock()
    let agent = try AgentChild(testbedRoot: bench.testbed.root)
    defer { agent.stop() }
    try await waitFor("the agent's udev monitor to bind", timeout: .seconds(20), agent) { bench.testbed.monitorBound }
    try await waitFor("the agent to say it waits for a modem", timeout: .seconds(10), agent) {
        agent.status()?.state == "running"
    }
    report.events.append(EventRecord(kind: "agent-running", id: "", devnodes: agent.status()?.ports ?? []))

    /// Plugs `stick` and waits for the queued message to reach it and for status.json to show it.
    func plugAndSend(_ stick: FakeUSBDevice, atPort port: String) async throws -> EventRecord {
        let since = clock.now
        try await bench.plug(stick)
        let recipient = try await nextSubmission(of: bench.modems[bench.modems.count - 1], agent)
        let sentAfter = (clock.now - since).milliseconds
        try await waitFor("status.json to show the modem on \(port)", timeout: .seconds(10), agent) {
            agent.status()?.ports == [port]
        }
        return EventRecord(kind: "sent", id: recipient, devnodes: agent.status()?.ports ?? [], latencyMilliseconds: sentAfter)
    }

    try agent.send(to: "+33612345601", text: "first, queued before any modem")
    let stick = Fixtures.huawei(port: "1-1")
    report.events.append(try await plugAndSend(stick, atPort: "/dev/ttyUSB2"))

    let since = clock.now
    bench.unplug(stick)
    try await waitFor("the agent to drop the unplugged modem", timeout: .seconds(10), agent) {
        agent.status().map { $0.ports.isEmpty } ?? false
    }
    report.events.append(EventRecord(kind: "left", id: stick.syspath, devnodes: agent.status()?.ports ?? [],
                                     latencyMilliseconds: (clock.now - since).milliseconds))

    try agent.send(to: "+33612345602", text: "second, queued while no modem is there")
    let again = Fixtures.huawei(port: "1-7", ttys: ["ttyUSB30", "ttyUSB31", "ttyUSB32"])
    report.events.append(try await plugAndSend(again, atPort: "/dev/ttyUSB32"))

    let exitStatus = agent.terminate()
    report.events.append(EventRecord(kind: "agent-exit", id: "\(exitStatus.map(String.init) ?? "killed")", devnodes: [],
                                     detail: agent.outboxCounts()))
}

/// The recipient of the first message the simulated modem accepts from now on.
private func nextSubmission(of modem: SimulatedModem, _ agent: AgentChild) async throws -> String {
    let found = await withTaskGroup(of: String?.self) { group in
        group.addTask {
            for await message in modem.submissions { return message.number }
            return nil
        }
        group.addTask {
            try? await Task.sleep(for: .seconds(20))
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
    guard let found else {
        throw TestbedError(description: "no SMS reached the plugged modem in 20 s\n\(agent.log())")
    }
    return found
}

private func waitFor(_ what: String, timeout: Duration, _ agent: AgentChild, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while !condition() {
        if agent.process.hasExited {
            throw TestbedError(description: "the agent exited (status \(agent.process.exitStatus ?? -1)) while waiting for \(what)\n\(agent.log())")
        }
        guard ContinuousClock.now < deadline else { throw TestbedError(description: "timed out waiting for \(what)\n\(agent.log())") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// `smsagent run` in a throw-away installation, with `UMOCKDEV_DIR` pointing at the testbed (the
/// preload comes with `LD_PRELOAD`, inherited from umockdev-wrapper).
final class AgentChild {
    let process = Process()
    let directory: URL
    let configPath: String
    let binary: String

    init(testbedRoot: String) throws {
        binary = try Self.locateAgent()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("smsagent-testbed-agent-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configPath = directory.appendingPathComponent("smsagent.yaml").path
        let config = """
            data_directory: \(directory.appendingPathComponent("data").path)
            log_level: info
            status_interval: 1s
            sender: { brand: "Testbed", stop_number: "+33600000000" }
            modems:
              discovery: true
              hotplug: true
              throttle: { min_interval: 0s, daily_cap: 0 }
            compliance: { quiet_hours: none }
            credits: { opening_balance: 1000 }

            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--config", configPath]
        var environment = ProcessInfo.processInfo.environment
        environment["UMOCKDEV_DIR"] = testbedRoot
        process.environment = environment
        let log = directory.appendingPathComponent("agent.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// `smsagent send`, as a user queues a notification (no preload needed: it only writes a file).
    func send(to number: String, text: String) throws {
        let send = Process()
        send.executableURL = URL(fileURLWithPath: binary)
        send.arguments = ["send", "--config", configPath, "--to", number, "--text", text, "--class", "notification"]
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = nil
        send.environment = environment
        send.standardOutput = FileHandle.nullDevice
        try send.run()
        guard send.waitForExitBlocking(timeout: 20), send.exitStatus == 0 else {
            throw TestbedError(description: "smsagent send exited with \(send.exitStatus ?? -1)")
        }
    }

    struct Status {
        var state: String
        var ports: [String]
    }

    /// The agent's `status.json`, as `smsagent status` reads it.
    func status() -> Status? {
        let path = directory.appendingPathComponent("data/status.json").path
        guard let data = FileManager.default.contents(atPath: path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let state = json["state"] as? String else { return nil }
        let modems = json["modems"] as? [[String: Any]] ?? []
        return Status(state: state, ports: modems.compactMap { $0["port"] as? String })
    }

    /// `sent=N failed=N new=N sending=N` in the outbox.
    func outboxCounts() -> String {
        ["sent", "failed", "new", "sending"].map { folder in
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("data/outbox/\(folder)").path)) ?? []
            return "\(folder)=\(entries.filter { !$0.hasPrefix(".") }.count)"
        }.joined(separator: " ")
    }

    func log() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("agent.log"), encoding: .utf8)).map { "agent log:\n\($0)" } ?? ""
    }

    /// SIGTERM and wait for the exit; returns its status (nil if it had to be killed).
    func terminate() -> Int32? {
        guard !process.hasExited else { return process.exitStatus }
        kill(process.processIdentifier, SIGTERM)
        guard process.waitForExitBlocking(timeout: 15) else {
            process.killAndWait()
            return nil
        }
        return process.exitStatus
    }

    func stop() {
        process.killAndWait()
        try? FileManager.default.removeItem(at: directory)
    }

    /// `smsagent`, next to this executable.
    static func locateAgent() throws -> String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let candidate = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("smsagent").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw TestbedError(description: "smsagent not found next to \(exe): run `swift build` first")
        }
        return candidate
    }
}
