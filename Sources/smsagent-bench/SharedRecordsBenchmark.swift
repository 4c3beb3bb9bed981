import Compliance
import Foundation
import Logging
import PostgresNIO
import Records
import RecordsPostgres
import Synchronization

/// Issue 15: the bookkeeping of one message (claim, credit reservation, attempt, accepted part +
/// ledger row, complete, release) with 1, 2 and 4 agents on one PostgreSQL database, against the files backend; the
/// claim latency; and the delay between an opt-out committed by agent A and agent B's first check
/// that sees it. No modem: this is the records' own cost (a modem's CMGS takes 1–3 s).
enum SharedRecordsBenchmark {
    static func run(_ arguments: Arguments, command: String) throws {
        guard let url = ProcessInfo.processInfo.environment["SMSAGENT_TEST_POSTGRES_URL"] else {
            throw BenchError("set SMSAGENT_TEST_POSTGRES_URL (e.g. $(.ci/start-postgres | tail -n 1))")
        }
        let messages = arguments.int("-n", 2000)
        let probes = arguments.int("--optout-probes", 200)
        // --no-reservations: without the credit reservation (what it costs, by difference).
        let reserving = !arguments.values.contains("--no-reservations")
        let report = Report(name: "shared-records", command: command)
        let base = try PostgresSettings.parse(url: url, agentID: "bench")
        report.line("PostgreSQL at \(base.redactedURL) (loopback, fsync and synchronous_commit on); \(messages) one-part messages per run\(reserving ? "" : ", no credit reservations")")

        // Files: one agent (a data directory has one).
        let root = try makeTemporaryDirectory("smsagent-bench-shared")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let files = try DataDirectory(path: root + "/data", options: .init(openingBalance: 10_000_000, logger: quietLogger()))
        for i in 0..<messages { try files.outbox.enqueue(message(i)) }
        let filesRun = try drain([(files.outbox, files.ledger, nil)], threadsPerAgent: 1, reserving: reserving)
        report.line("files,    1 agent : \(filesRun.rate) messages/s; claim \(filesRun.claim.millisecondsSummary); per message \(filesRun.perMessage.millisecondsSummary)")
        var figures: [String: Any] = ["files_1": filesRun.json]

        for agents in [1, 2, 4] {
            let schema = "bench_" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(10))
            var opened: [PostgresRecords] = []
            for index in 0..<agents {
                var settings = base
                settings.agentID = "agent-\(index)"
                settings.schema = schema
                settings.poolSize = 2
                opened.append(try PostgresRecords(settings: settings, options: .init(openingBalance: 10_000_000), logger: quietLogger()))
            }
            defer {
                for records in opened { records.close() }
                drop(schema: schema, base: base)
            }
            for i in 0..<messages { try opened[0].outbox.enqueue(message(i)) }
            let run = try drain(opened.map { ($0.outbox, $0.ledger, $0.outbox) }, threadsPerAgent: 1, reserving: reserving)
            report.line("postgres, \(agents) agent\(agents == 1 ? " " : "s"): \(run.rate) messages/s; claim \(run.claim.millisecondsSummary); per message \(run.perMessage.millisecondsSummary)")
            figures["postgres_\(agents)"] = run.json
        }

        // Opt-out propagation: A commits, B checks in a loop until it sees it.
        let schema = "bench_" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(10))
        var settingsA = base, settingsB = base
        settingsA.agentID = "lyon"
        settingsB.agentID = "nantes"
        settingsA.schema = schema
        settingsB.schema = schema
        let a = try PostgresRecords(settings: settingsA, options: .init(), logger: quietLogger())
        let b = try PostgresRecords(settings: settingsB, options: .init(), logger: quietLogger())
        defer {
            a.close()
            b.close()
            drop(schema: schema, base: base)
        }
        var delays: [Double] = []
        let checks = Mutex<[Double]>([])
        for i in 0..<probes {
            let number = try PhoneNumber.parse(String(format: "+336%08d", 30_000_000 + i), defaultCountry: "FR")
            let committed = Mutex<Double?>(nil)
            let started = DispatchSemaphore(value: 0)
            let done = DispatchSemaphore(value: 0)
            let seen = Mutex<Double?>(nil)
            Thread.detachNewThread {
                started.signal()
                while true {
                    let t0 = monotonicSeconds()
                    let optedOut = (try? b.optOuts.isOptedOut(number)) ?? false
                    let t1 = monotonicSeconds()
                    if optedOut {
                        seen.withLock { $0 = t1 }
                        break
                    }
                    checks.withLock { $0.append(t1 - t0) }
                }
                done.signal()
            }
            started.wait()
            Thread.sleep(forTimeInterval: 0.002)
            try a.optOuts.optOut(number, keyword: "STOP", modem: "lyon-sim", source: "sms:bench-\(i)")
            committed.withLock { $0 = monotonicSeconds() }
            done.wait()
            if let t0 = committed.withLock({ $0 }), let t1 = seen.withLock({ $0 }) { delays.append(max(0, t1 - t0)) }
        }
        let delay = Distribution(delays)
        let check = Distribution(checks.withLock { $0 })
        report.line("opt-out committed on A → first check on B that sees it (\(probes) numbers): \(delay.millisecondsSummary)")
        report.line("  one opt-out check on B (a primary-key lookup): \(check.millisecondsSummary)")
        figures["optout_propagation"] = delay.json
        figures["optout_check"] = check.json
        report.figures = figures
        report.emit(json: arguments.json)
    }

    static func message(_ i: Int) -> OutboxMessage {
        OutboxMessage(id: String(format: "20261201T000000000Z-%08d", i), to: String(format: "+336%08d", 10_000_000 + i),
                      text: "Votre commande \(i) est prête.", messageClass: .notification)
    }

    struct Run {
        var seconds: Double
        var count: Int
        var claim: Distribution
        var perMessage: Distribution
        var rate: Int { seconds > 0 ? Int((Double(count) / seconds).rounded()) : 0 }
        var json: [String: Any] { ["messages_per_second": rate, "claim": claim.json, "per_message": perMessage.json] }
    }

    /// Every agent drains the shared queue from its own thread: claim, reserve, attempt, accepted
    /// (+ ledger row, in one transaction on the database), complete, release.
    static func drain(_ agents: [(any Outbox, any CreditLedger, PostgresOutbox?)], threadsPerAgent: Int, reserving: Bool = true) throws -> Run {
        let claims = Mutex<[Double]>([])
        let totals = Mutex<[Double]>([])
        let failure = Mutex<String?>(nil)
        let group = DispatchGroup()
        let start = monotonicSeconds()
        for (index, agent) in agents.enumerated() {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let (outbox, ledger, database) = agent
                var reference = 0
                do {
                    while true {
                        let t0 = monotonicSeconds()
                        guard let claimed = try outbox.claimNext(now: Date()) else { break }
                        let t1 = monotonicSeconds()
                        let id = claimed.message.id
                        if reserving { try ledger.reserve(messageID: id, credits: 1) }   // as the dispatcher does before sending
                        try outbox.recordAttempt(id, SendAttempt(part: 1, parts: 1, modem: "sim-\(index)", concatReference: 0, promptSeenAt: Date()))
                        reference = (reference + 1) % 256
                        let row = LedgerRow(messageID: id, recipient: claimed.message.to, messageClass: "notification", credits: 1,
                                            modem: "sim-\(index)", refs: [reference], part: 1)
                        if let database {
                            _ = try database.recordPartAccepted(id, part: 1, reference: reference, at: Date(), charging: row)
                        } else {
                            try outbox.recordPartAccepted(id, part: 1, reference: reference, at: Date(), next: nil)
                            _ = try ledger.commit(row: row)
                        }
                        try outbox.complete(id, result: SendResult(status: .sent, refs: [reference], modem: "sim-\(index)", segments: 1, credits: 1))
                        if reserving { ledger.release(messageID: id) }
                        let t2 = monotonicSeconds()
                        claims.withLock { $0.append(t1 - t0) }
                        totals.withLock { $0.append(t2 - t0) }
                    }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
            }
        }
        group.wait()
        if let failure = failure.withLock({ $0 }) { throw BenchError(failure) }
        let seconds = monotonicSeconds() - start
        let all = totals.withLock { $0 }
        return Run(seconds: seconds, count: all.count, claim: Distribution(claims.withLock { $0 }), perMessage: Distribution(all))
    }

    static func drop(schema: String, base: PostgresSettings) {
        var settings = base
        settings.poolSize = 1
        guard let pool = try? PostgresPool(settings: settings, logger: quietLogger()) else { return }
        _ = try? pool.withConnection { connection in
            try connection.query(.init(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"), logger: quietLogger()).wait()
        }
        pool.close()
    }
}
