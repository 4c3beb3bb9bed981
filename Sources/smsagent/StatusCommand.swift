import Agent
import ArgumentParser
import Foundation
import Records

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "What the running agent is doing: modems, queue, credits, opt-outs.",
        discussion: "Reads status.json in the data directory (rewritten by `smsagent run` on every change and every status_interval).")

    @OptionGroup var options: AgentConfigOptions
    @Flag(help: "Print status.json as is.")
    var json = false

    func run() async throws {
        let configuration = try options.load()
        let path = configuration.dataDirectory
        try AgentConfigOptions.requireExistingDataDirectory(path)
        let snapshot: StatusSnapshot
        do {
            snapshot = try StatusSnapshot.read(dataDirectory: path)
        } catch {
            print("no status.json in \(path): the agent has not run here yet")
            if let dataDirectory = try? options.openDataDirectory(configuration), let counts = try? dataDirectory.outbox.counts() {
                print("outbox: \(counts.new) queued, \(counts.sending) sending, \(counts.sent) sent, \(counts.failed) failed")
                if let balance = try? dataDirectory.ledger.balance() { print("credits: \(balance)") }
            }
            return
        }
        if json {
            if let data = FileManager.default.contents(atPath: path + "/" + StatusSnapshot.fileName) {
                print(String(decoding: data, as: UTF8.self))
            }
            return
        }
        let running = snapshot.state != "stopped" && kill(snapshot.pid, 0) == 0
        let age = Int(exactly: Date().timeIntervalSince(snapshot.updatedAt).rounded()) ?? 0
        print("agent: \(running ? "running (pid \(snapshot.pid))" : "not running (last seen \(age) s ago)"), since \(Self.format(snapshot.startedAt))")
        print("queue: \(snapshot.queue.new) queued, \(snapshot.queue.sending) sending, \(snapshot.queue.sent) sent, \(snapshot.queue.failed) failed or suppressed"
              + (snapshot.queue.waitingForCredits ? " — WAITING FOR CREDITS" : ""))
        print("credits: \(snapshot.credits.balance) left\(snapshot.credits.reserved > 0 ? " (\(snapshot.credits.reserved) reserved)" : "")\(snapshot.credits.low ? " — LOW" : "")")
        print("opt-outs: \(snapshot.optOuts)")
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
            if let error = m.lastError { print("    last error: \(error)") }
        }
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = .current
        return formatter.string(from: date)
    }
}
