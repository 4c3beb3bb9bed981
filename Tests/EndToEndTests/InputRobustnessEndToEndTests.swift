import Foundation
import Testing

/// Issue 9, items 4, 6 and 7 as a user meets them at the terminal: no trap on input, read-only
/// commands that do not create a data directory, one message per number in a campaign.
@Suite(.timeLimit(.minutes(1)))
struct InputRobustnessEndToEndTests {
    @Test(arguments: [["inbox"], ["credits"], ["optouts", "list"], ["status"]])
    func aReadOnlyCommandOnAMissingDataDirectorySaysSoAndCreatesNothing(_ command: [String]) async throws {
        let installation = try AgentInstallation(config: "")
        #expect(!FileManager.default.fileExists(atPath: installation.dataDirectory))
        let result = try await installation.run(command)
        #expect(result.status != 0, "\(result.stdout)")
        #expect(result.stderr.contains("\(installation.dataDirectory) does not exist"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: installation.dataDirectory))
    }

    @Test(arguments: ["+99999999999999999h", "+1e400s", "+nan", "+999999999999d"])
    func anAbsurdDelayIsAnErrorNamingTheOption(_ at: String) async throws {
        let installation = try AgentInstallation(config: "")
        let result = try await installation.run(["send", "--to", "0612345678", "--text", "x", "--at", at])
        #expect(result.status == 1, "\(result.stderr)")   // 1: an error, not a signal
        #expect(result.stderr.contains("--at \(at)"), "\(result.stderr)")
    }

    @Test func aCostThatWouldOverflowIsRefusedByCheckConfig() async throws {
        let installation = try AgentInstallation(config: "credits:\n  cost_per_segment: 9223372036854775807\n")
        let result = try await installation.run(["check-config"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("credits.cost_per_segment"), "\(result.stderr)")
    }

    @Test func aConfigurationNested5000DeepIsAnErrorNotASegfault() async throws {
        let installation = try AgentInstallation(config: "")
        try (String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)).write(
            toFile: installation.configPath, atomically: true, encoding: .utf8)
        let result = try await installation.run(["check-config"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("nested"), "\(result.stderr)")
    }

    @Test func aNumberOnTwoRowsIsQueuedOnceAndReportedAsADuplicate() async throws {
        let installation = try AgentInstallation(config: "sender: { brand: Test, stop_number: \"+33612345600\" }\n")
        let csv = installation.directory.file("list.csv").path
        try "phone,name\n0612345601,A\n+33 6 12 34 56 01,B\n0612345602,C\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let dry = try await installation.run(["campaign", csv, "--template", "Bonjour {name}", "--class", "notification", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let verdicts = dry.stdout.split(separator: "\n").filter { $0.contains("+3361234560") && !$0.contains("│") }
            .compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).first { ["send", "duplicate"].contains($0) } }
        #expect(verdicts == ["send", "duplicate", "send"], "\(dry.stdout)")
        #expect(dry.stdout.contains("1 duplicate"))
        let real = try await installation.run(["campaign", csv, "--template", "Bonjour {name}", "--class", "notification", "--name", "c"])
        #expect(real.status == 0, "\(real.stderr)")
        #expect(installation.outboxFiles("new").count == 2)
        #expect(real.stdout.contains("1 duplicate skipped"), "\(real.stdout)")
        #expect(real.stdout.contains("duplicate line 3"), "\(real.stdout)")
        let both = try await installation.run(["campaign", csv, "--template", "Bonjour {name}", "--class", "notification",
                                              "--name", "d", "--allow-duplicates"])
        #expect(both.status == 0, "\(both.stderr)")
        #expect(installation.outboxFiles("new").count == 5)
    }

    @Test func aWindows1252CampaignIsSentWithItsAccentsNeverReplacementCharacters() async throws {
        let installation = try AgentInstallation(config: "sender: { brand: Test, stop_number: \"+33612345600\" }\n")
        let csv = installation.directory.file("latin.csv").path
        // "Renée" and "€" as Windows-1252 bytes (E9, 80): not UTF-8.
        let bytes: [UInt8] = Array("phone,name\n0612345601,Ren".utf8) + [0xE9, 0x65, 0x20, 0x80] + Array("\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: csv))
        let real = try await installation.run(["campaign", csv, "--template", "Bonjour {name}", "--class", "notification", "--name", "w"])
        #expect(real.status == 0, "\(real.stderr)")
        #expect(real.stderr.contains("read as Windows-1252"), "\(real.stderr)")
        let file = try #require(installation.outboxFiles("new").first)
        let text = installation.outboxMessage("new", file)?["text"] as? String
        #expect(text == "Bonjour Renée €")
        #expect(text?.contains("\u{FFFD}") == false)
    }
}
