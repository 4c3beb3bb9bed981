import Agent
import ArgumentParser
import Foundation
import Records

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "What the running agent is doing: modems, queue, credits, opt-outs.",
        discussion: """
            Reads status.json in the data directory (rewritten by `smsagent run` on every change and every \
            status_interval). Exit status 0 when the agent is running, 3 when it is not (never ran, stopped, \
            or died), 1 on an error. --json always prints one JSON object (with "running").
            """)

    @OptionGroup var options: AgentConfigOptions
    @Flag(help: "Print status.json as one JSON object, with \"running\" added (always JSON, also when the agent never ran).")
    var json = false

    func run() async throws {
        let configuration = try options.load()
        let path = configuration.dataDirectory
        if let denied = AgentConfigOptions.permissionDenied(path) {
            if json { Self.printJSON(["running": false, "error": denied.description, "data_directory": path]) }
            throw denied
        }
        do {
            try AgentConfigOptions.requireExistingDataDirectory(path)
        } catch {
            // Not running (exit 3, for monitoring), and nothing created.
            if json {
                Self.printJSON(["running": false, "state": "no_data_directory", "error": "\(error)", "data_directory": path])
            } else {
                FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            }
            throw ExitCode(Self.notRunning)
        }
        let snapshot: StatusSnapshot
        do {
            snapshot = try StatusSnapshot.read(dataDirectory: path)
        } catch {
            let counts = (try? options.openDataDirectory(configuration)).flatMap { try? $0.records.outbox.counts() }
            if json {
                var object: [String: Any] = ["running": false, "state": "never_run", "data_directory": path]
                if let counts {
                    object["queue"] = ["new": counts.new, "sending": counts.sending, "sent": counts.sent, "failed": counts.failed]
                }
                Self.printJSON(object)
            } else {
                print("no status.json in \(path): the agent has not run here yet")
                if let counts {
                    print("outbox: \(counts.new) queued, \(counts.sending) sending, \(counts.sent) sent, \(counts.failed) failed")
                }
            }
            throw ExitCode(Self.notRunning)
        }
        // EPERM: alive, owned by the service account (an operator asking).
        let running = snapshot.state != "stopped" && (kill(snapshot.pid, 0) == 0 || errno == EPERM)
        if json {
            // status.json as written, plus whether its writer still runs.
            let data = FileManager.default.contents(atPath: path + "/" + StatusSnapshot.fileName) ?? Data()
            var object = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]) ?? [:]
            object["running"] = running
            Self.printJSON(object)
            if !running { throw ExitCode(Self.notRunning) }
            return
        }
        let age = Int(exactly: Date().timeIntervalSince(snapshot.updatedAt).rounded()) ?? 0
        print("agent: \(running ? "running (pid \(snapshot.pid))" : "not running (last seen \(age) s ago)"), since \(Self.format(snapshot.startedAt))")
        print("queue: \(snapshot.queue.new) queued, \(snapshot.queue.sending) sending, \(snapshot.queue.sent) sent, \(snapshot.queue.failed) failed or suppressed"
              + (snapshot.queue.waitingForCredits ? " — WAITING FOR CREDITS" : ""))
        print("credits: \(snapshot.credits.balance) left\(snapshot.credits.reserved > 0 ? " (\(snapshot.credits.reserved) reserved)" : "")\(snapshot.credits.low ? " — LOW" : "")")
        print("opt-outs: \(snapshot.optOuts)")
        if let records = snapshot.records {
            print(records.reachable ? "records: \(records.location)"
                  : "records: \(records.location) UNREACHABLE — messages wait until it answers (\(records.error ?? "no answer"))")
        }
        print("modems:")
        if snapshot.modems.isEmpty { print("  none") }
        for m in snapshot.modems {
            var line = "  \(m.id)  \(m.port)  \(m.state)"
            if let op = m.operatorName { line += "  \(op)" }
            if let reg = m.registration { line += "  \(reg)" }
            if let dbm = m.signalDBm { line += "  \(dbm) dBm" }
            if let used = m.simStorageUsed, let total = m.simStorageTotal { line += "  SIM \(used)/\(total)" }
            print(line)
            var throttle = "    throttle: \(m.throttle.minIntervalMilliseconds) ms, \(m.throttle.sentToday)/\(m.throttle.dailyCap == 0 ? "∞" : String(m.throttle.dailyCap)) today"
            if m.throttle.capReached { throttle += " — daily cap reached" }
            throttle += "; sent \(m.sent), failed \(m.failed)"
            print(throttle)
            if let inbound = m.inbound, inbound != "announced" {
                print("    inbound: \(inbound == "unreadable" ? "unreadable — replies to this SIM (STOP included) cannot be read" : inbound)")
            }
            if let error = m.lastError { print("    last error: \(error)") }
            for warning in m.warnings ?? [] { print("    warning: \(warning)") }
        }
        for warning in snapshot.warnings ?? [] { print("warning: \(warning)") }
        if !running { throw ExitCode(Self.notRunning) }
    }

    /// LSB's "program is not running", as `systemctl status` uses it: for monitoring.
    static let notRunning: Int32 = 3

    static func printJSON(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        print(String(decoding: data, as: UTF8.self))
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = .current
        return formatter.string(from: date)
    }
}
