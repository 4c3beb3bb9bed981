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
