/// The one-line `STATUS=` text `systemctl status smsagent` shows: modems ready, queue depth.
public enum SystemdStatus {
    /// e.g. `2/2 modems ready; queue: 3 new, 1 sending; 40 sent, 0 failed`.
    public static func line(_ snapshot: StatusSnapshot) -> String {
        let working: Set<String> = ["ready", "sending"]
        let present = snapshot.modems.filter { $0.state != "removed" }
        let ready = present.filter { working.contains($0.state) }.count
        let queue = snapshot.queue
        var line = present.isEmpty ? "no modem yet" : "\(ready)/\(present.count) modem\(present.count == 1 ? "" : "s") ready"
        line += "; queue: \(queue.new) new, \(queue.sending) sending; \(queue.sent) sent, \(queue.failed) failed"
        if queue.waitingForCredits { line += "; waiting for credits" }
        return line
    }
}
