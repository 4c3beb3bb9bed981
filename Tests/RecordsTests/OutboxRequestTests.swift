import Compliance
import Foundation
import Testing
@testable import Records

/// Invariant 8 (DESIGN.md): a file dropped in `outbox/new/` is a producer's request, never the
/// agent's state, and unknown keys are refused (issue 9, items 2, 3 and 7).
@Suite struct OutboxRequestTests {
    let tmp = TemporaryDirectory("outbox-request")
    var outbox: FileOutbox { get throws { try FileOutbox(root: tmp.file("outbox")) } }

    /// Drops `content` as `0-dropped.json` beside a good request, claims, and returns what the
    /// claim refused (the good one must be the one claimed).
    private func dropAndClaim(_ content: String) throws -> (claimed: OutboxMessage, rejected: [RejectedSpoolFile]) {
        let outbox = try self.outbox
        try tmp.write("outbox/new/0-dropped.json", content)
        try tmp.write("outbox/new/1-good.json", #"{"to": "+33612345678", "text": "ok"}"#)
        let claimed = try #require(try outbox.claimNext(now: .fixed()))
        #expect(try outbox.claimNext(now: .fixed()) == nil, "the dropped file must never be claimed")
        return (claimed.message, claimed.rejected)
    }

    @Test(arguments: [
        // The forged opt-out confirmation of issue 9.2: would go out as a reply, without footer.
        (#"{"to": "+33612345678", "text": "Buy now", "class": "marketing", "kind": "confirmation"}"#, "kind"),
        (#"{"to": "+33612345678", "text": "Buy now", "kind": "help"}"#, "kind"),
        // Pre-filled attempts: would settle as sent with nothing transmitted.
        (#"{"to": "+33612345678", "text": "x", "attempts": [{"part": 1, "parts": 1, "modem": "sim0", "started_at": "2026-11-29T10:00:00Z", "status": "accepted", "reference": 1}]}"#, "attempts"),
        (#"{"to": "+33612345678", "text": "x", "result": {"status": "sent", "refs": [], "segments": 1, "credits": 0, "finished_at": "2026-11-29T10:00:00Z"}}"#, "result"),
        (#"{"to": "+33612345678", "text": "x", "id": "someone-elses-id"}"#, "id"),
    ])
    func agentStateInADroppedFileRefusesTheFile(_ content: String, _ key: String) throws {
        let (claimed, rejected) = try dropAndClaim(content)
        #expect(claimed.id == "1-good")
        #expect(rejected.map(\.path) == [tmp.file("outbox/failed/0-dropped.json")])
        let reason = try #require(rejected.first?.reason)
        #expect(reason.contains("key \"\(key)\" is written by the agent"), "\(reason)")
        #expect(try outbox.rejectionReason(fileName: "0-dropped.json")?.hasPrefix(reason) == true)
        #expect(try tmp.read("outbox/failed/0-dropped.json") == content)
    }

    @Test(arguments: [
        ("clas", "class"), ("Text", "text"), ("not_befor", "not_before"), ("createdAt", "created_at"),
        ("campain", "campaign"), ("footer", nil), ("priority", nil),
    ] as [(String, String?)])
    func anUnknownKeyRefusesTheFileAndNamesTheClosestKnownOne(_ key: String, _ closest: String?) throws {
        let (claimed, rejected) = try dropAndClaim(#"{"to": "+33612345678", "text": "x", "\#(key)": "notification"}"#)
        #expect(claimed.id == "1-good")
        let reason = try #require(rejected.first?.reason)
        #expect(reason.contains("unknown key \"\(key)\""), "\(reason)")
        if let closest {
            #expect(reason.contains("did you mean \"\(closest)\"?"), "\(reason)")
        } else {
            #expect(!reason.contains("did you mean"), "\(reason)")
        }
    }

    @Test func theMisspeltClassOfTheIssueIsNotSentAsMarketing() throws {
        let (_, rejected) = try dropAndClaim(#"{"to": "+33612345678", "text": "Votre colis", "clas": "notification"}"#)
        #expect(rejected.first?.reason.hasPrefix("unknown key \"clas\" (did you mean \"class\"?)") == true)
    }

    @Test func everyDocumentedKeyIsAccepted() throws {
        let outbox = try self.outbox
        try tmp.write("outbox/new/full.json", """
            {"to": "0612345678", "text": "hi", "class": "notification", "campaign": "c1",
             "not_before": "2026-11-29T10:00:00Z", "created_at": "2026-11-29T09:00:00Z"}
            """)
        let claimed = try #require(try outbox.claimNext(now: .fixed()))
        #expect(claimed.rejected.isEmpty)
        #expect(claimed.message == OutboxMessage(id: "full", to: "0612345678", text: "hi", messageClass: .notification,
                                                 campaign: "c1", createdAt: .fixed(-3600), kind: nil, notBefore: .fixed()))
    }

    @Test func aProducersEnqueueWritesAPlainRequestIntoTheDropBox() throws {
        try outbox.enqueue(OutboxMessage(id: "m", to: "+33612345678", text: "x", messageClass: .marketing, createdAt: .fixed()))
        #expect(tmp.list("outbox/new") == ["m.json"])
        let written = try tmp.read("outbox/new/m.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(written.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["to", "text", "class", "created_at"])
    }

    @Test func theAgentsRepliesTravelOutsideTheDropBoxAndKeepTheirKind() throws {
        let outbox = try self.outbox
        try outbox.enqueue(OutboxMessage(id: "confirmation-abc", to: "+33612345678", text: "Vous êtes désinscrit",
                                         messageClass: .notification, createdAt: .fixed(), kind: "confirmation"))
        #expect(tmp.list("outbox/new").isEmpty)
        #expect(tmp.list("outbox/queued") == ["confirmation-abc.json"])
        #expect(try outbox.counts().new == 1)
        let claimed = try #require(try outbox.claimNext(now: .fixed()))
        #expect(claimed.message.kind == "confirmation")
        #expect(try outbox.find("confirmation-abc")?.folder == .sending)
    }

    @Test func repliesAndRequestsAreClaimedTogetherInNameOrder() throws {
        let outbox = try self.outbox
        try outbox.enqueue(OutboxMessage(id: "2-request", to: "+33612345678", text: "x"))
        try outbox.enqueue(OutboxMessage(id: "1-reply", to: "+33612345678", text: "y", kind: "help"))
        try outbox.enqueue(OutboxMessage(id: "3-reply", to: "+33612345678", text: "z", kind: "confirmation"))
        var order: [String] = []
        while let next = try outbox.claimNext(now: .fixed()) { order.append(next.message.id) }
        #expect(order == ["1-reply", "2-request", "3-reply"])
    }

    @Test func anIdTakenByAReplyCannotBeEnqueuedAgain() throws {
        let outbox = try self.outbox
        try outbox.enqueue(OutboxMessage(id: "r", to: "+33612345678", text: "y", kind: "help"))
        #expect(throws: RecordsError.duplicateMessageID(id: "r", folder: tmp.file("outbox/queued"))) {
            try outbox.enqueue(OutboxMessage(id: "r", to: "+33612345678", text: "x"))
        }
    }

    @Test func aMessagePutBackKeepsItsHistoryInTheAgentsQueue() throws {
        let outbox = try self.outbox
        try outbox.enqueue(OutboxMessage(id: "m", to: "+33612345678", text: "x"))
        _ = try outbox.claimNext(now: .fixed())
        try outbox.recordAttempt("m", SendAttempt(part: 1, parts: 1, modem: "sim0", startedAt: .fixed()))
        try outbox.recordPartRejected("m", part: 1, reason: "+CMS ERROR: 500", at: .fixed(1))
        try outbox.requeue("m", notBefore: .fixed(30))
        #expect(tmp.list("outbox/new").isEmpty)
        #expect(tmp.list("outbox/queued") == ["m.json"])
        #expect(try outbox.earliestHeldUntil() == .fixed(30))
        let again = try #require(try outbox.claimNext(now: .fixed(30)))
        #expect(again.message.attempts.map(\.status) == [.rejected])
    }

    @Test func aHiddenFileInNewIsLeftAloneDuringItsGracePeriodThenRefused() throws {
        let outbox = try self.outbox
        try tmp.write("outbox/new/.writing.json", #"{"to": "+33612345678", "text": "x"}"#)
        #expect(try outbox.claimNext(now: .fixed()) == nil)
        #expect(FileManager.default.fileExists(atPath: tmp.file("outbox/new/.writing.json")))
        #expect(tmp.list("outbox/failed").isEmpty)
        let old = Date().addingTimeInterval(-FileOutbox.hiddenFileGrace - 60)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: tmp.file("outbox/new/.writing.json"))
        try tmp.write("outbox/new/good.json", #"{"to": "+33612345678", "text": "x"}"#)
        let claimed = try #require(try outbox.claimNext(now: .fixed()))
        #expect(claimed.message.id == "good")
        #expect(claimed.rejected.count == 1)
        #expect(claimed.rejected.first?.reason.contains("hidden file") == true)
        #expect(!FileManager.default.fileExists(atPath: tmp.file("outbox/new/.writing.json")))
        #expect(tmp.list("outbox/failed").filter { !$0.hasSuffix(".reason") }.count == 1)
    }

    @Test(arguments: [
        "", "[]", "null", "\"text\"", "{", #"{"to": 1}"#, String(repeating: "[", count: 100_000),
        String(repeating: "{\"a\":", count: 50_000), "{\"to\": \"\u{0}\", \"text\": \"\u{FFFF}\"}",
    ])
    func garbageIsATypedErrorNeverATrap(_ content: String) {
        #expect(throws: OutboxRequestError.self) { try OutboxRequest.decode(Array(content.utf8)) }
    }

    @Test func aRequestRoundTripsThroughItsJSON() throws {
        let request = OutboxRequest(to: "+33612345678", text: "é ✓ 🎉", messageClass: .marketing, campaign: "c",
                                    notBefore: .fixed(60), createdAt: .fixed())
        #expect(try OutboxRequest.decode(request.encoded()) == request)
    }
}
