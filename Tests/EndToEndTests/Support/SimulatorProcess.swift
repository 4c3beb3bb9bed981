import Foundation

/// One `smsagent simulate` process: a simulated modem on a pseudo-terminal, with a symlink to its
/// pty, stdin control commands and a `--record` JSONL file of every accepted submission.
final class SimulatorProcess: @unchecked Sendable {
    let child: ChildProcess
    /// The stable symlink to the pty (what the agent's config names).
    let linkPath: String
    let recordPath: String

    /// Starts a simulator with latency 0 and waits until its pty exists.
    init(name: String, in directory: TemporaryDirectory, ownNumber: String? = nil, extraArguments: [String] = [], timeout: Duration = .seconds(10)) async throws {
        linkPath = directory.file("\(name).tty").path
        recordPath = directory.file("\(name).jsonl").path
        var arguments = ["simulate", "--link", linkPath, "--record", recordPath, "--latency", "0"]
        if let ownNumber { arguments += ["--own-number", ownNumber] }
        arguments += extraArguments
        child = try ChildProcess(name: "simulate \(name)", executable: try SMSAgentBinary.url(), arguments: arguments)
        let link = linkPath
        try await Wait.until("simulator \(name) creates \(link)", timeout: timeout, diagnostics: { [child] in child.transcript }) {
            FileManager.default.fileExists(atPath: link)
        }
    }

    /// A control command on the simulator's stdin: `unplug`, `inbound +336… Stop`, `fault cms 500`.
    func command(_ line: String) throws { try child.send(line: line) }

    /// Every submission the simulator accepted, one JSON object per line of the record file.
    func submissions() -> [SimulatorSubmission] {
        recordLines().filter { $0.json["abandoned"] == nil }
    }

    /// PDUs the agent entered after a `> ` prompt and cancelled before their Ctrl-Z (never sent).
    func abandonedPDUs() -> [SimulatorSubmission] {
        recordLines().filter { $0.json["abandoned"] as? Bool == true }
    }

    private func recordLines() -> [SimulatorSubmission] {
        guard let text = try? String(contentsOfFile: recordPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let data = line.data(using: .utf8),
                  let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
            return SimulatorSubmission(json: object)
        }
    }

    func stop() { child.stop() }

    /// Whether the record line is a complete message (multi-part ones missing parts are written at exit).
    func completeSubmissions() -> [SimulatorSubmission] {
        submissions().filter { ($0.json["complete"] as? Bool) ?? true }
    }
}

/// One line of a simulator's `--record` file, read leniently (number, text, parts).
struct SimulatorSubmission: @unchecked Sendable {
    let json: [String: Any]

    var number: String {
        for key in ["number", "to", "recipient", "destination"] { if let v = json[key] as? String { return v } }
        return ""
    }
    var text: String {
        for key in ["text", "body"] { if let v = json[key] as? String { return v } }
        return ""
    }
    /// Parts the network accepted (what is charged).
    var segments: Int {
        for key in ["parts", "segments"] {
            if let v = json[key] as? Int { return v }
            if let v = json[key] as? [Any] { return v.count }
        }
        return 1
    }
}
