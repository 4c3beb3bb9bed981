import Agent
import Records
import Foundation
import HTTPAPI
import Logging
import ServiceLifecycle

/// The HTTP API and dashboard as members of the agent's `ServiceGroup` (`run`, `demo --serve`).
///
/// A front door that fails (the port is taken, say) is logged by the group and does not stop the
/// agent: sending, receiving and the opt-outs go on, and the CLI still works.
enum HTTPServing {
    static func services(_ configuration: AgentConfiguration, clock: any AgentClock, logger: Logger,
                         onListening: @escaping @Sendable (String, Int) async -> Void = { host, port in
                             Logger(label: "smsagent.http").info("HTTP API and dashboard listening", metadata: ["http.address": "\(host):\(port)"])
                         }) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard configuration.http.listen != nil else { return [] }
        if configuration.records.backend != .files {
            // The database may be down at start: the API waits for it as the agent does.
            return [.init(service: SharedRecordsHTTP(configuration: configuration, clock: clock, logger: logger, onListening: onListening),
                          successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore)]
        }
        let data: DataDirectory
        do {
            var options = DataDirectory.Options(
                hashOptOuts: configuration.inbound.hashOptOuts, openingBalance: configuration.credits.openingBalance,
                permissions: .matching(dataDirectory: configuration.dataDirectory), logger: logger)
            // records.backend: postgres — the API reads and writes the shared database.
            options.shared = try RecordsBackends.openShared(configuration, agent: false, logger: logger)?.records
            // Files: the agent's own DataDirectory (`smsagent run` shares it within the process).
            data = try DataDirectory.shared(path: configuration.dataDirectory, options: options)
        } catch {
            throw CLIError("cannot open the data directory \(configuration.dataDirectory): \(error)")
        }
        do {
            return try HTTPAPIServer.services(configuration: configuration, data: data, clock: clock, logger: logger, onListening: onListening)
                .map { .init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore) }
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// The HTTP API over shared records (`records.backend: postgres`): it opens the database when it
/// answers — at once, or after the same growing pauses as the agent (1 s doubling to 30 s) while
/// it does not — then serves until the group shuts down.
struct SharedRecordsHTTP: Service {
    let configuration: AgentConfiguration
    let clock: any AgentClock
    let logger: Logger
    let onListening: @Sendable (String, Int) async -> Void

    func run() async throws {
        let configuration = self.configuration
        let logger = self.logger
        let url = configuration.records.displayURL ?? "(no records.url)"
        var pause: Duration = .seconds(1)
        var opened: RecordsBackends.Opened?
        while opened == nil {
            do {
                opened = try await AgentRuntime.onOwnThread {
                    try RecordsBackends.openShared(configuration, agent: false, logger: logger)
                }
            } catch where error.isTransientRecordsError {
                logger.warning("HTTP API waits for the records database", metadata: [
                    "database": "\(url)", "error": "\(error)", "retry_in": "\(DurationText.format(pause))"])
                let wait = pause
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
                } catch {
                    return   // shutting down before the database answered
                }
                pause = min(.seconds(30), pause * 2)
            }
        }
        guard let opened else { return }
        defer { opened.close() }
        var options = DataDirectory.Options(
            hashOptOuts: configuration.inbound.hashOptOuts, openingBalance: configuration.credits.openingBalance,
            permissions: .matching(dataDirectory: configuration.dataDirectory), logger: logger)
        options.shared = opened.records
        let data = try DataDirectory.shared(path: configuration.dataDirectory, options: options)
        let services = try HTTPAPIServer.services(configuration: configuration, data: data, clock: clock, logger: logger, onListening: onListening)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            try await group.waitForAll()
        }
    }
}
