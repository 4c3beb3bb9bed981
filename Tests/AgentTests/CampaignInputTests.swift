import Compliance
import Foundation
import Testing
@testable import Agent

/// Issue 9.4 (one number, one message per campaign) and 9.7 (a CSV that is not UTF-8).
@Suite struct CampaignInputTests {
    static let configuration: AgentConfiguration = {
        var c = AgentConfiguration()
        c.sender.brand = "Test"
        c.sender.stopNumber = "+33612345600"
        return c
    }()

    func preview(_ numbers: [String], allowDuplicates: Bool = false) throws -> MessagePreview {
        let messages = numbers.enumerated().map { (line: Optional($0.offset + 2), to: $0.element, text: "Bonjour") }
        return try MessagePreview.compute(messages: messages, messageClass: .notification, configuration: Self.configuration,
                                          now: Date(timeIntervalSince1970: 1_795_946_400), allowDuplicates: allowDuplicates) { _ in false }
    }

    @Test func aNumberSeenOnAnEarlierLineIsADuplicateThatCostsNothing() throws {
        let p = try preview(["0612345601", "+33 6 12 34 56 01", "0612345602", "+33612345601"])
        #expect(p.recipients.map(\.verdict) == ["send", "duplicate", "send", "duplicate"])
        #expect(p.recipients[1].reason == "same number as line 2: sent once")
        #expect(p.recipients[1].credits == 0)
        #expect(p.summary.duplicates == 2)
        #expect(p.summary.willSend == 2)
        #expect(p.summary.credits == 2)
    }

    @Test func allowDuplicatesSendsEveryRowButStillCountsThem() throws {
        let p = try preview(["0612345601", "0612345601"], allowDuplicates: true)
        #expect(p.recipients.map(\.verdict) == ["send", "send"])
        #expect(p.summary.duplicates == 1)
        #expect(p.summary.credits == 2)
    }

    @Test func invalidNumbersAreNeverDuplicatesOfEachOther() throws {
        let p = try preview(["12", "12"])
        #expect(p.recipients.map(\.verdict) == ["invalid", "invalid"])
    }

    @Test func aUTF8FileIsReadAsIsWithoutANote() throws {
        let campaign = try CampaignFile.parse(bytes: Array("\u{FEFF}phone,name\n0612345601,Zoé\n".utf8))
        #expect(campaign.rows.first?.values["name"] == "Zoé")
        #expect(campaign.encodingNote == nil)
    }

    @Test func aWindows1252FileIsDecodedWithANoteNamingTheFirstLine() throws {
        // "Zoé", "œuvre", "€", "’" in Windows-1252 on line 3; line 2 is plain ASCII.
        let bytes: [UInt8] = Array("phone,name\n0612345601,Max\n0612345602,Zo".utf8) + [0xE9, 0x20, 0x9C, 0x75, 0x76, 0x72, 0x65, 0x20, 0x80, 0x92, 0x0A]
        let campaign = try CampaignFile.parse(bytes: bytes, file: "list.csv")
        #expect(campaign.rows.map { $0.values["name"] } == ["Max", "Zoé œuvre €’"])
        #expect(campaign.encodingNote?.contains("list.csv: not UTF-8 (first at line 3); read as Windows-1252") == true)
        for row in campaign.rows { #expect(row.values.values.allSatisfy { !$0.contains("\u{FFFD}") }) }
    }

    @Test func everyByteDecodesToSomethingOtherThanAReplacementCharacter() {
        let text = TextDecoding.windows1252((0...255).map(UInt8.init))
        #expect(text.unicodeScalars.count == 256)
        #expect(!text.contains("\u{FFFD}"))
    }
}

/// Issue 9.6: `--at +99999999999999999h` trapped converting the delay to an integer.
@Suite struct ScheduledDelayBoundsTests {
    @Test(arguments: ["+99999999999999999h", "+1e400s", "+nan", "+infs", "+3661d"])
    func anAbsurdDelayIsAnErrorNotATrap(_ text: String) {
        #expect(throws: ScheduledTime.Invalid.self) {
            _ = try ScheduledTime.parse(text, timeZone: TimeZone(identifier: "Europe/Paris") ?? .gmt, now: Date(timeIntervalSince1970: 1_795_946_400))
        }
    }
}
