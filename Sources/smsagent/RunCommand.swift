import Agent
import ArgumentParser
import Foundation
import Logging
import Records
import ServiceLifecycle

/// `--config FILE`, shared by the agent's commands.
struct AgentConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file.", discussion: "Default: $SMSAGENT_CONFIG, else /etc/smsagent/smsagent.yaml if it exists, else the built-in defaults.", valueName: "FILE"))
    var config: String?

    /// The path that will be read, if any.
    var resolvedPath: String? {
        if let config { return config }
        if let env = ProcessInfo.processInfo.environment["SMSAGENT_CONFIG"], !env.isEmpty { return env }
        let system = "/etc/smsagent/smsagent.yaml"
        return FileManager.default.fileExists(atPath: system) ? system : nil
    }

    func load() throws -> AgentConfiguration {
        guard let path = resolvedPath else { return AgentConfiguration() }
        do {
            return try ConfigurationLoader.load(path: path)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }

    /// Opens the data directory for a command that only reads or appends (no lock: the running
    /// agent may hold it; every append is atomic).
    func openDataDirectory(_ configuration: AgentConfiguration) throws -> DataDirectory {
        do {
            return try DataDirectory(path: configuration.dataDirectory, options: .init(
                hashOptOuts: configuration.inbound.hashOptOuts, openingBalance: configuration.credits.openingBalance))
        } catch {
            throw CLIError("cannot open the data directory \(configuration.dataDirectory): \(error)")
        }
    }
}

extension AgentConfigOptions {
    /// Read-only commands (`status`, `inbox`, `credits`, `optouts list` …) stop here when the data
    /// directory does not exist, instead of creating an empty one.
    static func requireExistingDataDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError("the data directory \(path) does not exist: nothing has run here (check data_directory or --data-dir)")
        }
        guard isDirectory.boolValue else { throw CLIError("\(path) is not a directory (data_directory)") }
    }
}

/// A one-line error for the person at the terminal (exit status 1).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum AgentLogging {
    /// Logs to stderr at `level` (once per process).
    static func bootstrap(level: String) {
        let logLevel = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent: send the outbox through the modems, read inbound SMS, until SIGTERM/SIGINT.",
        discussion: """
            Takes the data directory's lock, settles what an interrupted run left in outbox/sending/ \
            (sending.ambiguous_window), starts one worker per modem, and sends every message that lands \
            in outbox/new/ (noticed at once through inotify). SIGTERM or SIGINT: the commands in flight \
            finish, then the agent exits 0. SMSAGENT_FAKE_NOW=ISO8601 starts the agent's clock at that \
            instant (for trying quiet hours).
            """)

    @OptionGroup var options: AgentConfigOptions

    func run() async throws {
        let configuration = try options.load()
        AgentLogging.bootstrap(level: configuration.logLevel)
        let logger = Logger(label: "smsagent")
        let clock: any AgentClock
        do { clock = try AgentClocks.fromEnvironment() } catch { throw CLIError("\(error)") }
        let runtime = AgentRuntime(configuration: configuration, clock: clock, logger: logger)
        let http = try HTTPServing.services(configuration, clock: clock, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: runtime, successTerminationBehavior: .gracefullyShutdownGroup,
                             failureTerminationBehavior: .gracefullyShutdownGroup)] + http,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch let error as AgentStartError {
            throw CLIError(error.description)
        } catch let error as ServiceGroupError {
            throw CLIError("\(error)")
        }
    }
}
