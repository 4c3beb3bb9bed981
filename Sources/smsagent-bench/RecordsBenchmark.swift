import Compliance
import Foundation
import Logging
import Records
import TestSupport

/// The durable records on a real file system (every write fsynced): the per-message path of the
/// send pipeline, opt-out recording and lookups, and loading a large opt-out file.
enum RecordsBenchmark {
    static func run(_ arguments: Arguments, command: String) throws {
        let messages = arguments.int("-n", 300)
        let optOutEvents = arguments.int("--optouts", 100_000)
        let backlog = arguments.int("--backlog", 1000)
        let report = Report(name: "records", command: command)
        let root = try makeTemporaryDirectory("smsagent-bench-records")
        defer { try? FileManager.default.removeItem(atPath: root) }
        report.line("Records on \(root) (\(fileSystemType(root))): every write is fsynced (file, and folder on rename)")

        // 1. One message through the send pipeline, queue of one.
        let data = try DataDirectory(path: root + "/data", options: .init(openingBalance: 10_000_000, logger: quietLogger()))
        let steps = ["enqueue", "claim", "reserve", "attempt", "accepted", "ledger commit", "complete"]
        var samples = [String: [Double]](uniqueKeysWithValues: steps.map { ($0, []) })
        var totals = [Double]()
        var generator = SeededGenerator(seed: 42)
        for i in 0..<messages {
            let number = String(format: "+336%08d", Int.random(in: 0..<100_000_000, using: &generator))
            var times = [Double]()
            var t = monotonicSeconds()
            func lap() { let now = monotonicSeconds(); times.append(now - t); t = now }
            try data.outbox.enqueue(OutboxMessage(to: number, text: "Votre commande \(i) est prête.", messageClass: .notification))
            lap()
            guard let claimed = try data.outbox.claimNext() else { throw BenchError("claimNext found nothing") }
            lap()
            let id = claimed.message.id
            try data.ledger.reserve(messageID: id, credits: 1)
            lap()
            try data.outbox.recordAttempt(id, SendAttempt(part: 1, parts: 1, modem: "bench", concatReference: 0))
            lap()
            try data.outbox.recordPartAccepted(id, part: 1, reference: i % 256, at: Date())
            lap()
            _ = try data.ledger.commit(row: LedgerRow(messageID: id, recipient: number, messageClass: "notification",
                                                      credits: 1, modem: "bench", refs: [i % 256], part: 1))
            lap()
            try data.outbox.complete(id, result: SendResult(status: .sent, refs: [i % 256], modem: "bench", segments: 1, credits: 1))
            lap()
            for (step, time) in zip(steps, times) { samples[step, default: []].append(time) }
            totals.append(times.reduce(0, +))
        }
        let total = Distribution(totals)
        report.line("send pipeline per one-part message (\(messages) messages, queue of one): \(total.millisecondsSummary)")
        report.line("  → \(Int((1 / total.mean).rounded())) messages/s of bookkeeping; one modem's CMGS takes 1–3 s")
        var stepFigures = [String: Any]()
        for step in steps {
            let d = Distribution(samples[step] ?? [])
            report.line("  \(step.padding(toLength: 14, withPad: " ", startingAt: 0)) \(d.millisecondsSummary)")
            stepFigures[step] = d.json
        }
        report.figures["pipeline_total"] = total.json
        report.figures["pipeline_steps"] = stepFigures

        // 2. Claiming from a backlog (claimNext lists outbox/new).
        for i in 0..<backlog {
            try data.outbox.enqueue(OutboxMessage(to: "+33612345678", text: "Backlog \(i)", messageClass: .notification))
        }
        var claims = [Double]()
        for _ in 0..<min(backlog, 200) {
            let start = monotonicSeconds()
            _ = try data.outbox.claimNext()
            claims.append(monotonicSeconds() - start)
        }
        let claim = Distribution(claims)
        report.line("claimNext with \(backlog) files waiting in outbox/new (first 200 claims): \(claim.millisecondsSummary)")
        report.figures["claim_backlog"] = claim.json
        report.figures["claim_backlog_size"] = backlog

        // 3. Opt-outs: record (append + fsync) and look up.
        var records = [Double]()
        var recorded = [PhoneNumber]()
        for i in 0..<200 {
            let number = try PhoneNumber.parse(String(format: "+337%08d", i * 7919 % 100_000_000), defaultCountry: "FR")
            let start = monotonicSeconds()
            try data.optOuts.record(OptOutEvent(number: number, event: .optout, keyword: "STOP", modem: "bench", source: "bench:\(i)"))
            records.append(monotonicSeconds() - start)
            recorded.append(number)
        }
        let record = Distribution(records)
        report.line("opt-out record (append + fsync), 200 events: \(record.millisecondsSummary)")
        report.figures["optout_record"] = record.json

        var lookups = [Double]()
        for i in 0..<20_000 {
            let number = recorded[i % recorded.count]
            let start = monotonicSeconds()
            _ = try data.optOuts.isOptedOut(number)
            lookups.append(monotonicSeconds() - start)
        }
        let lookup = Distribution(lookups)
        report.line("isOptedOut (registry of 200 numbers, file unchanged since): \(lookup.millisecondsSummary)")
        report.figures["optout_lookup"] = lookup.json

        // 4. Loading a large optouts.csv: rows in the registry's own format (copied from a row it wrote).
        let bigPath = root + "/big-optouts.csv"
        let written = try String(contentsOfFile: data.path + "/optouts.csv", encoding: .utf8)
        let lines = written.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard lines.count >= 2, let template = lines.last, let first = recorded.last?.e164 else {
            throw BenchError("optouts.csv has no rows to copy")
        }
        var text = lines[0] + "\n"
        text.reserveCapacity(optOutEvents * (template.utf8.count + 2))
        for i in 0..<optOutEvents {
            text += template.replacingOccurrences(of: first, with: String(format: "+336%08d", i))
                .replacingOccurrences(of: "bench:199", with: "bench:big\(i)") + "\n"
        }
        try text.write(toFile: bigPath, atomically: true, encoding: .utf8)
        var loads = [Double]()
        var loadedCount = 0
        for _ in 0..<3 {
            let start = monotonicSeconds()
            let registry = try FileOptOutRegistry(path: bigPath, logger: quietLogger())
            loads.append(monotonicSeconds() - start)
            loadedCount = try registry.events().count
        }
        guard loadedCount == optOutEvents else { throw BenchError("loaded \(loadedCount) events, wrote \(optOutEvents)") }
        let load = Distribution(loads)
        report.line("load optouts.csv of \(optOutEvents) events (\(text.utf8.count / 1_000_000) MB), best of 3: \(ms(load.min))")
        report.figures["optout_load_ms"] = load.min * 1000
        report.figures["optout_load_events"] = optOutEvents
        report.emit(json: arguments.json)
    }

    /// The file system holding `path`, from /proc/mounts (longest mount point that prefixes it).
    static func fileSystemType(_ path: String) -> String {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return "unknown file system" }
        let resolved = (path as NSString).resolvingSymlinksInPath
        var best = (point: "", type: "unknown file system")
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            let point = String(fields[1])
            let prefix = point.hasSuffix("/") ? point : point + "/"
            if (resolved == point || resolved.hasPrefix(prefix)) && point.count > best.point.count {
                best = (point, String(fields[2]))
            }
        }
        return best.type == "tmpfs" ? "tmpfs: fsync costs nothing here" : best.type
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func quietLogger() -> Logger {
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    return logger
}
