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
        if let denied = Self.permissionDenied(configuration.dataDirectory) { throw denied }
        // records.backend: postgres — the commands read and write the shared database.
        let shared: RecordsBackends.Opened?
        do {
            shared = try RecordsBackends.openShared(configuration, agent: false, logger: Logger(label: "smsagent.records"))
        } catch {
            throw CLIError("cannot open the records database \(configuration.records.displayURL ?? ""): \(error)")
        }
        do {
            var options = DataDirectory.Options(
                hashOptOuts: configuration.inbound.hashOptOuts, openingBalance: configuration.credits.openingBalance,
                permissions: .matching(dataDirectory: configuration.dataDirectory))
            options.shared = shared?.records
            return try DataDirectory(path: configuration.dataDirectory, options: options)
        } catch RecordsError.system(_, let path, EACCES) {
            throw CLIError("permission denied on \(path): add yourself to group \(Self.group(of: configuration.dataDirectory))")
        } catch {
            throw CLIError("cannot open the data directory \(configuration.dataDirectory): \(error)")
        }
    }

    /// One clear line for someone outside the data directory's group (instead of "the agent has
    /// not run here yet" or an errno deep in a file name).
    static func permissionDenied(_ path: String) -> CLIError? {
        guard access(path, F_OK) == 0, access(path, R_OK | W_OK | X_OK) != 0, errno == EACCES else { return nil }
        return CLIError("permission denied on \(path): add yourself to group \(group(of: path))")
    }

    /// The name of the group owning `path` (the operators' group), or its number.
    static func group(of path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "smsagent" }
        if let entry = getgrgid(info.st_gid), let name = entry.pointee.gr_name { return String(cString: name) }
        return "\(info.st_gid)"
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
    /// Under systemd with stderr on the journal (`$JOURNAL_STREAM`), each line carries its
    /// syslog priority so `journalctl -p warning` works; elsewhere the human format.
    static func bootstrap(level: String) {
        let logLevel = Logger.Level(rawValue: level) ?? .info
        let destination = LogDestination.detect(environment: ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { label in
            switch destination {
            case .journal:
                var handler = JournalLogHandler(label: label)
                handler.logLevel = logLevel
                return handler
            case .plain:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = logLevel
                return handler
            }
        }
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent: send the outbox through the modems, read inbound SMS, until SIGTERM/SIGINT.",
        discussion: """
            Under systemd (Type=notify) it reports READY=1, STATUS= lines and watchdog keep-alives. \
            SIGHUP (systemctl reload) re-reads the configuration and applies it, except data_directory \
            and log_level (logged; restart for those); a file with an error changes nothing. \
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
        let environment = ProcessInfo.processInfo.environment
        let path = options.resolvedPath
        let supervisor = AgentSupervisor(
            configuration: configuration, reread: { try path.map(ConfigurationLoader.load(path:)) ?? AgentConfiguration() }, clock: clock, logger: logger,
            notifier: SystemdNotifier(environment: environment), watchdog: SystemdWatchdog.period(environment: environment))
        // SIGHUP (`systemctl reload smsagent`): re-read the configuration.
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler { Task { await supervisor.reload() } }
        hangup.resume()
        defer { hangup.cancel() }
        // The agent and its HTTP API share one DataDirectory (one load of the opt-out list).
        DataDirectory.shareWithinProcess()
        let http = try HTTPServing.services(configuration, clock: clock, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: supervisor, successTerminationBehavior: .gracefullyShutdownGroup,
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
