import Foundation

/// A throw-away installation: a data directory, a config file, and the commands run against it
/// (`smsagent run` as a long-lived child; `send`, `campaign`, `status` as one-shot commands).
final class AgentInstallation: @unchecked Sendable {
    let directory: TemporaryDirectory
    let dataDirectory: String
    let configPath: String
    var environment: [String: String]
    private(set) var children: [ChildProcess] = []

    /// `config` is the YAML body; `data_directory` is added (it points into the temp directory).
    init(config: String, environment: [String: String] = [:], directory: TemporaryDirectory? = nil) throws {
        self.directory = try directory ?? TemporaryDirectory()
        dataDirectory = self.directory.file("data").path
        configPath = self.directory.file("smsagent.yaml").path
        self.environment = environment
        try writeConfig(config)
    }

    func writeConfig(_ body: String) throws {
        try ("data_directory: \(dataDirectory)\n" + body).write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts `smsagent run --config …` and waits until it says it is running.
    @discardableResult
    func startAgent(waitFor readiness: String = "agent running", timeout: Duration = .seconds(20)) async throws -> ChildProcess {
        let child = try ChildProcess(name: "smsagent run", executable: try SMSAgentBinary.url(),
                                     arguments: ["run", "--config", configPath], environment: environment)
        children.append(child)
        try await child.waitForOutput(containing: readiness, timeout: timeout)
        return child
    }

    /// Runs a one-shot command to completion; returns its exit status and output.
    func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try ChildProcess(name: "smsagent \(arguments.first ?? "")", executable: try SMSAgentBinary.url(),
                                     arguments: arguments + ["--config", configPath], environment: environment)
        children.append(child)
        child.closeStdin()
        let status = try await child.waitForExit(timeout: timeout)
        // Let the pipes drain.
        try? await Wait.until("output drained", timeout: .milliseconds(200)) { false }
        return (status, child.stdout, child.stderr)
    }

    // MARK: - Reading the data directory

    func outboxFiles(_ state: String) -> [String] {
        let path = "\(dataDirectory)/outbox/\(state)"
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    func outboxMessage(_ state: String, _ file: String) -> [String: Any]? {
        let path = "\(dataDirectory)/outbox/\(state)/\(file)"
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    func outboxMessages(_ state: String) -> [[String: Any]] {
        outboxFiles(state).compactMap { outboxMessage(state, $0) }
    }

    /// Rows of a CSV file in the data directory as dictionaries keyed by the header.
    func csvRows(_ name: String) -> [[String: String]] {
        guard let text = try? String(contentsOfFile: "\(dataDirectory)/\(name)", encoding: .utf8) else { return [] }
        let lines = CSV.parse(text)
        guard let header = lines.first else { return [] }
        return lines.dropFirst().filter { $0 != [""] }.map { fields in
            Dictionary(uniqueKeysWithValues: zip(header, fields + Array(repeating: "", count: max(0, header.count - fields.count))).map { ($0, $1) })
        }
    }

    var statusJSON: [String: Any]? {
        guard let data = FileManager.default.contents(atPath: "\(dataDirectory)/status.json") else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// Kills every child still running (call at the end of every test).
    func stopAll() {
        for child in children { child.stop() }
    }

    var transcripts: String { children.map(\.transcript).joined(separator: "\n") }

    deinit { stopAll() }
}

/// RFC 4180 CSV (quotes, doubled quotes, commas and newlines inside quotes).
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var iterator = Array(text).makeIterator()
        var pending: Character? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { inQuotes = false; pending = next }
                    } else { inQuotes = false }
                } else { field.append(c) }
            } else {
                switch c {
                case "\"": inQuotes = true
                case ",": row.append(field); field = ""
                case "\n", "\r\n": row.append(field); rows.append(row); row = []; field = ""
                case "\r": break
                default: field.append(c)
                }
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
