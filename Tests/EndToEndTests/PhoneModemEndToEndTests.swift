import Foundation
import Testing

/// Issue 10 item 6 as an operator meets it: `smsagent run` on `smsagent simulate --profile
/// nokia-phone` (a phone used as a modem), messages queued with `smsagent send`, the state read
/// with `smsagent status`.
@Suite struct PhoneModemEndToEndTests {
    @Test func aPhoneAloneSendsTheOrderHoldsThePromoAndStatusSaysWhy() async throws {
        let scenario = try await SendingScenario.start(modems: 1, simulatorArguments: ["--profile", "nokia-phone"])
        defer { scenario.stop() }
        let installation = scenario.installation
        let order = try await installation.run(["send", "--to", "0612345678", "--text", "Votre colis arrive", "--class", "notification"])
        #expect(order.status == 0, "\(order.stderr)")
        let promo = try await installation.run(["send", "--to", "0612345679", "--text", "Promo galettes", "--class", "marketing"])
        #expect(promo.status == 0, "\(promo.stderr)")

        try await Wait.until("the order is sent", timeout: .seconds(30), diagnostics: { installation.transcripts }) {
            installation.outboxFiles("sent").count == 1
        }
        try await Wait.until("status.json says marketing is held", timeout: .seconds(30), diagnostics: { installation.transcripts }) {
            (installation.statusJSON?["warnings"] as? [String])?.contains { $0.hasPrefix("marketing held") } == true
        }
        let status = try await installation.run(["status"])
        #expect(status.stdout.contains("inbound: unreadable — replies to this SIM (STOP included) cannot be read"), "\(status.stdout)")
        #expect(status.stdout.contains("warning: marketing held (it stays queued)"), "\(status.stdout)")
        #expect(status.stdout.contains("warning: marketing does not go through a:"), "\(status.stdout)")
        #expect(installation.outboxFiles("failed").isEmpty)
        let sent = installation.outboxMessages("sent")
        #expect(sent.first?["to"] as? String == "0612345678")
        let run = try #require(installation.children.first)
        #expect(run.stderr.contains("replies to this SIM cannot be read") || run.stdout.contains("replies to this SIM cannot be read"),
                "the log says it: \(run.transcript)")
        #expect(scenario.submissions().map(\.number) == ["+33612345678"], "nothing else went on the air")
    }
}
