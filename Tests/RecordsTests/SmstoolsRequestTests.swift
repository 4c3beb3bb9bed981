import Compliance
import Foundation
import Testing
@testable import Records

/// smstools3's outgoing-file format in the drop box: headers, alphabets, and what is refused.
@Suite struct SmstoolsRequestTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func aPlainFileGivesRecipientAndText() throws {
        let request = try SmstoolsRequest.parse(Self.bytes("To: 33612345678\n\nVotre commande est prête.\n"))
        #expect(request.to == "+33612345678")
        #expect(request.text == "Votre commande est prête.")
        #expect(request.alphabet == .utf8)
        #expect(request.messageClass == nil && request.queue == nil && !request.flash && request.statusReport == nil && request.validity == nil)
    }

    @Test func everyHeaderIsRead() throws {
        let file = "to: 0612345678\r\nAlphabet: UTF-8\r\nFlash: no\r\nReport: yes\r\nValidity: 2 days\r\nQueue: shop\r\nX-Class: Notification\r\nAutosplit: 3\r\n\r\nLigne 1\nLigne 2"
        let request = try SmstoolsRequest.parse(Self.bytes(file))
        #expect(request.to == "0612345678")
        #expect(request.text == "Ligne 1\nLigne 2")
        #expect(request.statusReport == true)
        #expect(request.validity == .seconds(2 * 86_400))
        #expect(request.queue == "shop")
        #expect(request.messageClass == .notification)
    }

    @Test("the text is decoded in the file's alphabet", arguments: [
        // ISO-8859-15: é is E9, € is A4 (not ¤ as in Latin-1).
        ("ISO", [0x43, 0x61, 0x66, 0xE9, 0x20, 0xA4] as [UInt8], "Café €"),
        ("Latin", [0xBD, 0x75, 0x66], "œuf"),
        // GSM 03.38: é is 0x05, € is ESC 0x65, @ is 0x00.
        ("GSM", [0x43, 0x61, 0x66, 0x05, 0x20, 0x1B, 0x65, 0x20, 0x00], "Café € @"),
        ("UTF-8", Array("Crème brûlée 🍮".utf8), "Crème brûlée 🍮"),
        // UCS-2 / UTF-16 big-endian, a surrogate pair included.
        ("UCS2", [0x00, 0x43, 0x00, 0xE9, 0xD8, 0x3C, 0xDF, 0x6E], "Cé🍮"),
        ("Unicode", [0x04, 0x1F, 0x04, 0x40, 0x04, 0x38], "При"),
    ])
    func alphabets(alphabet: String, body: [UInt8], expected: String) throws {
        let request = try SmstoolsRequest.parse(Self.bytes("To: 33612345678\nAlphabet: \(alphabet)\n\n") + body)
        #expect(request.text == expected)
    }

    @Test func withoutAlphabetUTF8IsTakenWhenValidElseISO() throws {
        #expect(try SmstoolsRequest.parse(Self.bytes("To: 33612345678\n\nÉté")).text == "Été")
        let latin = try SmstoolsRequest.parse(Self.bytes("To: 33612345678\n\n") + [0xC9, 0x74, 0xE9])
        #expect(latin.text == "Été")
        #expect(latin.alphabet == .iso)
    }

    @Test("smstools' Validity: a relative code or a number and a unit", arguments: [
        ("0", 5 * 60), ("143", 720 * 60), ("167", 24 * 3600), ("168", 2 * 86_400), ("197", 5 * 7 * 86_400), ("255", 63 * 7 * 86_400),
        ("30 min", 30 * 60), ("12 hours", 12 * 3600), ("1 week", 7 * 86_400), ("3d", 3 * 86_400),
    ] as [(String, Int64)])
    func validity(text: String, seconds: Int64) throws {
        let request = try SmstoolsRequest.parse(Self.bytes("To: 33612345678\nValidity: \(text)\n\nx"))
        #expect(request.validity == .seconds(seconds))
    }

    @Test("bad files are refused with the header or line at fault", arguments: [
        ("To: 33612345678\nText without an empty line", "line 2 is not a header"),
        ("To: 33612345678\n", "no empty line"),
        ("Alphabet: UTF-8\n\nno recipient", "no To: header"),
        ("To: 33612345678\nTo: 33698765432\n\nx", "header To given twice"),
        ("To: 33612345678\nBinary: yes\n\nx", "header Binary is not supported"),
        ("To: 33612345678\nUDH-DATA: 050003000201\n\nx", "header UDH-DATA is not supported"),
        ("To: 33612345678\nFrobnicate: 1\n\nx", "header Frobnicate is not supported"),
        ("To: 33612345678\nAlphabet: EBCDIC\n\nx", "Alphabet: expected ISO, GSM, UTF-8 or UCS2"),
        ("To: 33612345678\nFlash: maybe\n\nx", "Flash: expected yes or no"),
        ("To: 33612345678\nValidity: 256\n\nx", "Validity: expected a relative validity code"),
        ("To: 33612345678\nValidity: 2 fortnights\n\nx", "Validity: expected a unit"),
        ("To: 33612345678\nValidity: 99999999999999 days\n\nx", "Validity: expected 0-255"),
        ("To: 33612345678\nX-Class: spam\n\nx", "X-Class: expected marketing or notification"),
        ("To: 33612345678\n\n\n", "the text is empty"),
        ("To: 33612345678\nAlphabet: UCS2\n\nabc", "not valid UCS-2"),
        ("To: 33612345678\nAlphabet: UTF-8\n\n\u{FF}", "not valid UTF-8"),
    ])
    func refused(file: String, reason: String) {
        var bytes = Self.bytes(file)
        if file.hasSuffix("\u{FF}") { bytes = Self.bytes(String(file.dropLast())) + [0xFF] }
        let error = #expect(throws: SmstoolsRequestError.self) { _ = try SmstoolsRequest.parse(bytes) }
        #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func everyTruncationOfAFileIsATypedErrorOrAMessageNeverATrap() throws {
        let file = Self.bytes("To: 33612345678\nAlphabet: UCS2\nValidity: 2 days\n\n") + [0x00, 0x43, 0xD8, 0x3C, 0xDF, 0x6E]
        for length in 0...file.count {
            _ = try? SmstoolsRequest.parse(Array(file.prefix(length)))
        }
        #expect(try SmstoolsRequest.parse(file).text == "C🍮")
    }

    @Test func jsonIsNotMistakenForHeaders() {
        #expect(SmstoolsRequest.looksLike(Self.bytes("To: 33612345678\n\nx")))
        #expect(SmstoolsRequest.looksLike(Self.bytes("\nTo: 33612345678\n\nx")))
        #expect(!SmstoolsRequest.looksLike(Self.bytes(#"{"to": "+33612345678", "text": "x"}"#)))
        #expect(!SmstoolsRequest.looksLike(Self.bytes(#"  {"to": "a:b"}"#)))
        #expect(!SmstoolsRequest.looksLike(Self.bytes("not json at all")))
        #expect(!SmstoolsRequest.looksLike([]))
    }

    // MARK: In the drop box

    let tmp = TemporaryDirectory("smstools")

    @Test func anSmstoolsFileDroppedInNewIsClaimedLikeAJSONRequest() throws {
        let outbox = try FileOutbox(root: tmp.file("outbox"))
        try tmp.write("outbox/new/send_a1B2c3", "To: 33612345678\nX-Class: notification\n\nVotre commande est prête.\n")
        let claimed = try #require(try outbox.claimNext(now: .fixed()))
        #expect(claimed.rejected.isEmpty)
        #expect(claimed.message.id == "send_a1B2c3")
        #expect(claimed.message.to == "+33612345678")
        #expect(claimed.message.text == "Votre commande est prête.")
        #expect(claimed.message.messageClass == .notification)
    }

    @Test func aBadSmstoolsFileLandsInFailedWithItsReason() throws {
        let outbox = try FileOutbox(root: tmp.file("outbox"))
        try tmp.write("outbox/new/send_bad", "To: 33612345678\nFlash: yes\n\nUrgent")
        #expect(try outbox.claimNext(now: .fixed()) == nil)
        #expect(outbox.rejectionReason(fileName: "send_bad.json")?.contains("does not send flash SMS") == true)
    }
}

extension SmstoolsRequestTests {
    @Test func blankLinesBeforeTheHeadersAreSkipped() throws {
        #expect(try SmstoolsRequest.parse(Self.bytes("\n\r\nTo: 33612345678\n\nx")).to == "+33612345678")
    }
}
