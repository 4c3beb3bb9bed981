import Agent
import Foundation
import Logging
import ModemKit
import Records
import Simulator
import TestSupport

/// Queues at scale (issue 11): `enqueue` — `smsagent campaign` of `-n` rows (the real binary) and
/// the batch API in this process; `deep-queue` — the real agent (`AgentRuntime` in this process)
/// on a simulated modem at 0 ms with `--depth` files waiting in `outbox/new`.
enum QueueBenchmark {
    static func enqueue(_ arguments: Arguments, command: String) throws {
        let rows = arguments.int("-n", 10_000)
        let binary = arguments.string("--smsagent") ?? siblingExecutable("smsagent")
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("no smsagent binary at \(binary): build it (swift build -c release --product smsagent) or pass --smsagent PATH")
        }
        let report = Report(name: "enqueue", command: command)
        let root = try makeTemporaryDirectory("smsagent-bench-enqueue")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = root + "/smsagent.yaml"
        try """
            data_directory: \(root)/data
            log_level: error
            sender: { brand: "Bench" }
            modems: { discovery: false, hotplug: false, simulated: [{ name: sim-a, own_number: "+33600000001" }] }
            compliance: { quiet_hours: none }

            """.write(toFile: config, atomically: true, encoding: .utf8)
        report.line("data directory on \(root) (\(RecordsBenchmark.fileSystemType(root)))")
        var csv = "phone,name\n"
        for i in 0..<rows { csv += String(format: "06%08d,Client %d\n", 10_000_000 + i * 37, i) }
        try csv.write(toFile: root + "/list.csv", atomically: true, encoding: .utf8)
        let run = try Child.run(binary, ["campaign", root + "/list.csv", "--template", "Bonjour {name}, -20% ce week-end.",
                                         "--class", "marketing", "--name", "bench", "--config", config])
        guard run.status == 0, run.stdout.contains("\(rows) messages queued") else {
            throw BenchError("smsagent campaign failed (\(run.status)): \(run.stdout) \(run.stderr)")
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: root + "/data/outbox/new").count) ?? 0
        guard files == rows else { throw BenchError("\(files) files in outbox/new, expected \(rows)") }
        report.line("smsagent campaign, \(rows) rows → \(files) files in outbox/new: \(ListsBenchmark.seconds(run.wall)) (\(Int(Double(rows) / run.wall)) messages/s), max RSS \(ListsBenchmark.mb(run.maxRSS))")
        report.figures["campaign_s"] = run.wall
        report.figures["campaign_rows"] = rows
        report.figures["campaign_max_rss_mb"] = Double(run.maxRSS) / 1_048_576

        // In this process: one batch of `rows`, against one enqueue (fsync) per message for 500.
        let outbox = try FileOutbox(root: root + "/inproc", logger: quietLogger())
        let batch = (0..<rows).map { OutboxMessage(to: "+33612345678", text: "Batch \($0)", messageClass: .notification, campaign: "b") }
        var start = monotonicSeconds()
        try outbox.enqueue(contentsOf: batch)
        let batchTime = monotonicSeconds() - start
        start = monotonicSeconds()
        for i in 0..<500 { try outbox.enqueue(OutboxMessage(to: "+33612345678", text: "One \(i)", messageClass: .notification)) }
        let singleTime = (monotonicSeconds() - start) / 500
        report.line("FileOutbox.enqueue(contentsOf:) of \(rows): \(ms(batchTime)) (\(String(format: "%.1f", batchTime / Double(rows) * 1e6)) µs a message); one enqueue each: \(ms(singleTime)) a message")
        report.figures["batch_ms"] = batchTime * 1000
        report.figures["single_ms"] = singleTime * 1000
        report.emit(json: arguments.json)
    }

    static func deepQueue(_ arguments: Arguments, command: String) async throws {
        let depth = arguments.int("--depth", 100_000)
        let measured = min(depth, arguments.int("-m", 3000))
        let report = Report(name: "deep-queue", command: command)
        let root = try makeTemporaryDirectory("smsagent-bench-deep")
        defer { try? FileManager.default.removeItem(atPath: root) }
        report.line("data directory on \(root) (\(RecordsBenchmark.fileSystemType(root)))")

        // The queue: `depth` one-part notifications, dropped before the agent starts.
        let data = try DataDirectory(path: root + "/data", options: .init(openingBalance: 10_000_000, logger: quietLogger()))
        var start = monotonicSeconds()
        var messages = [OutboxMessage]()
        messages.reserveCapacity(5000)
        for i in 0..<depth {
            messages.append(OutboxMessage(id: String(format: "deep-%07d", i), to: String(format: "+336%08d", 10_000_000 + i),
                                          text: "Votre commande \(i) est prête.", messageClass: .notification, campaign: "deep"))
            if messages.count == 5000 || i == depth - 1 {
                try data.outbox.enqueue(contentsOf: messages)
                messages.removeAll(keepingCapacity: true)
            }
        }
        report.line("\(depth) files queued in outbox/new in \(ListsBenchmark.seconds(monotonicSeconds() - start))")

        // Records alone: claims from the deep queue (each message claimed and filed as sent).
        var claims = [Double]()
        for _ in 0..<200 {
            let begin = monotonicSeconds()
            guard let claimed = try data.outbox.claimNext() else { throw BenchError("claimNext found nothing") }
            claims.append(monotonicSeconds() - begin)
            try data.outbox.complete(claimed.message.id, result: SendResult(status: .sent, refs: [1], modem: "bench", segments: 1, credits: 0))
        }
        let claim = Distribution(Array(claims.dropFirst()))
        report.line("FileOutbox.claimNext with \(depth) waiting (first claim builds the index: \(ms(claims.first ?? 0))), next 199: \(claim.millisecondsSummary)")
        report.figures["claim"] = claim.json
        report.figures["claim_first_ms"] = (claims.first ?? 0) * 1000

        // The real agent on one simulated modem answering at once.
        var configuration = AgentConfiguration()
        configuration.dataDirectory = root + "/data"
        configuration.sender.brand = "Bench"
        configuration.modems.discovery = false
        configuration.modems.hotplug = false
        configuration.modems.throttle = ThrottleSettings(minInterval: .zero, dailyCap: 0)
        configuration.compliance.quietHours = .none
        configuration.credits.openingBalance = 10_000_000
        var simulator = SimulatorConfiguration()
        simulator.name = "deep"
        simulator.ownNumber = "+33600000001"
        simulator.fixedLatency = .zero
        let modem = SimulatedModem(profile: .generic, configuration: simulator, logger: quietLogger())
        let log = WireLog()
        let endpoint = ModemEndpoint(id: "deep", port: "sim:deep", throttle: configuration.modems.throttle, origin: "simulated") {
            TappedTransport(await modem.connectInMemory(), log: log)
        }
        let ready = Doorbell()
        let usageBefore = ResourceUsage.now()
        start = monotonicSeconds()
        let runtime = AgentRuntime(configuration: configuration, clock: SystemClock(), logger: quietLogger(),
                                   extraEndpoints: [endpoint], ready: ready)
        let agent = Task { try await runtime.run() }
        try await AgentBenchmark.waitUntil(timeout: 600, every: .milliseconds(5)) { log.started("AT+CMGS") >= 1 }
        let firstSend = monotonicSeconds() - start
        let sendsBefore = log.started("AT+CMGS")
        let windowStart = monotonicSeconds()
        let usageWindow = ResourceUsage.now()
        try await AgentBenchmark.waitUntil(timeout: 600, every: .milliseconds(20)) { log.started("AT+CMGS") >= sendsBefore + measured }
        let window = monotonicSeconds() - windowStart
        let usage = ResourceUsage.now() - usageWindow
        let startUsage = usageWindow - usageBefore
        await runtime.requestStop()
        _ = try? await agent.value
        await modem.shutdown()
        let rate = Double(measured) / window
        let cpu = (usage.userSeconds + usage.systemSeconds) / Double(measured)
        report.line("agent start → first AT+CMGS with \(depth - 200) files waiting: \(ListsBenchmark.seconds(firstSend)) (CPU \(ms(startUsage.userSeconds + startUsage.systemSeconds)))")
        report.line("dispatch, next \(measured) messages (1 part each, modem at 0 ms): \(String(format: "%.0f", rate)) messages/s, CPU \(ms(cpu)) a message (agent + simulator, load average \(loadAverage()))")
        report.figures["depth"] = depth
        report.figures["first_send_s"] = firstSend
        report.figures["messages_per_s"] = rate
        report.figures["cpu_ms_per_message"] = cpu * 1000
        report.emit(json: arguments.json)
    }
}
