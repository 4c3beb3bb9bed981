import Compliance
import Foundation
import Testing
@testable import Records

/// The compact opt-out index (issue 11): rows read from bytes, numbers packed, events read again
/// from the file when asked for — and the same answers as the fold of strings it replaced.
@Suite struct OptOutIndexTests {
    let tmp = TemporaryDirectory("optout-index")
    var alice: PhoneNumber { get throws { try PhoneNumber.parse("+33612345678", defaultCountry: "FR") } }
    var bob: PhoneNumber { get throws { try PhoneNumber.parse("+447700900123", defaultCountry: "FR") } }

    func registry(hashed: Bool = false, key: Bool? = nil) throws -> FileOptOutRegistry {
        let withKey = key ?? hashed
        let hmac = withKey ? try HMACKey.loadOrCreate(path: tmp.file("optout.key")) : nil
        return try FileOptOutRegistry(path: tmp.file("optouts.csv"), key: hmac, storeHashed: hashed)
    }

    static let header = "recorded_at,number,event,keyword,text,modem,source\n"

    @Test(arguments: ["+12345678", "+33612345678", "+0612345678", "+612345678", "+999999999999999", "+000000000000000"])
    func e164NumbersPackAndUnpackExactly(_ number: String) throws {
        let packed = try #require(StoredNumber(number))
        guard case let .e164(value) = packed else { Issue.record("\(number) packed as \(packed)"); return }
        #expect(StoredNumber.unpackE164(value) == number)
    }

    @Test func numbersThatDifferOnlyByLeadingZerosStayApart() throws {
        #expect(StoredNumber("+0612345678") != StoredNumber("+612345678"))
        #expect(StoredNumber("+00612345678") != StoredNumber("+0612345678"))
    }

    @Test(arguments: ["", "+", "+1234567", "+1234567890123456", "33612345678", "+3361234567a", "+33 612345678",
                      "hmac:" + String(repeating: "0", count: 63), "hmac:" + String(repeating: "g", count: 64)])
    func whatIsNeitherE164NorAnHMACIsNotAStoredNumber(_ raw: String) {
        #expect(StoredNumber(raw) == nil)
    }

    @Test func anHMACIdentifierIsTheSameKeyInEitherCase() throws {
        let key = try HMACKey(bytes: Array(repeating: 7, count: 32))
        let identifier = key.identifier(forE164: "+33612345678")
        #expect(StoredNumber(identifier) == .hashed(key.digest(forE164: "+33612345678")))
        #expect(StoredNumber(identifier.uppercased().replacingOccurrences(of: "HMAC:", with: "hmac:")) == StoredNumber(identifier))
    }

    @Test func canonicalTimestampsReadFromBytesMatchTheGeneralParser() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            // 1970 to 2200, to the millisecond.
            let millis = Int64.random(in: 0...7_258_118_400_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(millis) / 1000)
            for text in [RecordCoding.timestamp(date), date.formatted(Date.ISO8601FormatStyle())] {
                var bytes = Array(text.utf8)
                let fast = bytes.withUnsafeMutableBufferPointer { RecordCoding.canonicalTimestampMillis(UnsafeBufferPointer($0)) }
                let general = try #require(RecordCoding.parseTimestamp(text))
                #expect(fast == Int64((general.timeIntervalSince1970 * 1000).rounded()), "\(text)")
            }
        }
    }

    @Test(arguments: ["2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00.000Z", "2026-01-01T24:00:00Z",
                      "2026-01-01T10:60:00Z", "2026-01-01T10:00:60Z", "2026-01-01T10:00:00+02:00", "2026-01-01 10:00:00Z",
                      "1969-12-31T23:59:59Z", "2026-01-01T10:00:00.1Z", " 2026-01-01T10:00:00Z"])
    func otherFormsAreLeftToTheGeneralParser(_ text: String) {
        var bytes = Array(text.utf8)
        #expect(bytes.withUnsafeMutableBufferPointer { RecordCoding.canonicalTimestampMillis(UnsafeBufferPointer($0)) } == nil)
    }

    @Test func rowsWrittenByHandInOtherFormsFoldByTheirInstant() throws {
        // Alice: opted out at 10:00 UTC (canonical), in again at 11:30+02:00 = 09:30 UTC (older: does
        // not decide), written with padding, quotes and capitals.
        try tmp.write("optouts.csv", Self.header + """
            2026-11-29T10:00:00.000Z,+33612345678,optout,STOP,,sim0,sms:1
            2026-11-29T11:30:00+02:00, +33612345678 ,OPTIN,,,,cli
            "2026-11-29T12:00:00Z","+447700900123", optout ,,"a, b",,cli

            """)
        let r = try registry()
        #expect(try r.isOptedOut(alice))
        #expect(try r.isOptedOut(bob))
        #expect(try r.optedOutCount() == 2)
        #expect(try r.eventCount() == 3)
        #expect(try r.state(of: bob)?.lastEvent.text == "a, b")
        #expect(try r.state(of: alice)?.lastEvent.source == "sms:1")
    }

    @Test func stateAndCurrentReadTheDecidingRowsAgain() throws {
        let r = try registry()
        try r.optOut(alice, keyword: "STOP", modem: "sim0", source: "sms:a1", at: .fixed(0))
        try r.optOut(bob, keyword: "ARRET", modem: "sim1", source: "sms:b1", at: .fixed(1))
        try r.optIn(alice, keyword: "START", modem: "sim0", source: "sms:a2", at: .fixed(2))
        let reopened = try registry()
        let aliceState = try #require(try reopened.state(of: alice))
        #expect(aliceState.optedOut == false)
        #expect(aliceState.lastEvent == OptOutEvent(recordedAt: .fixed(2), number: "+33612345678", event: .optin,
                                                     keyword: "START", modem: "sim0", source: "sms:a2"))
        // In file order of the deciding rows: Bob's (line 3), then Alice's (line 4).
        #expect(try reopened.current().map(\.number) == ["+447700900123", "+33612345678"])
        #expect(try reopened.current().map(\.lastEvent.keyword) == ["ARRET", "START"])
        #expect(try reopened.eventCount() == 3)
        #expect(try reopened.events().count == 3)
    }

    @Test func aListSwitchedToHashedModeIsOneHistoryPerNumber() throws {
        try registry().optOut(alice, keyword: "STOP", source: "sms:1", at: .fixed(0))
        try registry().optOut(bob, source: "cli", at: .fixed(0))
        let hashed = try registry(hashed: true)
        try hashed.optIn(alice, keyword: "START", source: "sms:2", at: .fixed(10))   // a hashed row, later
        #expect(try !hashed.isOptedOut(alice))
        #expect(try hashed.isOptedOut(bob))
        #expect(try hashed.optedOutCount() == 1)
        let states = try hashed.current()
        #expect(states.count == 2)
        #expect(states.filter(\.optedOut).map(\.number) == ["+447700900123"])
        #expect(try hashed.state(of: alice)?.lastEvent.keyword == "START")
        // Opted out again, hashed: the count follows (the merged count is not stale).
        try hashed.optOut(alice, source: "cli", at: .fixed(20))
        #expect(try hashed.optedOutCount() == 2)
    }

    @Test func theSameSMSIsOneEventAcrossTheSwitchToHashedMode() throws {
        #expect(try registry().optOut(alice, keyword: "STOP", source: "sms:f00d", at: .fixed(0)))
        let hashed = try registry(hashed: true)
        #expect(try !hashed.optOut(alice, keyword: "STOP", source: "sms:f00d", at: .fixed(5)))
        #expect(try hashed.optOut(alice, keyword: "STOP", source: "sms:beef", at: .fixed(6)))
        #expect(try hashed.eventCount() == 2)
    }

    @Test func anImportIsOneBatchAndCountsANumberGivenTwiceOnce() throws {
        try registry().optOut(bob, source: "cli", at: .fixed(0))
        try tmp.write("list.csv", "phone\n0612345678\n+447700900123\n06 12 34 56 78\n0612345601\n")
        let r = try registry()
        let report = try r.importNumbers(fromCSV: tmp.file("list.csv"), defaultCountry: "FR", at: .fixed(10))
        #expect(report.recorded == 2)
        #expect(report.unchanged == 2)
        #expect(try r.eventCount() == 3)
        #expect(try r.state(of: alice)?.lastEvent.source == "import:list.csv:2")
        let reopened = try registry()
        #expect(try reopened.optedOutCount() == 3)
        #expect(try reopened.isOptedOut(PhoneNumber.parse("0612345601", defaultCountry: "FR")))
    }

    @Test func anOptInImportOnlyWritesForNumbersOptedOut() throws {
        try registry().optOut(alice, source: "cli", at: .fixed(0))
        try tmp.write("back.csv", "+33612345678\n+447700900123\n")
        let r = try registry()
        let report = try r.importNumbers(fromCSV: tmp.file("back.csv"), defaultCountry: "FR", event: .optin, at: .fixed(10))
        #expect(report.recorded == 1)
        #expect(report.unchanged == 1)
        #expect(try !r.isOptedOut(alice))
    }

    @Test func aHashedImportStoresIdentifiers() throws {
        try tmp.write("list.csv", "0612345678\n")
        let r = try registry(hashed: true)
        #expect(try r.importNumbers(fromCSV: tmp.file("list.csv"), defaultCountry: "FR", at: .fixed()).recorded == 1)
        #expect(try !tmp.read("optouts.csv").contains("612345678"))
        #expect(try registry(hashed: true).isOptedOut(alice))
    }

    @Test func manyNumbersLoadIntoTheIndex() throws {
        var text = Self.header
        for i in 0..<5000 {
            let event = i % 5 == 4 ? "optin" : "optout"
            text += "2026-11-29T10:00:00.000Z,+336\(String(format: "%08d", i / 2)),\(event),STOP,,sim0,sms:\(i)\n"
        }
        try tmp.write("optouts.csv", text)
        let r = try registry()
        #expect(try r.eventCount() == 5000)
        // Rows 2k and 2k+1 share a number and a time: the later row decides; rows 4 mod 5 are opt-ins.
        let expected = (0..<2500).filter { (2 * $0 + 1) % 5 != 4 }.count
        #expect(try r.optedOutCount() == expected)
        #expect(try r.current().count == 2500)
        #expect(try r.isOptedOut(PhoneNumber.parse("+33600000001", defaultCountry: "FR")))   // rows 2, 3
        #expect(try r.isOptedOut(PhoneNumber.parse("+33600000002", defaultCountry: "FR")))   // rows 4 (optin), 5 (optout)
        #expect(try !r.isOptedOut(PhoneNumber.parse("+33600000004", defaultCountry: "FR")))  // rows 8 (optout), 9 (optin)
    }
}
