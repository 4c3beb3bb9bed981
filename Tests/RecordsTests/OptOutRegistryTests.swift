import Compliance
import Foundation
import Testing
@testable import Records

@Suite struct OptOutRegistryTests {
    let tmp = TemporaryDirectory("optouts")
    var alice: PhoneNumber { get throws { try PhoneNumber.parse("+33612345678", defaultCountry: "FR") } }
    var bob: PhoneNumber { get throws { try PhoneNumber.parse("+447700900123", defaultCountry: "FR") } }

    func registry(hashed: Bool = false, textLimit: Int = 0) throws -> FileOptOutRegistry {
        let key = hashed ? try HMACKey.loadOrCreate(path: tmp.file("optout.key")) : nil
        return try FileOptOutRegistry(path: tmp.file("optouts.csv"), key: key, storeHashed: hashed, textLimit: textLimit)
    }

    @Test func theLatestEventWins() throws {
        let r = try registry()
        #expect(try !r.isOptedOut(alice))
        try r.optOut(alice, keyword: "STOP", modem: "sim0", source: "sms:aaa", at: .fixed(0))
        #expect(try r.isOptedOut(alice))
        try r.optIn(alice, keyword: "START", modem: "sim0", source: "sms:bbb", at: .fixed(60))
        #expect(try !r.isOptedOut(alice))
        try r.optOut(alice, source: "cli", at: .fixed(120))
        #expect(try r.isOptedOut(alice))
        #expect(try !r.isOptedOut(bob))
        #expect(try r.events().count == 3)
    }

    @Test func theOptedOutCountFollowsTheLatestEventPerNumber() throws {
        let r = try registry()
        #expect(try r.optedOutCount() == 0)
        try r.optOut(alice, source: "cli", at: .fixed(0))
        try r.optOut(bob, source: "cli", at: .fixed(10))
        #expect(try r.optedOutCount() == 2)
        try r.optIn(alice, source: "cli", at: .fixed(20))
        #expect(try r.optedOutCount() == 1)
        #expect(try r.optedOutCount() == r.current().filter(\.optedOut).count)
    }

    @Test func foldIsRebuiltFromTheFile() throws {
        try registry().optOut(alice, keyword: "STOP", source: "sms:1", at: .fixed(0))
        try registry().optOut(bob, keyword: "STOP", source: "sms:2", at: .fixed(1))
        try registry().optIn(bob, keyword: "START", source: "sms:3", at: .fixed(2))
        let reopened = try registry()
        #expect(try reopened.isOptedOut(alice))
        #expect(try !reopened.isOptedOut(bob))
        #expect(try reopened.current().map(\.optedOut) == [true, false])
        #expect(try reopened.optedOutCount() == 1)
    }

    @Test func anOlderEventAppendedLaterDoesNotDecide() throws {
        let r = try registry()
        try r.optIn(alice, source: "cli", at: .fixed(100))
        try r.optOut(alice, source: "import:old.csv:2", at: .fixed(0))
        #expect(try !r.isOptedOut(alice))
    }

    @Test func theSameSMSProcessedTwiceIsOneOptOut() throws {
        let r = try registry()
        #expect(try r.optOut(alice, keyword: "STOP", source: "sms:f00d", at: .fixed(0)))
        #expect(try !r.optOut(alice, keyword: "STOP", source: "sms:f00d", at: .fixed(5)))
        #expect(try registry().events().count == 1)
    }

    @Test func writesTheDocumentedColumnsWithoutTextByDefault() throws {
        try registry().optOut(alice, keyword: "STOP", text: "Stop, merci", modem: "sim0", source: "sms:1", at: .fixed())
        #expect(try tmp.read("optouts.csv") == """
            recorded_at,number,event,keyword,text,modem,source
            2026-11-29T10:00:00.000Z,+33612345678,optout,STOP,,sim0,sms:1

            """)
    }

    @Test func keepsTruncatedTextWhenAsked() throws {
        let r = try registry(textLimit: 8)
        try r.optOut(alice, keyword: "STOP", text: "Stop, \"merci\"\nbye", source: "sms:1", at: .fixed())
        #expect(try registry().events().first?.text == "Stop, \"m")
    }

    @Test func otherProcessesAppendsAreSeen() throws {
        let agent = try registry()
        let cli = try registry()
        #expect(try !agent.isOptedOut(bob))
        try cli.optOut(bob, source: "cli")
        #expect(try agent.isOptedOut(bob))
    }

    @Test func hashedModeStoresNoNumberAndStillWorks() throws {
        let r = try registry(hashed: true)
        try r.optOut(alice, keyword: "STOP", text: "STOP please", modem: "sim0", source: "sms:1", at: .fixed())
        let file = try tmp.read("optouts.csv")
        #expect(!file.contains("612345678"))
        #expect(!file.contains("please"))
        let id = try r.storedIdentifier(for: alice)
        #expect(id.hasPrefix("hmac:") && id.count == 69)
        #expect(file.contains(id))
        let reopened = try registry(hashed: true)
        #expect(try reopened.isOptedOut(alice))
        #expect(try !reopened.isOptedOut(bob))
        try reopened.optIn(alice, source: "cli")   // `optouts remove` by number
        #expect(try !registry(hashed: true).isOptedOut(alice))
        #expect(try reopened.exportCSV(includeOptedIn: true).contains(id))
    }

    @Test func switchingToHashedModeKeepsPlainRows() throws {
        try registry().optOut(alice, source: "cli", at: .fixed())
        let hashed = try registry(hashed: true)
        #expect(try hashed.isOptedOut(alice))
        try hashed.optOut(bob, source: "cli", at: .fixed(1))
        #expect(try hashed.isOptedOut(bob))
    }

    @Test func hashedRowsWithoutTheKeyRefuseToLoad() throws {
        try registry(hashed: true).optOut(alice, source: "cli")
        try FileManager.default.removeItem(atPath: tmp.file("optout.key"))
        #expect(throws: RecordsError.self) { try registry() }
    }

    @Test func hmacIsRFC4231Compatible() throws {
        // RFC 4231 §4.2 test case 1: key 0x0b × 20, data "Hi There".
        let key = try HMACKey(bytes: Array(repeating: 0x0b, count: 20))
        #expect(key.identifier(forE164: "Hi There") == "hmac:b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test func malformedRowsFailLoudlyWithEveryLine() throws {
        try tmp.write("optouts.csv", """
            recorded_at,number,event,keyword,text,modem,source
            2026-11-29T10:00:00Z,+33612345678,optout,STOP,,sim0,sms:1
            yesterday,+33612345679,optout,STOP,,sim0,sms:2
            2026-11-29T10:00:00Z,0612345678,optout,STOP,,sim0,sms:3
            2026-11-29T10:00:00Z,+33612345670,unsubscribe,STOP,,sim0,sms:4
            2026-11-29T10:00:00Z,+33612345671

            """)
        #expect {
            try registry()
        } throws: { error in
            guard case let RecordsError.malformedFile(path, issues) = error else { return false }
            return path == tmp.file("optouts.csv") && issues.map(\.line) == [3, 4, 5, 6]
        }
    }

    @Test func aMalformedRowAppendedByHandKeepsFailing() throws {
        let r = try registry()
        try r.optOut(alice, source: "cli")
        let handle = try #require(FileHandle(forWritingAtPath: tmp.file("optouts.csv")))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("garbage\n".utf8))
        try handle.close()
        #expect(throws: RecordsError.self) { try r.isOptedOut(alice) }
        #expect(throws: RecordsError.self) { try r.isOptedOut(alice) }
    }

    @Test func aTornLastRowIsSetAsideNotLost() throws {
        try registry().optOut(alice, source: "cli", at: .fixed())
        let handle = try #require(FileHandle(forWritingAtPath: tmp.file("optouts.csv")))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("2026-11-29T10:00:01Z,+4477009".utf8))   // crash mid-append
        try handle.close()
        let r = try registry()
        #expect(try r.events().count == 1)
        #expect(try tmp.read("optouts.csv.torn") == "2026-11-29T10:00:01Z,+4477009\n")
        try r.optOut(bob, source: "cli")
        #expect(try registry().events().count == 2)
    }

    @Test func aRowTypedByHandWithoutItsNewlineIsKept() throws {
        try registry().optOut(alice, source: "cli", at: .fixed())
        let handle = try #require(FileHandle(forWritingAtPath: tmp.file("optouts.csv")))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("2026-11-29T11:00:00Z,+447700900123,optout,,,,by hand".utf8))
        try handle.close()
        #expect(try registry().isOptedOut(bob))
        #expect(!FileManager.default.fileExists(atPath: tmp.file("optouts.csv.torn")))
        #expect(try tmp.read("optouts.csv").hasSuffix("by hand\n"))
    }

    @Test func aFileSavedFromAnEditorIsReadAgain() throws {
        let agent = try registry()
        try agent.optOut(alice, source: "cli", at: .fixed())
        #expect(try agent.isOptedOut(alice))
        // An editor writes a new file and renames it over the old one: Alice's row edited to Bob.
        let edited = try tmp.read("optouts.csv").replacingOccurrences(of: "+33612345678", with: "+447700900123")
        try tmp.write("optouts.edit", edited)
        #expect(rename(tmp.file("optouts.edit"), tmp.file("optouts.csv")) == 0)
        #expect(try !agent.isOptedOut(alice))
        #expect(try agent.isOptedOut(bob))
        try agent.optOut(alice, source: "cli", at: .fixed(1))
        #expect(try registry().events().count == 2)
    }

    @Test func aFileRemovedWhileInUseIsAnErrorNotAnEmptyList() throws {
        let agent = try registry()
        try agent.optOut(alice, source: "cli", at: .fixed())
        try FileManager.default.removeItem(atPath: tmp.file("optouts.csv"))
        #expect(throws: RecordsError.self) { try agent.isOptedOut(alice) }
    }

    @Test func importReportsBadRowsByLineAndKeepsTheRest() throws {
        try tmp.write("list.csv", """
            name,phone
            Alice,06 12 34 56 78
            Bob,+44 7700 900123
            Typo,12
            Empty,
            Again,+33612345678

            """)
        let r = try registry()
        let report = try r.importNumbers(fromCSV: tmp.file("list.csv"), defaultCountry: "FR", at: .fixed())
        #expect(report.recorded == 2)
        #expect(report.unchanged == 1)
        #expect(report.issues.map(\.line) == [4, 5])
        #expect(try r.isOptedOut(alice) && r.isOptedOut(bob))
    }

    /// A time read from the file whose milliseconds do not fit an `Int64` is a reported row,
    /// never a trap (`Int64(exactly:)`).
    @Test func aTimeOutOfRangeIsRefusedNotATrap() {
        #expect(FileOptOutRegistry.Folder.millis(of: Date(timeIntervalSince1970: 1e300)) == nil)
        #expect(FileOptOutRegistry.Folder.millis(of: Date(timeIntervalSince1970: -1e300)) == nil)
        #expect(FileOptOutRegistry.Folder.millis(of: Date(timeIntervalSince1970: 1_764_000_000.1234)) == 1_764_000_000_123)
    }

    @Test func exportListsOptedOutNumbers() throws {
        let r = try registry()
        try r.optOut(alice, keyword: "STOP", source: "sms:1", at: .fixed())
        try r.optOut(bob, source: "cli", at: .fixed())
        try r.optIn(bob, source: "cli", at: .fixed(1))
        #expect(try r.exportCSV() == """
            number,state,since,keyword,modem,source
            +33612345678,optout,2026-11-29T10:00:00.000Z,STOP,,sms:1

            """)
    }

    @Test func confirmationsAtMostOncePerDayPerNumber() throws {
        let log = try FileConfirmationLog(path: tmp.file("confirmations.csv"))
        #expect(try log.claim(for: alice, messageID: "c1", now: .fixed(0)))
        #expect(try !log.claim(for: alice, messageID: "c2", now: .fixed(3600)))
        #expect(try FileConfirmationLog(path: tmp.file("confirmations.csv")).wasSent(to: alice, now: .fixed(3600)))
        #expect(try log.claim(for: bob, messageID: "c3", now: .fixed(3600)))
        #expect(try log.claim(for: alice, messageID: "c4", now: .fixed(24 * 3600 + 1)))
    }
}
