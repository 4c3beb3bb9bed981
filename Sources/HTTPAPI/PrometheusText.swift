import Agent
import Foundation
import Records

/// `GET /metrics` in the Prometheus text exposition format (version 0.0.4), computed from the
/// records at each scrape — the files are the truth, so a restarted agent does not reset a
/// counter to zero.
enum PrometheusText {
    static func render(_ backend: APIBackend) throws -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Int)]) {
            metric(name, type, help, samples.map { ($0.labels, String($0.value)) })
        }
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            metric(name, type, help, samples.map { ($0.labels, $0.value.isFinite ? String(format: "%.3f", $0.value) : "0") })
        }
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, text: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples { out += name + (sample.labels.isEmpty ? "" : "{\(sample.labels)}") + " \(sample.text)\n" }
        }
        func label(_ value: String) -> String {
            value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        }
        let data = backend.data
        let counts = try data.records.outbox.counts()
        var suppressed = 0, failed = 0
        for message in try data.records.messagesIn(.failed) {
            if message.result?.status == .suppressed { suppressed += 1 } else { failed += 1 }
        }
        metric("smsagent_messages", "gauge", "Messages in the outbox by state.", [
            ("state=\"queued\"", counts.new), ("state=\"sending\"", counts.sending), ("state=\"sent\"", counts.sent),
            ("state=\"failed\"", failed), ("state=\"suppressed\"", suppressed),
        ])
        metric("smsagent_queue_depth", "gauge", "Messages waiting in outbox/new.", [("", counts.new)])
        let rows = try data.records.ledger.rows().filter { $0.part != nil }
        metric("smsagent_parts_sent_total", "counter", "Segments the network accepted.", [("", rows.reduce(0) { $0 + $1.segments })])
        metric("smsagent_credits_spent_total", "counter", "Credits spent.", [("", rows.reduce(0) { $0 + $1.credits })])
        metric("smsagent_credits_balance", "gauge", "Credits left.", [("", try data.records.ledger.balance())])
        metric("smsagent_optouts", "gauge", "Numbers opted out now.", [("", try data.records.optOuts.optedOutCount())])
        let inbox = try data.records.inbox.all()
        metric("smsagent_inbound_total", "counter", "Inbound SMS archived.", [("", inbox.count)])
        if let status = try? StatusSnapshot.read(dataDirectory: data.path) {
            metric("smsagent_modem_up", "gauge", "1 when the modem is ready or sending.",
                   status.modems.map { ("modem=\"\(label($0.id))\"", ["ready", "sending"].contains($0.state) ? 1 : 0) })
            metric("smsagent_modem_signal_dbm", "gauge", "Signal strength reported by the modem.",
                   status.modems.compactMap { m in m.signalDBm.map { ("modem=\"\(label(m.id))\"", $0) } })
            metric("smsagent_modem_sent_total", "counter", "Messages sent by the modem since the agent started.",
                   status.modems.map { ("modem=\"\(label($0.id))\"", $0.sent) })
            metric("smsagent_modem_failed_total", "counter", "Messages that failed on the modem since the agent started.",
                   status.modems.map { ("modem=\"\(label($0.id))\"", $0.failed) })
            metric("smsagent_modem_sent_today", "gauge", "Segments sent today (the throttle's daily count).",
                   status.modems.map { ("modem=\"\(label($0.id))\"", $0.throttle.sentToday) })
            // Busy: from the first part's AT+CMGS to the last part's result. The counter is what
            // rate() wants; the ratio since start is for a glance without PromQL.
            metric("smsagent_modem_busy_seconds_total", "counter", "Seconds the modem spent sending since the agent started.",
                   status.modems.map { ("modem=\"\(label($0.id))\"", $0.busySeconds ?? 0) })
            let uptime = status.updatedAt.timeIntervalSince(status.startedAt)
            metric("smsagent_modem_busy_ratio", "gauge", "Share of the time since the agent started that the modem spent sending (0-1).",
                   status.modems.map { ("modem=\"\(label($0.id))\"", uptime > 0 ? min(1, ($0.busySeconds ?? 0) / uptime) : 0) })
        }
        return out
    }
}
