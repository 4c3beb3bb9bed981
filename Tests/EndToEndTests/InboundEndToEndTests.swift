import Foundation
import Records
import Testing

/// `smsagent run` as a process against `smsagent simulate` on a pty, replies typed on the
/// simulator's stdin (issue 6).
@Suite(.timeLimit(.minutes(2)))
struct InboundEndToEndTests {
    static let customer = "+33612345678"

    @Test("a STOP reply: one opt-out in optouts.csv, one confirmation on the air, the SIM emptied",
          arguments: [false, true])
    func stopIsRecordedAndConfirmed(hashed: Bool) async throws {
        let scenario = try await InboundScenario.start(hashOptOuts: hashed)
        defer { scenario.stop() }
        let installation = scenario.installation
        try scenario.simulator.command("inbound 0612345678 Stop !")

        try await scenario.waitUntil("the confirmation is sent") { !scenario.submissions(to: Self.customer).isEmpty }
        try await scenario.waitForSIMStorage(0)
        #expect(scenario.inboxRows.count == 1)
        let rows = scenario.optOutRows
        #expect(rows.count == 1)
        #expect(rows.first?["event"] == "optout")
        #expect(rows.first?["keyword"] == "STOP")
        #expect(rows.first?["number"]?.hasPrefix(hashed ? "hmac:" : "+33612345678") == true)
        let confirmation = scenario.submissions(to: Self.customer)
        #expect(confirmation.count == 1)
        #expect(confirmation.first?.text.hasPrefix(InboundScenario.confirmationPrefix) == true, "\(confirmation.first?.text ?? "-")")
        #expect(confirmation.first?.text.contains("STOP au") == false, "a confirmation carries no footer")

        // The commands read the same files (by number, also in hashed mode).
        let check = try await installation.run(["optouts", "check", "06 12 34 56 78"])
        #expect(check.status == 1 && check.stdout.contains("opted out since"), "\(check.stdout)\(check.stderr)")
        let inbox = try await installation.run(["inbox"])
        #expect(inbox.stdout.contains("optout:STOP"), "\(inbox.stdout)\(inbox.stderr)")
    }

    @Test("replies that only mention a keyword go to review and opt nobody out")
    func reviewNotOptOut() async throws {
        let scenario = try await InboundScenario.start()
        defer { scenario.stop() }
        let sim = scenario.simulator, installation = scenario.installation
        try sim.command("inbound +33612345678 don't stop")
        try sim.command("inbound +33612345679 STOPPED by the shop?")
        try sim.command("inbound-parts 2,1 +33612345670 STOP " + String(repeating: "je ne veux plus de messages ", count: 7))

        try await scenario.waitUntil("three messages archived") { scenario.inboxRows.count == 3 }
        let review = try await installation.run(["inbox", "--review"])
        #expect(review.stdout.contains("2 messages to review"), "\(review.stdout)\(review.stderr)")
        #expect(scenario.optOutRows.map { $0["number"] } == ["+33612345670"], "only the two-part STOP opts out")
    }

    @Test("a STOP while a campaign to that number is queued: no further marketing to it")
    func stopSuppressesQueuedMarketing() async throws {
        // The campaign is queued and the STOP waits on the SIM when the agent starts: the worker
        // reads the SIM before its first send, so the order is fixed and the test cannot race.
        let scenario = try await InboundScenario.start(startAgent: false)
        defer { scenario.stop() }
        let installation = scenario.installation
        let others = (1...5).map { "+3361111110\($0)" }
        try scenario.enqueue((others + ["0612345678"]).enumerated().map { index, number in
            OutboxMessage(id: "campaign-\(index)", to: number, text: "Galettes -20% ce week-end", messageClass: .marketing)
        })
        try scenario.simulator.command("inbound +33612345678 STOP")
        try await scenario.waitForSIMStorage(1)

        try await installation.startAgent()
        try await scenario.waitUntil("the campaign and the confirmation settle") {
            installation.outboxFiles("sent").count + installation.outboxFiles("failed").count == 7
                && installation.outboxFiles("new").isEmpty && installation.outboxFiles("sending").isEmpty
        }

        let toCustomer = scenario.submissions(to: Self.customer)
        #expect(toCustomer.count == 1)
        #expect(toCustomer.first?.text.hasPrefix(InboundScenario.confirmationPrefix) == true, "\(toCustomer.first?.text ?? "-")")
        #expect(Set(scenario.simulator.completeSubmissions().map(\.number)) == Set(others + [Self.customer]))
        let failed = installation.outboxMessage("failed", "campaign-5.json")
        #expect((failed?["result"] as? [String: Any])?["status"] as? String == "suppressed")
    }

    @Test("kill -9 between the opt-out write and the SIM delete: after restart, one opt-out and one confirmation")
    func killBetweenOptOutAndDelete() async throws {
        let scenario = try await InboundScenario.start()
        defer { scenario.stop() }
        let sim = scenario.simulator, installation = scenario.installation
        try sim.command("fault cms 500 on +CMGD sticky")   // the delete cannot happen
        try sim.command("inbound +33612345678 STOP")
        try await scenario.waitUntil("the opt-out is written") { scenario.optOutRows.count == 1 }
        try await scenario.waitUntil("the confirmation is sent") { !scenario.submissions(to: Self.customer).isEmpty }
        #expect(try await sim.simStorageUsed() == 1, "the STOP is still on the SIM")
        let agent = try #require(installation.children.first)
        agent.kill9()
        _ = try await agent.waitForExit(timeout: .seconds(10))
        try sim.command("fault clear")

        try await installation.startAgent()
        try await scenario.waitForSIMStorage(0)

        #expect(scenario.optOutRows.count == 1)
        #expect(scenario.submissions(to: Self.customer).count == 1)
        #expect(installation.outboxFiles("new").isEmpty && installation.outboxFiles("sending").isEmpty)
    }

    @Test("a SIM found full at start is emptied, and what waited at the SMSC comes in")
    func fullSIMAtStart() async throws {
        let scenario = try await InboundScenario.start(simulatorArguments: ["--capacity", "4"], startAgent: false)
        defer { scenario.stop() }
        for n in 0..<6 { try scenario.simulator.command("inbound +3361234560\(n) Bonjour \(n)") }
        try await scenario.waitForSIMStorage(4)

        try await scenario.installation.startAgent()

        try await scenario.waitUntil("six messages archived") { scenario.inboxRows.count == 6 }
        try await scenario.waitForSIMStorage(0)
    }

    @Test("the optouts commands work by number in hashed mode: add, check, remove, export, list")
    func optOutCommandsInHashedMode() async throws {
        let installation = try AgentInstallation(config: "inbound: { hash_opt_outs: true }\n")
        defer { installation.stopAll(); installation.directory.remove() }

        let add = try await installation.run(["optouts", "add", "06 12 34 56 78", "+33698765432"])
        #expect(add.status == 0 && add.stdout.contains("opted out: +33612345678"), "\(add.stdout)\(add.stderr)")
        let again = try await installation.run(["optouts", "add", "0033612345678"])
        #expect(again.stdout.contains("already opted out"), "\(again.stdout)\(again.stderr)")
        let check = try await installation.run(["optouts", "check", "+33612345678"])
        #expect(check.status == 1 && check.stdout.contains("opted out since"))
        let remove = try await installation.run(["optouts", "remove", "0698765432"])
        #expect(remove.stdout.contains("opted in again: +33698765432"), "\(remove.stdout)\(remove.stderr)")
        let export = try await installation.run(["optouts", "export"])
        let lines = export.stdout.split(separator: "\n")
        #expect(lines.count == 2, "header + one opted-out number: \(export.stdout)")
        #expect(lines.last?.hasPrefix("hmac:") == true)
        let list = try await installation.run(["optouts", "list"])
        #expect(list.stdout.hasPrefix("1 number opted out (hashed)"), "\(list.stdout)\(list.stderr)")

        let file = try String(contentsOfFile: installation.dataDirectory + "/optouts.csv", encoding: .utf8)
        #expect(!file.contains("612345678") && !file.contains("698765432"), "no number in the file")
        let key = try FileManager.default.attributesOfItem(atPath: installation.dataDirectory + "/optout.key")
        #expect(key[.posixPermissions] as? Int == 0o600)
    }

    @Test("hooks: a program runs for each message received, sent and failed, after it is on disk")
    func hooksRunAfterTheRecords() async throws {
        // Each hook appends one line: event, who, what, and whether the record is already on disk.
        let script = #"""
            case "$SMSAGENT_EVENT" in
              received) on_disk=$(grep -c "$SMSAGENT_ID" "$SMSAGENT_DATA_DIRECTORY/inbox.csv") ;;
              *) on_disk=$(ls "$SMSAGENT_DATA_DIRECTORY/outbox/$( [ "$SMSAGENT_EVENT" = sent ] && echo sent || echo failed )" | grep -c "$SMSAGENT_ID") ;;
            esac
            printf '%s|%s|%s|%s|%s\n' "$SMSAGENT_EVENT" "${SMSAGENT_FROM:-$SMSAGENT_TO}" "$SMSAGENT_KIND" "$SMSAGENT_TEXT" "$on_disk" \
              >> "$SMSAGENT_DATA_DIRECTORY/hooks.log"
            """#
        let program = "[/bin/sh, -c, \"\(script.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n"))\"]"
        let scenario = try await InboundScenario.start(extraConfig: """
            hooks: { on_receive: \(program), on_sent: \(program), on_failed: \(program) }
            """)
        defer { scenario.stop() }
        let installation = scenario.installation
        try scenario.simulator.command("inbound +33612345678 Bonjour, ma commande est prête ?")
        try scenario.simulator.command("inbound +33612345679 STOP")
        try scenario.enqueue([OutboxMessage(id: "bad-number", to: "12", text: "x", messageClass: .notification)])
        let log = installation.dataDirectory + "/hooks.log"
        try await scenario.waitUntil("four hooks ran") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").count >= 4
        }
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.contains("received|+33612345678||Bonjour, ma commande est prête ?|1"), "\(lines)")
        #expect(lines.contains("received|+33612345679||STOP|1"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("sent|+33612345679|confirmation|") && $0.hasSuffix("|1") }, "\(lines)")
        #expect(lines.contains("failed|12||x|1"), "\(lines)")
    }
}
