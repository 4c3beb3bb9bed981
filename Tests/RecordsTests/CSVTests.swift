import Foundation
import Testing
@testable import Records

@Suite struct CSVTests {
    @Test(arguments: [
        "plain", "with,comma", "with \"quotes\"", "two\nlines", "crlf\r\ninside", "désinscription 🚫 «STOP»",
        "", " leading and trailing ", "\"", ",", "a,\"b\",\nc",
    ])
    func fieldRoundTrips(_ value: String) {
        let line = CSV.record(["x", value, "y"])
        let parsed = CSV.parse(Array(line.utf8)[...])
        #expect(parsed.issues.isEmpty)
        #expect(parsed.records.map(\.fields) == [["x", value, "y"]])
        #expect(parsed.completeLength == line.utf8.count)
    }

    @Test func quotesOnlyWhenNeeded() {
        #expect(CSV.record(["a", "b c", "é"]) == "a,b c,é\n")
        #expect(CSV.record(["a,b"]) == "\"a,b\"\n")
        #expect(CSV.record(["say \"hi\""]) == "\"say \"\"hi\"\"\"\n")
    }

    @Test func recordLineNumbersCountEmbeddedNewlines() {
        let text = "h1,h2\n\"a\nb\",c\nd,e\n"
        let parsed = CSV.parse(Array(text.utf8)[...])
        #expect(parsed.records.map(\.line) == [1, 2, 4])
    }

    @Test func ignoresAByteOrderMarkAtTheStart() {
        let parsed = CSV.parse(([0xEF, 0xBB, 0xBF] + Array("phone\n0612345678\n".utf8))[...])
        #expect(parsed.records.map(\.fields) == [["phone"], ["0612345678"]])
        #expect(parsed.completeLength == 3 + 17)
    }

    @Test func acceptsCRLFLineEnds() {
        let parsed = CSV.parse(Array("a,b\r\nc,d\r\n".utf8)[...])
        #expect(parsed.records.map(\.fields) == [["a", "b"], ["c", "d"]])
    }

    @Test(arguments: [
        ("a,b\nc,d", 4),             // last line without newline
        ("a,b\n\"c,d\n", 4),         // unterminated quote
        ("a,b\nc,\"d\"", 4),         // closing quote is the last byte: cannot know yet
    ])
    func unterminatedTailIsNotComplete(_ text: String, _ complete: Int) {
        let parsed = CSV.parse(Array(text.utf8)[...])
        #expect(parsed.completeLength == complete)
        #expect(parsed.records.count == 1)
    }

    @Test(arguments: ["a,b\"c\n", "a,\"b\"c\n"])
    func strayQuotesAreReportedWithTheirLine(_ bad: String) {
        let parsed = CSV.parse(Array(("h\n" + bad + "ok\n").utf8)[...])
        #expect(parsed.issues.map(\.line) == [2])
        #expect(parsed.records.map(\.fields) == [["h"], ["ok"]])
    }
}
