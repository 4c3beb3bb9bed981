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
        var problems: [String] = []
        if configuration.sender.brand == nil && configuration.compliance.mode == .marketing {
            problems.append("sender.brand: required — every marketing SMS must name the advertiser (CPCE L34-5)")
        }
        if configuration.modems.devices.isEmpty && configuration.modems.simulated.isEmpty && !configuration.modems.discovery {
            problems.append("modems: no devices, no simulated modems and discovery off — nothing to send with")
        }
        if configuration.modems.throttle.minInterval < .seconds(2) || configuration.modems.throttle.dailyCap == 0 || configuration.modems.throttle.dailyCap > 300 {
            print("# note: operators suspend SIMs that send in bursts (about one every 2-3 s, a few hundred a day); the default is 3s / 200")
        }
        if problems.isEmpty {
            print("# ok")
        } else {
            for problem in problems { print("# error: \(problem)") }
            throw ExitCode(1)
        }
    }
}
