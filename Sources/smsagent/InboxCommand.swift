import Agent
import ArgumentParser
import Foundation
import Records

struct InboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbox",
        abstract: "Inbound SMS archived by the agent (inbox.csv), newest last.",
        discussion: """
            Every inbound SMS is archived before it leaves the SIM, with what the keyword rule said: \
            optout:STOP, optin:START, help:AIDE, review:STOP (mentions a keyword without matching the rule — \
            a person should read it), or none. --review lists only those to read. --deliveries lists the \
            delivery reports (deliveries.csv, with sending.status_reports on) instead.
            """)

    @OptionGroup var options: InboundDataOptions
    @Flag(help: "Only messages kept for review (a keyword mentioned without matching the rule).") var review = false
    @Flag(help: "The delivery reports (deliveries.csv) instead of the messages.") var deliveries = false
    @Flag(help: "JSON instead of a table.") var json = false
    @Option(help: "Show the last N messages (0: all).") var limit = 50

    func validate() throws {
        if review && deliveries { throw ValidationError("--review and --deliveries list different files: choose one") }
    }

    func run() async throws {
        let (configuration, data) = try options.openExisting()
        let timeZone = configuration.compliance.zone
        if deliveries {
            try showDeliveries(DeliveryReportLog(path: data.path + "/" + DeliveryReportLog.fileName), timeZone: timeZone)
            return
        }
        var records = review ? try data.records.inbox.review() : try data.records.inbox.all()
        let total = records.count
        if limit > 0 && records.count > limit { records = Array(records.suffix(limit)) }
        if json {
            print(InboundFormat.json(records.map { r -> [String: Any] in
                var object: [String: Any] = ["received_at": RecordTime.iso(r.receivedAt), "from": r.from, "text": r.text,
                                             "modem": r.modem, "parts": r.parts, "keyword_result": r.keywordResult,
                                             "status": r.status, "fingerprint": r.fingerprint]
                if let sentAt = r.sentAt { object["sent_at"] = RecordTime.iso(sentAt) }
                return object
            }))
            return
        }
        let what = review ? "to review" : "archived"
        print("\(total) message\(total == 1 ? "" : "s") \(what)\(records.count < total ? " (last \(records.count) shown)" : "")")
        guard !records.isEmpty else { return }
        print(InboundFormat.table(["RECEIVED", "FROM", "MODEM", "RESULT", "TEXT"], records.map { r in
            var text = r.text.replacingOccurrences(of: "\n", with: " ")
            if text.count > 60 { text = String(text.prefix(59)) + "…" }
            if r.status != "complete" { text = "[\(r.status)] " + text }
            // Hashed mode keeps the sender of a STOP as an HMAC: shown shortened (--json has it whole).
            let from = r.from.isEmpty ? "-" : r.from.hasPrefix("hmac:") ? String(r.from.prefix(17)) + "…" : r.from
            return [InboundFormat.time(r.receivedAt, timeZone), from, r.modem, r.keywordResult, text]
        }))
    }

    /// `deliveries.csv`: received_at, message_id, part, modem, reference, recipient, status, meaning, delivered, discharged_at.
    func showDeliveries(_ log: DeliveryReportLog, timeZone: TimeZone) throws {
        var lines = try log.lines().filter { $0.count >= 10 }
        let total = lines.count
        if limit > 0 && lines.count > limit { lines = Array(lines.suffix(limit)) }
        let keys = ["received_at", "message_id", "part", "modem", "reference", "recipient", "status", "meaning", "delivered", "discharged_at"]
        if json {
            print(InboundFormat.json(lines.map { fields in
                Dictionary(uniqueKeysWithValues: zip(keys, fields).map { ($0.0, $0.1 as Any) })
            }))
            return
        }
        print("\(total) delivery report\(total == 1 ? "" : "s")\(lines.count < total ? " (last \(lines.count) shown)" : "")")
        guard !lines.isEmpty else { return }
        print(InboundFormat.table(["DISCHARGED", "MESSAGE", "PART", "TO", "MODEM", "DELIVERED", "MEANING"], lines.map { f in
            let discharged = AgentClocks.parseISO8601(f[9]).map { InboundFormat.time($0, timeZone) } ?? f[9]
            return [discharged, f[1].isEmpty ? "(no match)" : f[1], f[2].isEmpty ? "-" : f[2], f[5], f[3], f[8], f[7]]
        }))
    }
}
