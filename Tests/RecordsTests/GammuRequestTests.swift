import Foundation
import Testing
@testable import Records

/// gammu-smsd's FILES-backend outbox files in the drop box: the name says who, the file is the text.
@Suite struct GammuRequestTests {
    @Test("the three name forms give the recipient", arguments: [
        ("OUT+33612345678.txt", "+33612345678"),
        ("OUT0612345678.txt", "0612345678"),
        ("OUTA_+33612345678_00.txt", "+33612345678"),
        ("OUT_0612345678_7.txt", "0612345678"),
        ("OUTG20040620_193810_123_+4512345678_xpq.txtd", "+4512345678"),
        ("OUTC20261203_101500_00_0612345678_sms_from_crm.txt", "0612345678"),
    ])
    func names(name: String, recipient: String) throws {
        #expect(GammuRequest.matches(fileName: name))
        let request = try GammuRequest.parse(fileName: name, bytes: Array("Votre RDV est confirmé.\n".utf8))
        #expect(request.to == recipient)
        #expect(request.text == "Votre RDV est confirmé.", "the closing line end is not part of the message")
        #expect(request.statusReportAsked == name.hasSuffix("txtd"))
    }

    @Test("not gammu names are left to the other formats")
    func notGammu() {
        for name in ["send_a1B2c3", "OUT", "msg.json", "OUTBOX.json", "OUT+336.txt~", "out+33612345678.txt"] {
            #expect(!GammuRequest.matches(fileName: name), "\(name)")
        }
    }

    @Test("refused with the reason: flash, bookmarks, backups, bad names, empty text", arguments: [
        ("OUT+33612345678.txtf", "Urgent", "flash"),
        ("OUT+33612345678.txtb", "x,http://x", "WAP bookmark"),
        ("OUT+33612345678.smsbackup", "[SMSBackup000]", ".smsbackup"),
        ("OUT+33612345678.txtz", "x", "option 'z'"),
        ("OUTabc.txt", "x", "not a phone number"),
        ("OUT+336+12.txt", "x", "not a phone number"),
        ("OUTA_B_C_D.txt", "x", "none of"),
        ("OUT+33612345678.txt", "\n", "empty"),
    ])
    func refused(name: String, content: String, reason: String) {
        do {
            _ = try GammuRequest.parse(fileName: name, bytes: Array(content.utf8))
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.description.contains(reason), "\(error.description)")
        }
    }

    @Test("UTF-16 with a byte-order mark (gammu's Unicode files), UTF-8, else ISO-8859-1")
    func encodings() throws {
        let text = "Crêpes 🥞 ce soir"
        let le: [UInt8] = [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let be: [UInt8] = [0xFE, 0xFF] + text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        #expect(try GammuRequest.parse(fileName: "OUT0612345678.txt", bytes: le).text == text)
        #expect(try GammuRequest.parse(fileName: "OUT0612345678.txt", bytes: be).text == text)
        #expect(try GammuRequest.parse(fileName: "OUT0612345678.txt", bytes: Array(text.utf8)).text == text)
        #expect(try GammuRequest.parse(fileName: "OUT0612345678.txt", bytes: [0x43, 0x72, 0xEA, 0x70, 0x65]).text == "Crêpe")
        #expect(throws: GammuRequestError.self) { try GammuRequest.parse(fileName: "OUT0612345678.txt", bytes: [0xFF, 0xFE, 0x41]) }
        // A lone surrogate is not text.
        #expect(throws: GammuRequestError.self) { try GammuRequest.parse(fileName: "OUT0612345678.txt", bytes: [0xFF, 0xFE, 0x00, 0xD8]) }
    }

    // MARK: In the drop box

    let tmp = TemporaryDirectory("gammu")

    @Test func aGammuFileDroppedInNewIsClaimedAndSentAsItsText() throws {
        let outbox = try FileOutbox(root: tmp.file("outbox"))
        try tmp.write("outbox/new/OUTA_+33612345678_01.txt", "Votre commande est prête.\n")
        let claimed = try #require(try outbox.claimNext(now: .fixed()))
        #expect(claimed.rejected.isEmpty)
        #expect(claimed.message.id == "OUTA_+33612345678_01.txt")
        #expect(claimed.message.to == "+33612345678")
        #expect(claimed.message.text == "Votre commande est prête.")
        #expect(claimed.message.messageClass == nil, "the installation's default class")
        // What the agent keeps in sending/ reads back the same.
        #expect(try outbox.find(claimed.message.id)?.message.text == "Votre commande est prête.")
    }

    @Test func aFlashGammuFileLandsInFailedWithItsReason() throws {
        let outbox = try FileOutbox(root: tmp.file("outbox"))
        try tmp.write("outbox/new/OUT+33612345678.txtf", "Urgent")
        #expect(try outbox.claimNext(now: .fixed()) == nil)
        let failed = try FileManager.default.contentsOfDirectory(atPath: tmp.file("outbox/failed"))
        let reason = failed.first { $0.hasSuffix(".reason") }.flatMap { try? String(contentsOfFile: tmp.file("outbox/failed/" + $0), encoding: .utf8) }
        #expect(reason?.contains("flash") == true, "\(failed)")
    }
}
