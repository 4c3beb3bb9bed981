import Agent
import Compliance
import Foundation
import Logging
import ModemKit
import Records
import SMSCodec
import Simulator
import TestSupport

/// How much of a modem's time the agent wastes (DESIGN.md "Performance principles"): the real
/// agent (`AgentRuntime`, default settings except throttle 0) in this process, on simulated modems
/// with per-command latency, every byte on the wire time-stamped by a tap on the transport.
enum AgentBenchmark {
    struct Settings {
        var messages: Int
        var drops: Int
        var idleSeconds: Double
        var cmgs: Duration
        var other: Duration
        var modems: Int
    }

    static func run(_ arguments: Arguments, command: String) async throws {
        let settings = Settings(messages: arguments.int("-m", 40), drops: arguments.int("--drops", 50),
                                idleSeconds: arguments.double("--idle", 10),
                                cmgs: .milliseconds(arguments.int("--cmgs-ms", 300)),
                                other: .milliseconds(arguments.int("--other-ms", 20)),
                                modems: max(1, arguments.int("--modems", 1)))
        let report = Report(name: "agent", command: command)
        let root = try makeTemporaryDirectory("smsagent-bench-agent")
        defer { try? FileManager.default.removeItem(atPath: root) }

        var configuration = AgentConfiguration()
        configuration.dataDirectory = root + "/data"
        configuration.sender.brand = "Bench"
        configuration.modems.discovery = false
        configuration.modems.hotplug = false
        configuration.modems.throttle = ThrottleSettings(minInterval: .zero, dailyCap: 0)
        configuration.compliance.quietHours = .none
        configuration.credits.openingBalance = 1_000_000

        var logs = [WireLog]()
        var endpoints = [ModemEndpoint]()
        var simulators = [SimulatedModem]()
        for k in 0..<settings.modems {
            var simulator = SimulatorConfiguration()
            simulator.name = "bench\(k)"
            simulator.ownNumber = String(format: "+336000000%02d", k + 1)
            simulator.fixedLatency = settings.other
            simulator.latency = ["+CMGS": settings.cmgs]
            let modem = SimulatedModem(profile: .generic, configuration: simulator, logger: quietLogger())
            let log = WireLog()
            logs.append(log)
            simulators.append(modem)
            endpoints.append(ModemEndpoint(id: "bench\(k)", port: "sim:bench\(k)", throttle: configuration.modems.throttle,
                                           origin: "simulated") {
                TappedTransport(await modem.connectInMemory(), log: log)
            })
        }
        let ready = Doorbell()
        let runtime = AgentRuntime(configuration: configuration, clock: SystemClock(), logger: quietLogger(),
                                   extraEndpoints: endpoints, ready: ready)
        let agent = Task { try await runtime.run() }
        await ready.wait(upTo: .seconds(10))
        // Set-up done: every modem has answered its set-up and the wire has been quiet for 0.5 s.
        try await waitForQuiet(logs, quiet: 0.5, timeout: 20)
        let data = try DataDirectory(path: configuration.dataDirectory, options: .init(openingBalance: 1_000_000, logger: quietLogger()))
        let setupCommands = logs.map(\.count).reduce(0, +)

        report.line("Agent pipeline (AgentRuntime in-process, default settings, throttle 0) on \(settings.modems) simulated modem(s), generic profile")
        report.line("simulated latency: AT+CMGS \(settings.cmgs), every other command \(settings.other) (real modems: CMGS 1–3 s; scaled down so the run is short)")
        report.line("set-up: \(setupCommands) AT commands per start (\(settings.modems) modem(s))")

        // (a) A campaign of M one- and two-part notifications, dropped all at once.
        var generator = SeededGenerator(seed: 20261129)
        var expectedParts = 0
        var campaign = [OutboxMessage]()
        for i in 0..<settings.messages {
            let number = String(format: "+336%08d", Int.random(in: 10_000_000..<100_000_000, using: &generator))
            let text = i % 5 == 4
                ? String(repeating: "Soldes d'hiver : -30% sur tout le rayon chaussures, code HIVER\(i). ", count: 3)
                : "Bonjour, votre commande \(1000 + i) est prête. Retrait dès demain 9h en magasin."
            expectedParts += SegmentPlanner.plan(text, smartEncoding: configuration.compliance.smartEncoding).segmentCount
            campaign.append(OutboxMessage(id: String(format: "bench-%05d", i), to: number, text: text,
                                          messageClass: .notification, campaign: "bench"))
        }
        let loadBefore = loadAverage()
        let usageBeforeCampaign = ResourceUsage.now()
        let campaignStart = monotonicSeconds()
        for message in campaign { try data.outbox.enqueue(message) }
        let enqueued = monotonicSeconds()
        // Watch the wire (cheap) rather than the outbox folders, so the benchmark's own polling
        // does not count in the CPU figures; then wait for the last message to be filed.
        try await waitUntil(timeout: 60 + Double(expectedParts) * settings.cmgs.seconds * 2, every: .milliseconds(50)) {
            logs.map { $0.snapshot().filter { $0.name == "AT+CMGS" && $0.start >= campaignStart && $0.end != nil }.count }
                .reduce(0, +) >= expectedParts
        }
        try await waitUntil(timeout: 10) {
            let counts = try data.outbox.counts()
            return counts.sent + counts.failed >= settings.messages && counts.sending == 0 && counts.new == 0
        }
        let campaignUsage = ResourceUsage.now() - usageBeforeCampaign
        let counts = try data.outbox.counts()
        var parts = 0, busyNeeded = 0.0, busyAll = 0.0, firstStart = Double.infinity, lastEnd = 0.0
        var gaps = [Double]()
        var hold = 0.0
        var byName = [String: Int]()
        for log in logs {
            let commands = log.snapshot().filter { $0.start >= campaignStart }
            let sends = commands.filter { $0.name == "AT+CMGS" }
            for c in commands {
                byName[c.name, default: 0] += 1
                busyAll += c.service
            }
            for (i, c) in sends.enumerated() {
                parts += 1
                busyNeeded += c.service
                hold += c.hostHold
                firstStart = min(firstStart, c.start)
                lastEnd = max(lastEnd, c.end ?? c.start)
                if i > 0, let previous = sends[i - 1].end { gaps.append(c.start - previous) }
            }
        }
        let window = (lastEnd - firstStart) * Double(settings.modems)
        let windowFromDrop = (lastEnd - campaignStart) * Double(settings.modems)
        let utilisation = busyNeeded / window
        let commandsTotal = byName.values.reduce(0, +)
        let gap = Distribution(gaps)
        if ProcessInfo.processInfo.environment["BENCH_DUMP"] != nil {
            for log in logs {
                for c in log.snapshot() where c.start >= campaignStart {
                    FileHandle.standardError.write(Data(String(format: "%.4f %.4f %@\n", c.start - campaignStart, (c.end ?? c.start) - campaignStart, c.name).utf8))
                }
            }
        }
        report.line("(a) campaign: \(settings.messages) messages, \(parts) parts (expected \(expectedParts)); \(counts.sent) sent, \(counts.failed) failed")
        report.line("    modem busy with AT+CMGS: \(percent(utilisation)) of the time from first to last part → the modem waited for the agent \(percent(1 - utilisation))")
        report.line("    counting from the drop (enqueue of \(settings.messages) files took \(ms(enqueued - campaignStart))): \(percent(busyNeeded / windowFromDrop))")
        report.line("    agent turnaround between two parts (OK of one → AT+CMGS of the next): \(gap.millisecondsSummary)")
        let breakdown = byName.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        report.line("    agent time between the > prompt and the PDU: \(ms(hold / Double(max(parts, 1)))) per part (counted as waiting)")
        let cpuPerPart = (campaignUsage.userSeconds + campaignUsage.systemSeconds) / Double(max(parts, 1))
        report.line("    CPU of the whole process per part: \(ms(cpuPerPart)) (load-independent; load average \(loadBefore) → \(loadAverage()) during the campaign, 2 shared cores)")
        report.line("    AT commands per part: \(String(format: "%.2f", Double(commandsTotal) / Double(max(parts, 1)))) (ideal 1.00): \(breakdown)")
        report.line("    all commands busy: \(percent(busyAll / windowFromDrop)); wall \(String(format: "%.2f", lastEnd - campaignStart)) s for a floor of \(String(format: "%.2f", Double(parts) * settings.cmgs.seconds / Double(settings.modems))) s")
        report.figures["campaign"] = [
            "messages": settings.messages, "parts": parts, "sent": counts.sent, "failed": counts.failed,
            "utilisation": utilisation, "utilisation_from_drop": busyNeeded / windowFromDrop,
            "modem_wait_fraction": 1 - utilisation, "turnaround": gap.json,
            "commands_per_part": Double(commandsTotal) / Double(max(parts, 1)), "commands": byName,
            "wall_seconds": lastEnd - campaignStart, "cpu_ms_per_part": cpuPerPart * 1000, "load_average_before": loadBefore,
        ] as [String: Any]

        // (b) Intake latency: one file at a time lands in outbox/new; time to the first AT+CMGS byte.
        try await waitForQuiet(logs, quiet: 0.5, timeout: 20)
        var latencies = [Double]()
        var enqueueTimes = [Double]()
        for d in 0..<settings.drops {
            let sentBefore = try data.outbox.counts().sent
            let message = OutboxMessage(id: String(format: "drop-%05d", d), to: "+33612345678",
                                        text: "Votre code de retrait est \(100_000 + d).", messageClass: .notification)
            let start = monotonicSeconds()
            try data.outbox.enqueue(message)
            enqueueTimes.append(monotonicSeconds() - start)
            var first: Double?
            try await waitUntil(timeout: 10, every: .milliseconds(1)) {
                first = logs.compactMap { $0.lastStart(of: "AT+CMGS") }.filter { $0 >= start }.min()
                return first != nil
            }
            if let first { latencies.append(first - start) }
            try await waitUntil(timeout: 10) { try data.outbox.counts().sent > sentBefore }
            try await Task.sleep(for: .milliseconds(50))
        }
        let latency = Distribution(latencies)
        let enqueue = Distribution(enqueueTimes)
        report.line("(b) outbox/new → first AT+CMGS byte (inotify), \(settings.drops) drops one at a time: \(latency.millisecondsSummary)")
        report.line("    measured from the start of enqueue (temp file + fsync + rename + fsync of the folder: \(ms(enqueue.p50)) p50)")
        report.figures["intake_latency"] = latency.json
        report.figures["enqueue"] = enqueue.json

        // (c) Idle: CPU, wakeups and AT commands of the whole process over a quiet period.
        try await Task.sleep(for: .seconds(1))
        let countsBefore = logs.map(\.count)
        let commandsBefore = countsBefore.reduce(0, +)
        let threadsBefore = threadSwitches()
        let usageBefore = ResourceUsage.now()
        let idleStart = monotonicSeconds()
        try await Task.sleep(for: .seconds(settings.idleSeconds))
        let idleWall = monotonicSeconds() - idleStart
        let usage = ResourceUsage.now() - usageBefore
        let threadsAfter = threadSwitches()
        let busiest = threadsAfter.compactMap { key, after -> (String, Int)? in
            let delta = after - (threadsBefore[key] ?? 0)
            return delta > 0 ? (String(key.split(separator: " ", maxSplits: 1).last ?? ""), delta) : nil
        }.sorted { $0.1 > $1.1 }.prefix(6).map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        let idleCommands = logs.map(\.count).reduce(0, +) - commandsBefore
        let idleNames = zip(logs, countsBefore).flatMap { log, before in log.snapshot().dropFirst(before).map(\.name) }
        report.line(String(format: "(c) idle %.1f s (keepalive %@, inbound poll %@, status heartbeat): CPU %.1f ms (%.3f %% of a core), %d voluntary + %d involuntary context switches (%.1f wakeups/s), %d AT commands%@",
                           idleWall, "\(configuration.modems.keepaliveInterval)", "\(configuration.inbound.pollInterval)",
                           (usage.userSeconds + usage.systemSeconds) * 1000, (usage.userSeconds + usage.systemSeconds) / idleWall * 100,
                           usage.voluntarySwitches, usage.involuntarySwitches, Double(usage.voluntarySwitches) / idleWall,
                           idleCommands, idleNames.isEmpty ? "" : " (\(idleNames.joined(separator: ", ")))"))
        report.line("    getrusage(RUSAGE_SELF) of this process: agent + idle simulators + this sleeping benchmark; wakeups by thread: \(busiest)")
        report.figures["idle"] = [
            "seconds": idleWall, "cpu_ms": (usage.userSeconds + usage.systemSeconds) * 1000,
            "voluntary_switches": usage.voluntarySwitches, "involuntary_switches": usage.involuntarySwitches,
            "at_commands": idleCommands,
        ] as [String: Any]

        await runtime.requestStop()
        _ = try? await agent.value
        for simulator in simulators { await simulator.shutdown() }

        // Control: the same process with the agent stopped (what the runtime's threads cost alone).
        try await Task.sleep(for: .seconds(1))
        let controlBefore = ResourceUsage.now()
        let controlStart = monotonicSeconds()
        try await Task.sleep(for: .seconds(min(settings.idleSeconds, 5)))
        let controlWall = monotonicSeconds() - controlStart
        let control = ResourceUsage.now() - controlBefore
        report.line(String(format: "    control, agent stopped, %.1f s: CPU %.1f ms, %d voluntary context switches (%.1f/s)",
                           controlWall, (control.userSeconds + control.systemSeconds) * 1000, control.voluntarySwitches,
                           Double(control.voluntarySwitches) / controlWall))
        report.figures["idle_control"] = [
            "seconds": controlWall, "cpu_ms": (control.userSeconds + control.systemSeconds) * 1000,
            "voluntary_switches": control.voluntarySwitches,
        ] as [String: Any]
        report.emit(json: arguments.json)
    }

    /// Every command answered and nothing new on any wire for `quiet` seconds.
    static func waitForQuiet(_ logs: [WireLog], quiet: Double, timeout: Double) async throws {
        let deadline = monotonicSeconds() + timeout
        var lastCount = -1
        var since = monotonicSeconds()
        while monotonicSeconds() < deadline {
            let snapshots = logs.map { $0.snapshot() }
            let count = snapshots.map(\.count).reduce(0, +)
            let open = snapshots.contains { $0.contains { $0.end == nil } }
            if count != lastCount || open {
                lastCount = count
                since = monotonicSeconds()
            } else if count > 0, monotonicSeconds() - since >= quiet {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("the modems never went quiet within \(timeout) s")
    }

    static func waitUntil(timeout: Double, every interval: Duration = .milliseconds(20), _ condition: () throws -> Bool) async throws {
        let deadline = monotonicSeconds() + timeout
        while try !condition() {
            if monotonicSeconds() > deadline { throw BenchError("timed out after \(timeout) s") }
            try await Task.sleep(for: interval)
        }
    }
}

extension Duration {
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
