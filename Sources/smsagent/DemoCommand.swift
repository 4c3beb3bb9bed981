import Agent
import ArgumentParser
import Compliance
import Foundation
import Logging
import Records
import Simulator

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole loop in a few seconds, no hardware: a campaign out, a STOP back, the next campaign suppressed.",
        discussion: """
            Starts the agent in-process on two simulated modems with a throw-away data directory, \
            sends a small campaign, has one recipient reply STOP, and shows the resulting files and \
            the suppression of the next campaign to that number.
            """)

    @Flag(help: "Keep the data directory (its path is printed).")
    var keep = false
    @Flag(name: .shortAndLong, help: "Show the agent's log (info level) on stderr.")
    var verbose = false
    @Flag(help: "Keep the agent running with the HTTP API and dashboard, and print a login address (until Ctrl-C).")
    var serve = false
    @Option(help: "Address of the dashboard with --serve.")
    var listen = "127.0.0.1:8025"

    struct DemoError: Error, CustomStringConvertible { var description: String }

    func run() async throws {
        if serve { return try await DemoServe(listen: listen, keep: keep, verbose: verbose).run() }
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
        configuration.modems.throttle = ThrottleSettings(minInterval: .zero, dailyCap: 0)
        configuration.inbound.pollInterval = .seconds(2)
        configuration.statusInterval = .seconds(1)
        configuration.credits.openingBalance = 100
        let clock = SystemClock()
        let quietNote: String
        if configuration.compliance.quietHours.isOpen(at: clock.now(), timeZone: TimeZone(identifier: "Europe/Paris") ?? .current) {
            quietNote = "quiet hours: fr (Mon–Sat 08:00–20:00, not on public holidays) — open now"
        } else {
            configuration.compliance.quietHours = .none
            quietNote = "quiet hours: it is outside the French sending window now, so the demo turns them off (a real run would hold marketing until it opens)"
        }

        let simA = SimulatedModem(profile: .huawei, configuration: Self.simulator("shop-a", "+33600000001"), logger: logger)
        let simB = SimulatedModem(profile: .simcom, configuration: Self.simulator("shop-b", "+33600000002"), logger: logger)
        let endpoints = [ModemEndpoint.simulated(simA, id: "shop-a", throttle: configuration.modems.throttle),
                         ModemEndpoint.simulated(simB, id: "shop-b", throttle: configuration.modems.throttle)]
        let ready = Doorbell()
        let runtime = AgentRuntime(configuration: configuration, clock: clock, logger: logger, extraEndpoints: endpoints, ready: ready)
        let agent = Task { try await runtime.run() }

        print("""
            smsagent demo — the agent runs in-process on two simulated modems
              shop-a (Huawei dialect, SIM +33600000001) and shop-b (SIMCom dialect, SIM +33600000002)
              data directory: \(dataPath)\(keep ? "" : " (deleted at the end; --keep keeps it)")
              brand "Boulangerie Martin", STOP number = each SIM's own number, \(quietNote)

            """)
        await ready.wait(upTo: .seconds(10))
        let data = try DataDirectory(path: dataPath, options: .init(openingBalance: configuration.credits.openingBalance))

        do {
            // 1. A campaign from a CSV file.
            let csv = base.appendingPathComponent("clients.csv")
            try """
                phone,first_name
                06 12 34 56 01,Marie
                +33612345602,Paul
                0033612345603,Léa
                +447700900123,John
                06 12 34,Broken
                """.write(to: csv, atomically: true, encoding: .utf8)
            let template = try MessageTemplate("Bonjour {first_name}, -20% sur les galettes ce week-end !")
            let file = try CampaignFile.load(path: csv.path)
            print("1. campaign \"galettes\" from clients.csv (5 rows), template: \"Bonjour {first_name}, -20% sur les galettes ce week-end !\"")
            let preview = try MessagePreview.compute(messages: file.rows.map { ($0.line, $0.phone, template.render($0.values)) },
                                                     messageClass: .marketing, configuration: configuration, now: clock.now()) { _ in false }
            print("   preview: \(preview.summary.willSend + preview.summary.held) to send, \(preview.summary.invalid) invalid, \(preview.summary.credits) credits with footer (\(preview.summary.creditsWithoutFooter) without)")
            for row in file.rows {
                try data.outbox.enqueue(OutboxMessage(to: row.phone, text: template.render(row.values), messageClass: .marketing, campaign: "galettes"))
            }
            try data.outbox.enqueue(OutboxMessage(to: "+33612345601", text: "Votre commande n°1042 est prête, à retirer dès 16h.", messageClass: .notification))
            print("   + one notification to +33612345601 (\"Votre commande n°1042 est prête…\")")
            try await Self.waitUntil("the campaign is sent", seconds: 15) { try data.outbox.counts().new + data.outbox.counts().sending == 0 }

            print("\n2. what left the modems (as the simulated network received it):")
            var seen = 0
            for (name, sim) in [("shop-a", simA), ("shop-b", simB)] {
                for message in await sim.submitted {
                    seen += 1
                    let text = message.text.replacingOccurrences(of: "\n", with: " ⏎ ")
                    print("   \(name) → \(message.number)  [\(message.parts) part\(message.parts == 1 ? "" : "s")] \(text)")
                }
            }
            let failed = try data.outbox.messages(in: .failed)
            for message in failed {
                print("   not sent: \(message.to) — \(message.result?.reason ?? "failed")")
            }

            // 2. A STOP comes back.
            // Paul answers the SIM his offer came from (whichever modem the pool gave it to).
            let paulsModem = await simB.submitted.contains { $0.number == "+33612345602" } ? ("shop-b", simB) : ("shop-a", simA)
            print("\n3. Paul (+33612345602) replies \"Stop !\" to \(paulsModem.0)")
            _ = try await paulsModem.1.injectInbound(from: "+33612345602", text: "Stop !")
            let paul = try PhoneNumber.parse("+33612345602", defaultCountry: "FR")
            try await Self.waitUntil("the opt-out is recorded", seconds: 10) { try data.optOuts.isOptedOut(paul) }
            try await Self.waitUntil("the confirmation is sent", seconds: 10) {
                try data.outbox.counts().new + data.outbox.counts().sending == 0
            }
            let allSubmitted = await simA.submitted + simB.submitted
            if let confirmation = allSubmitted.last(where: { $0.number == "+33612345602" && !$0.text.contains("galettes") }) {
                print("   opt-out recorded in optouts.csv; confirmation sent: \"\(confirmation.text)\"")
            } else {
                print("   opt-out recorded in optouts.csv")
            }

            // 3. The next campaign skips Paul.
            print("\n4. next campaign \"pain\" to the same list")
            for row in file.rows {
                try data.outbox.enqueue(OutboxMessage(to: row.phone, text: "Bonjour \(row.values["first_name"] ?? ""), pain de campagne offert samedi !",
                                                      messageClass: .marketing, campaign: "pain"))
            }
            try await Self.waitUntil("the second campaign is sent", seconds: 15) { try data.outbox.counts().new + data.outbox.counts().sending == 0 }
            for message in try data.outbox.messages(in: .failed) where message.campaign == "pain" {
                print("   \(message.to): \(message.result?.status.rawValue ?? "failed") — \(message.result?.reason ?? "")")
            }
            let sentPain = try data.outbox.messages(in: .sent).filter { $0.campaign == "pain" }.count
            print("   \(sentPain) sent")

            print("\n5. the files (plain text, in \(dataPath)):")
            for name in ["optouts.csv", "inbox.csv", "credits.csv"] {
                let path = dataPath + "/" + name
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                let lines = text.split(separator: "\n")
                print("   \(name) (\(lines.count - 1) row\(lines.count == 2 ? "" : "s")):")
                for line in lines.prefix(4) { print("     \(line)") }
                if lines.count > 5 { print("     …") }
                if lines.count > 4, let last = lines.last { print("     \(last)") }
            }
            let counts = try data.outbox.counts()
            print("   outbox/: \(counts.sent) in sent/, \(counts.failed) in failed/ (suppressed or invalid, each with its reason), \(counts.new) waiting")
            print("   credits left: \(try data.ledger.balance()) of \(configuration.credits.openingBalance)")
        } catch {
            await runtime.requestStop()
            _ = try? await agent.value
            throw error
        }
        await runtime.requestStop()
        try await agent.value
        print("\nDone. Next: `smsagent check-config Config/smsagent.yaml`, `smsagent simulate` for a modem on a pty, `smsagent run`.")
    }

    static func simulator(_ name: String, _ number: String) -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration.fast
        configuration.name = name
        configuration.ownNumber = number
        configuration.statusReports = false
        return configuration
    }

    static func waitUntil(_ what: String, seconds: Double, _ condition: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !condition() {
            if Date() > deadline { throw DemoError(description: "the demo timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(25))
        }
    }
}
