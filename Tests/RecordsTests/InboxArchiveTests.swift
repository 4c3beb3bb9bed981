import Foundation
import Testing
@testable import Records

@Suite struct InboxArchiveTests {
    let tmp = TemporaryDirectory("inbox")

    func archive() throws -> FileInboxArchive { try FileInboxArchive(path: tmp.file("inbox.csv")) }

    @Test func recordsRoundTripWithAwkwardText() throws {
        let record = InboundRecord(receivedAt: .fixed(), from: "+33612345678", text: "Stop, \"merci\"\nÀ bientôt 👋",
                                   modem: "sim0", parts: 2, keywordResult: "optout:STOP", simIndices: [3, 4],
                                   sentAt: .fixed(-5), status: "complete")
        #expect(try archive().append(record))
        #expect(try archive().all() == [record])
    }

    @Test("what a stranger sends never reaches a spreadsheet as a formula, and reads back unchanged",
          arguments: [("=HYPERLINK(\"http://x\",\"clic\")", "=CMD"), ("+cmd|' /C calc'!A0", "@SUM"), ("-2+3", "'tis"),
                      ("\tTAB", "+33612345678"), ("'quoted", "-12"), ("Stop", "Shop")])
    func formulaLikeCellsAreProtected(text: String, from: String) throws {
        let record = InboundRecord(receivedAt: .fixed(), from: from, text: text, modem: "sim0")
        #expect(try archive().append(record))
        let rows = try String(contentsOfFile: tmp.file("inbox.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        let cells = try #require(rows.first).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for cell in [cells[1], cells[2]] {
            let shown = cell.hasPrefix("\"") ? String(cell.dropFirst()) : cell
            #expect(!"=+-@\t\r".contains(shown.first ?? " ") || shown.dropFirst().allSatisfy(\.isNumber),
                    "a spreadsheet would evaluate \(cell)")
        }
        #expect(try archive().all() == [record])
    }

    @Test func aMessageReListedAfterACrashIsRecognised() throws {
        let first = InboundRecord(receivedAt: .fixed(), from: "+33612345678", text: "STOP", modem: "sim0", sentAt: .fixed(-5))
        #expect(try archive().append(first))
        var again = first
        again.receivedAt = .fixed(600)
        again.simIndices = [7]
        again.fingerprint = InboundRecord.fingerprint(from: again.from, sentAt: again.sentAt, text: again.text)
        let reopened = try archive()
        #expect(try reopened.contains(fingerprint: first.fingerprint))
        #expect(try !reopened.append(again))
        #expect(try reopened.all().count == 1)
        let other = InboundRecord(from: "+33612345678", text: "STOP", modem: "sim0", sentAt: .fixed(60))
        #expect(try reopened.append(other))    // a second STOP, sent later, is another message
    }

    @Test func reviewListsMessagesThatMentionAKeyword() throws {
        let a = try archive()
        try a.append(InboundRecord(from: "+33612345678", text: "don't stop", modem: "sim0", keywordResult: "review:STOP"))
        try a.append(InboundRecord(from: "+33612345679", text: "Stop !", modem: "sim0", keywordResult: "optout:STOP"))
        #expect(try archive().review().map(\.text) == ["don't stop"])
    }

    @Test func aMalformedRowIsReportedAndTheRestIsKept() throws {
        try tmp.write("inbox.csv", """
            received_at,from,text,modem,parts,keyword_result,sim_indices,sent_at,fingerprint,status
            bad,+33612345678,hello,sim0,1,none,,,ab,complete
            2026-11-29T10:00:00Z,+33612345678,hello,sim0,1,none,,,cd,complete

            """)
        let a = try archive()
        #expect(try a.all().map(\.fingerprint) == ["cd"])
        #expect(a.issues.map(\.line) == [2])
    }
}
