import Foundation
import Testing

/// Issue 14 as a user meets it: number types (libphonenumber), French elisions, the exact text on
/// the air in the preview, credits top-up and kinds.
@Suite(.timeLimit(.minutes(2)))
struct ComplianceEndToEndTests {
    static let config = "sender: { brand: \"Crêperie Léa\", stop_number: \"+33612345678\" }\ncompliance: { quiet_hours: none }\n"

    func previewJSON(_ installation: AgentInstallation, to: String, text: String) async throws -> [String: Any] {
        let result = try await installation.run(["preview", "--to", to, "--text", text, "--class", "marketing", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(object, "\(result.stdout)")
    }

    @Test("preview and send refuse a Paris landline and a premium-rate number, naming the type", arguments: [
        ("+33145678901", "fixed line"), ("+33899123456", "premium rate"),
    ])
    func landlinesAreRefused(number: String, type: String) async throws {
        let installation = try AgentInstallation(config: Self.config)
        let preview = try await previewJSON(installation, to: number, text: "Promo galettes")
        let recipient = try #require((preview["recipients"] as? [[String: Any]])?.first)
        #expect(recipient["verdict"] as? String == "rejected")
        #expect(recipient["number_type"] as? String == type)
        #expect((recipient["reason"] as? String)?.contains(type) == true, "\(recipient)")
        let table = try await installation.run(["preview", "--to", number, "--text", "Promo", "--class", "marketing"])
        #expect(table.stdout.contains(type), "\(table.stdout)")

        let send = try await installation.run(["send", "--to", number, "--text", "Promo", "--class", "marketing"])
        #expect(send.status != 0)
        #expect(send.stderr.contains(type), "\(send.stderr)")
        #expect(installation.outboxFiles("new").isEmpty)
    }

    @Test("a Japanese mobile is valid, with calling code 81, and typed mobile")
    func japaneseMobile() async throws {
        let installation = try AgentInstallation(config: Self.config)
        let preview = try await previewJSON(installation, to: "+81 90 1234 5678", text: "Hello")
        let recipient = try #require((preview["recipients"] as? [[String: Any]])?.first)
        #expect(recipient["number"] as? String == "+819012345678")
        #expect(recipient["number_type"] as? String == "mobile")
        #expect(recipient["verdict"] as? String == "send", "\(recipient)")
    }

    @Test("the preview shows the text exactly as sent, each replacement, and the letters choice with its cost")
    func exactTextPreview() async throws {
        let installation = try AgentInstallation(config: Self.config)
        let text = "Promo : « galettes » à -20 % … c’est prêt !"
        let preview = try await previewJSON(installation, to: "0612345601", text: text)
        let recipient = try #require((preview["recipients"] as? [[String: Any]])?.first)
        let sent = try #require(recipient["sent_text"] as? String)
        // punctuation (the default) cannot make "prêt" GSM: the text goes as written, in UCS-2, with the footer.
        #expect(sent.hasPrefix(text + "\n"), "\(sent)")
        #expect(sent.contains("STOP au 0612345678"))
        #expect(recipient["encoding"] as? String == "ucs2")
        let alternative = try #require(recipient["alternative"] as? [String: Any])
        #expect(alternative["smart_encoding"] as? String == "letters")
        let lettersText = try #require(alternative["sent_text"] as? String)
        #expect(lettersText.hasPrefix("Promo : \" galettes \" à -20 % ... c'est pret !\n"), "\(lettersText)")
        #expect(alternative["encoding"] as? String == "gsm7")
        let replacements = (alternative["replacements"] as? [[String: Any]] ?? []).compactMap { $0["original"] as? String }
        #expect(Set(replacements).isSuperset(of: ["«", "»", "…", "’", "ê"]), "\(replacements)")
        #expect((alternative["credits"] as? Int ?? 99) < (recipient["credits"] as? Int ?? 0))

        let table = try await installation.run(["preview", "--to", "0612345601", "--text", text, "--class", "marketing"])
        #expect(table.stdout.contains("with smart_encoding: letters"), "\(table.stdout)")
        #expect(table.stdout.contains("c'est pret !"), "\(table.stdout)")
        #expect(table.stdout.contains("ê→e"), "\(table.stdout)")
        #expect(table.stdout.contains("ETA: finishes"), "\(table.stdout)")
    }

    @Test("credits top-up writes the row; --by kind lists what was spent per kind")
    func topUpAndKinds() async throws {
        let installation = try AgentInstallation(config: Self.config + "credits: { opening_balance: 10 }\n")
        let topUp = try await installation.run(["credits", "top-up", "500", "--note", "invoice 42"])
        #expect(topUp.status == 0, "\(topUp.stderr)")
        #expect(topUp.stdout.contains("balance: 510"), "\(topUp.stdout)")
        let rows = installation.csvRows("credits.csv")
        #expect(rows.last?["kind"] == "topup")
        #expect(rows.last?["credits"] == "-500")
        #expect(rows.last?["recipient"] == "invoice 42")
        let credits = try await installation.run(["credits", "--by", "kind"])
        #expect(credits.status == 0, "\(credits.stderr)")
        #expect(credits.stdout.contains("balance: 510 credits"), "\(credits.stdout)")
        let bad = try await installation.run(["credits", "top-up", "0"])
        #expect(bad.status != 0)
    }

    @Test("French elisions: \"Merci d'arrêter\" goes to review, \"l'arrêt de bus\" opts nobody out")
    func elisions() async throws {
        let scenario = try await InboundScenario.start()
        defer { scenario.stop() }
        try scenario.simulator.command("inbound +33612345678 Merci d'arrêter de m'envoyer des SMS")
        try scenario.simulator.command("inbound +33612345679 Je suis à l’arrêt de bus")
        try await scenario.waitUntil("two messages archived") { scenario.inboxRows.count == 2 }
        let review = try await scenario.installation.run(["inbox", "--review"])
        #expect(review.stdout.contains("2 messages to review"), "\(review.stdout)\(review.stderr)")
        #expect(review.stdout.contains("review:ARRETER"), "\(review.stdout)")
        #expect(scenario.optOutRows.isEmpty)
    }
}
