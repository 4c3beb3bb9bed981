import Foundation
import Logging
import ModemKit
import SMSCodec
import Simulator

/// The AT engine's own cost per `AT+CMGS` part: `ModemKit.Modem` against a simulated modem that
/// answers at once, in memory and over a real pseudo-terminal.
enum ModemBenchmark {
    static func run(_ arguments: Arguments, command: String) async throws {
        let sends = arguments.int("-n", 2000)
        let report = Report(name: "modem", command: command)
        let pdus = try SMSSubmitEncoder.encode(
            to: "+33612345678", text: "Bonjour ! Votre commande 4521 est disponible. Retrait dès demain 9h.")
        guard let pdu = pdus.first else { return }
        report.line("ModemKit.Modem.send per AT+CMGS part, simulator with zero latency (generic profile), \(sends) sends after 100 warm-up")
        for link in ["in-memory", "pty"] {
            let samples = try await measure(link: link, sends: sends, pdu: pdu)
            let distribution = Distribution(samples)
            let total = samples.reduce(0, +)
            let rate = Double(samples.count) / total
            report.line("  \(link.padding(toLength: 10, withPad: " ", startingAt: 0)) \(distribution.millisecondsSummary); \(Int(rate.rounded())) parts/s (one modem, sequential)")
            var figures = distribution.json
            figures["parts_per_second"] = rate
            report.figures[link] = figures
        }
        report.line("  (a part = AT+CMGS=<n>, the > prompt, PDU + Ctrl-Z, +CMGS: <mr> and OK; the simulator's own work is included)")
        report.emit(json: arguments.json)
    }

    static func measure(link: String, sends: Int, pdu: SubmitPDU) async throws -> [Double] {
        var configuration = SimulatorConfiguration.fast
        configuration.statusReports = false
        configuration.name = "bench-\(link)"
        let simulator = SimulatedModem(profile: .generic, configuration: configuration, logger: Logger(label: "bench.sim"))
        let transport: any ByteTransport
        var server: Task<Void, any Error>?
        var pty: PseudoTerminal?
        if link == "pty" {
            let terminal = try PseudoTerminal()
            pty = terminal
            let master = terminal.master
            server = Task { try await simulator.serve(fileDescriptor: master) }
            await simulator.waitForHost()
            transport = try SerialTransport.open(path: terminal.slavePath)
        } else {
            transport = await simulator.connectInMemory()
        }
        let modem = Modem(transport: transport, logger: Logger(label: "bench.modem"))
        try await modem.initialise()
        for _ in 0..<100 { _ = try await modem.send(pdu) }
        var samples = [Double]()
        samples.reserveCapacity(sends)
        for _ in 0..<sends {
            let start = monotonicSeconds()
            _ = try await modem.send(pdu)
            samples.append(monotonicSeconds() - start)
        }
        await modem.close()
        server?.cancel()
        _ = await server?.result
        pty?.unplug()
        await simulator.shutdown()
        return samples
    }
}
