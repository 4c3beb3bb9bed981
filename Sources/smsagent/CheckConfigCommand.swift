import Agent
import ArgumentParser
import Foundation

struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file and print the effective configuration.",
        discussion: """
            Errors name the file, the line, the key and what was expected, e.g.
              smsagent.yaml:14:18: modems.throttle.min_interval: expected a duration such as 3s, 500ms, 5m, 24h
            Exit status 0 when the configuration can run, 1 otherwise.
            """)

    @Argument(help: "The file to check (default: --config, $SMSAGENT_CONFIG or /etc/smsagent/smsagent.yaml).")
    var file: String?
    @OptionGroup var options: AgentConfigOptions

    func run() async throws {
        let path = file ?? options.resolvedPath
        let configuration: AgentConfiguration
        if let path {
            do {
                configuration = try ConfigurationLoader.load(path: path)
            } catch let error as ConfigurationError {
                throw CLIError(error.description)
            }
        } else {
            configuration = AgentConfiguration()
        }
        print("# effective configuration\(path.map { " of \($0)" } ?? " (built-in defaults: no file given)")")
        print(configuration.effectiveYAML(), terminator: "")
        let source = path ?? "<built-in defaults>"
        var problems: [String] = []
        if configuration.sender.brand == nil && configuration.compliance.mode == .marketing {
            problems.append("\(Self.location(source, key: "sender", in: path)): sender.brand: required — every marketing SMS must name the advertiser (CPCE L34-5)")
        }
        if configuration.modems.devices.isEmpty && configuration.modems.simulated.isEmpty && !configuration.modems.discovery {
            problems.append("\(Self.location(source, key: "modems", in: path)): modems: no devices, no simulated modems and discovery off — nothing to send with")
        }
        let hooks = configuration.hooks
        for (key, command) in [("on_receive", hooks.onReceive), ("on_sent", hooks.onSent), ("on_failed", hooks.onFailed)] {
            guard let program = command.first else { continue }
            if let problem = Self.hookProblem(program) {
                problems.append("\(Self.location(source, key: key, in: path)): hooks.\(key): \(problem)")
            }
        }
        var warnings: [String] = []
        if configuration.sender.stopNumber == nil {
            let unknown = configuration.modems.simulated.filter { $0.enabled && $0.ownNumber == nil }.map(\.name)
            warnings.append("\(source): sender.stop_number: not set, so each SIM's own number (AT+CNUM) goes in the STOP footer; "
                + (unknown.isEmpty ? "a SIM that cannot tell its number" : "simulated modem(s) \(unknown.joined(separator: ", ")) cannot tell theirs, and a SIM that cannot")
                + " sends nothing (no STOP channel for its marketing) until sender.stop_number is set")
        }
        if configuration.modems.throttle.minInterval < .seconds(2) || configuration.modems.throttle.dailyCap == 0 || configuration.modems.throttle.dailyCap > 300 {
            print("# note: operators suspend SIMs that send in bursts (about one every 2-3 s, a few hundred a day); the default is 3s / 200")
        }
        for warning in warnings { Self.standardError("warning: \(warning)") }
        if problems.isEmpty {
            print("# ok")
        } else {
            for problem in problems { Self.standardError("Error: \(problem)") }
            throw ExitCode(1)
        }
    }

    static func standardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// `file:line` of the first line that sets `key` (at any depth), or just the file.
    static func location(_ source: String, key: String, in path: String?) -> String {
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return source }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix(key + ":") || trimmed.hasPrefix("- " + key + ":") { return "\(source):\(index + 1)" }
        }
        return source
    }

    /// Why a hook program cannot run, as the agent would start it (posix_spawnp: a bare name is
    /// looked up in PATH).
    static func hookProblem(_ program: String) -> String? {
        let fm = FileManager.default
        var candidates = [program]
        if !program.contains("/") {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            candidates = path.split(separator: ":").map { "\($0)/\(program)" }
            guard let found = candidates.first(where: { fm.fileExists(atPath: $0) }) else {
                return "\(program) is not found in PATH (\(path))"
            }
            candidates = [found]
        }
        let file = candidates[0]
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: file, isDirectory: &isDirectory) else { return "\(file) does not exist" }
        if isDirectory.boolValue { return "\(file) is a directory" }
        guard fm.isExecutableFile(atPath: file) else { return "\(file) is not executable (chmod +x)" }
        return nil
    }
}
