import Agent
import Foundation
import HTTPAPI
import Logging
import Records
import ServiceLifecycle
import Simulator

/// `smsagent demo --serve`: the demo's agent and two simulated modems, kept running with the HTTP
/// API and the dashboard, until SIGINT/SIGTERM. Prints the dashboard's login address, and one
/// `network:` line per SMS the simulated network receives (what a phone would get). One reply is
/// waiting for review when it starts ("Merci, mais stop les promos svp" — STOP, but not as the rule
/// wants), so the Replies page has something to decide.
struct DemoServe {
    var listen: String
    var keep: Bool
    var verbose: Bool

    func run() async throws {
        AgentLogging.bootstrap(level: verbose ? "info" : "error")
        let logger = Logger(label: "smsagent.demo")
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("smsagent-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(at: base) } }
        let dataPath = base.appendingPathComponent("data").path

        var configuration = AgentConfiguration()
        configuration.dataDirectory = dataPath
        configuration.sender.brand = "Boulangerie Martin"
        configuration.modems.discovery = false
        configuration.modems.throttle = ThrottleSettings(minInterval: .milliseconds(500), dailyCap: 0)
        configuration.inbound.pollInterval = .seconds(2)
        configuration.statusInterval = .seconds(1)
        configuration.credits.openingBalance = 100
        configuration.credits.lowBalanceWarning = 20
        configuration.http.listen = listen
        let clock = SystemClock()
        if !configuration.compliance.quietHours.isOpen(at: clock.now(), timeZone: TimeZone(identifier: "Europe/Paris") ?? .current) {
            configuration.compliance.quietHours = .none
        }
        let simA = SimulatedModem(profile: .huawei, configuration: DemoCommand.simulator("shop-a", "+33600000001"), logger: logger)
        let simB = SimulatedModem(profile: .simcom, configuration: DemoCommand.simulator("shop-b", "+33600000002"), logger: logger)
        let endpoints = [ModemEndpoint.simulated(simA, id: "shop-a", throttle: configuration.modems.throttle),
                         ModemEndpoint.simulated(simB, id: "shop-b", throttle: configuration.modems.throttle)]
        let ready = Doorbell()
        let runtime = AgentRuntime(configuration: configuration, clock: clock, logger: logger, extraEndpoints: endpoints, ready: ready)
        _ = try DataDirectory(path: dataPath, options: .init(openingBalance: configuration.credits.openingBalance))
        let token: String
        do { token = try TokenStore(dataDirectory: dataPath).create(name: "demo", readOnly: false) } catch { throw CLIError("\(error)") }

        say("""
            smsagent demo --serve — the agent on two simulated modems, with the HTTP API and the dashboard
              shop-a (SIM +33600000001) and shop-b (SIM +33600000002); data directory: \(dataPath)
              API token (also the dashboard's login): \(token)
            """)
        let http = try HTTPServing.services(configuration, clock: clock, logger: logger) { host, port in
            say("dashboard: \(HTTPAPIServer.loginURL(listen: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)", token: token))")
            say("stop with Ctrl-C")
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: runtime, successTerminationBehavior: .gracefullyShutdownGroup,
                             failureTerminationBehavior: .gracefullyShutdownGroup)] + http,
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                await ready.wait(upTo: .seconds(10))
                _ = try? await simA.injectInbound(from: "+33612345609", text: "Merci, mais stop les promos svp")
                // What the simulated network received, as it arrives.
                var seen = ["shop-a": 0, "shop-b": 0]
                while !Task.isCancelled {
                    for (name, sim) in [("shop-a", simA), ("shop-b", simB)] {
                        let submitted = await sim.submitted
                        for message in submitted.dropFirst(seen[name] ?? 0) {
                            let text = message.text.replacingOccurrences(of: "\n", with: " ⏎ ")
                            say("network: \(name) → \(message.number) [\(message.parts) part\(message.parts == 1 ? "" : "s")] \(text)")
                        }
                        seen[name] = submitted.count
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            try await tasks.next()
            tasks.cancelAll()
        }
    }

    /// Unbuffered: the browser test reads these lines through a pipe as they come.
    func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
