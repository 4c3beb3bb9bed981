import Compliance
import Foundation
import Testing
@testable import Records

@Suite struct OutboxTests {
    let tmp = TemporaryDirectory("outbox")
    var outbox: FileOutbox { get throws { try FileOutbox(root: tmp.file("outbox")) } }

    @Test func messageRoundTripsThroughTheSpool() throws {
        let outbox = try self.outbox
        let message = OutboxMessage(id: "20261129T100000000Z-00000001", to: "+33612345678", text: "Soldes d’hiver, 20 % !",
                                    messageClass: .marketing, campaign: "winter", createdAt: .fixed(), kind: nil,
                                    notBefore: nil)
        try outbox.enqueue(message)
        #expect(tmp.list("outbox/new") == ["20261129T100000000Z-00000001.json"])
        #expect(tmp.mode("outbox/new/20261129T100000000Z-00000001.json") == 0o600)
        let claimed = try #require(try outbox.claimNext(now: .fixed()))
        #expect(claimed.message == message)
        #expect(tmp.list("outbox/sending") == ["20261129T100000000Z-00000001.json"])
        #expect(tmp.list("outbox/new").isEmpty)
        #expect(tmp.list("outbox/tmp").isEmpty)
    }

    @Test func claimsOldestFirst() throws {
        let outbox = try self.outbox
        let ids = (0..<5).map { OutboxMessage.makeID(now: .fixed(Double($0))) }
        for id in ids.reversed() { try outbox.enqueue(OutboxMessage(id: id, to: "+33612345678", text: id)) }
        var claimed: [String] = []
        while let next = try outbox.claimNext(now: .fixed(60)) { claimed.append(next.message.id) }
        #expect(claimed == ids)
    }

    @Test func idsSortByTime() {
        let early = OutboxMessage.makeID(now: .fixed(0.001))
        let late = OutboxMessage.makeID(now: .fixed(1))
        #expect(early < late)
        #expect(early.hasPrefix("20261129T100000001Z-"))
    }

    @Test func respectsNotBefore() throws {
        let outbox = try self.outbox
        try outbox.enqueue(OutboxMessage(id: "a", to: "+33612345678", text: "later", notBefore: .fixed(3600)))
        try outbox.enqueue(OutboxMessage(id: "b", to: "+33612345678", text: "now"))
        #expect(try outbox.claimNext(now: .fixed())?.message.id == "b")
        #expect(try outbox.claimNext(now: .fixed()) == nil)
        #expect(try outbox.earliestHeldUntil() == .fixed(3600))
        #expect(try outbox.claimNext(now: .fixed(3600))?.message.id == "a")
    }

    @Test func acceptsTheMinimalFileOfAnotherProgram() throws {
        let outbox = try self.outbox
        try tmp.write("outbox/tmp/drop", #"{"to": "0612345678", "text": "Votre colis arrive", "class": "notification", "created_at": "2026-11-29T11:00:00+01:00"}"#)
        try FileManager.default.moveItem(atPath: tmp.file("outbox/tmp/drop"), toPath: tmp.file("outbox/new/order-42.json"))
        let claimed = try #require(try outbox.claimNext(now: .fixed()))
        #expect(claimed.message.id == "order-42")
        #expect(claimed.message.to == "0612345678")
        #expect(claimed.message.messageClass == .notification)
        #expect(claimed.message.createdAt == .fixed())
        #expect(claimed.message.attempts.isEmpty)
    }

    @Test func aFileWithoutCreationTimeGetsItsModificationTime() throws {
        let outbox = try self.outbox
        try tmp.write("outbox/new/x.json", #"{"to": "+33612345678", "text": "hi"}"#)
        try FileManager.default.setAttributes([.modificationDate: Date.fixed(-60)], ofItemAtPath: tmp.file("outbox/new/x.json"))
        #expect(try outbox.claimNext(now: .fixed())?.message.createdAt == .fixed(-60))
    }

    @Test(arguments: [
        ("not json at all", "not valid JSON"),
        (#"{"text": "no recipient"}"#, "missing field \"to\""),
        (#"{"to": "+33612345678", "text": 42}"#, "wrong type at text"),
        (#"{"to": "+33612345678", "text": "x", "class": "spam"}"#, "bad value at class"),
        (#"{"to": "+33612345678", "text": "x", "not_before": "tomorrow"}"#, "bad value at not_before"),
        (#"{"to": "", "text": "x"}"#, "\"to\" is empty"),
        (#"{"to": "+33612345678", "text": ""}"#, "\"text\" is empty"),
        ("\u{FF}\u{FE}garbage", "not valid JSON"),
    ])
    func malformedFilesLandInFailedWithAReasonAndTheClaimGoesOn(_ content: String, _ reason: String) throws {
        let outbox = try self.outbox
        try tmp.write("outbox/new/0-bad.json", content)
        try outbox.enqueue(OutboxMessage(id: "1-good", to: "+33612345678", text: "ok"))
        let claimed = try #require(try outbox.claimNext(now: .fixed()))
        #expect(claimed.message.id == "1-good")
        #expect(claimed.rejected.count == 1)
        #expect(claimed.rejected.first?.reason.contains(reason) == true, "\(claimed.rejected)")
        #expect(tmp.list("outbox/failed") == ["0-bad.json", "0-bad.json.reason"])
        #expect(try tmp.read("outbox/failed/0-bad.json") == content)
        #expect(outbox.rejectionReason(fileName: "0-bad.json")?.contains(reason) == true)
        #expect(try outbox.counts() == OutboxCounts(new: 0, sending: 1, sent: 0, failed: 1))
    }

    @Test func aFolderOrAHugeFileInNewIsRejected() throws {
        let outbox = try self.outbox
        try FileManager.default.createDirectory(atPath: tmp.file("outbox/new/dir"), withIntermediateDirectories: false)
        try tmp.write("outbox/new/huge", String(repeating: " ", count: FileOutbox.maximumFileSize + 1))
        #expect(try outbox.claimNext(now: .fixed()) == nil)
        #expect(tmp.list("outbox/failed") == ["dir.json", "dir.json.reason", "huge.json", "huge.json.reason"])
        #expect(outbox.rejectionReason(fileName: "huge.json")?.contains("larger than") == true)
    }

    @Test func completeWritesTheResultAndMovesTheFile() throws {
        let outbox = try self.outbox
        try outbox.enqueue(OutboxMessage(id: "m", to: "+33612345678", text: "two parts"))
        _ = try outbox.claimNext(now: .fixed())
        try outbox.recordAttempt("m", SendAttempt(part: 1, parts: 2, modem: "sim0", startedAt: .fixed(), concatReference: 7))
        try outbox.recordPartAccepted("m", part: 1, reference: 41, at: .fixed(1))
        try outbox.recordAttempt("m", SendAttempt(part: 2, parts: 2, modem: "sim0", startedAt: .fixed(2), concatReference: 7))
        try outbox.recordPartAccepted("m", part: 2, reference: 42, at: .fixed(3))
        let result = SendResult(status: .sent, refs: [41, 42], modem: "sim0", segments: 2, credits: 2, finishedAt: .fixed(3))
        try outbox.complete("m", result: result)
        let (folder, stored) = try #require(try outbox.find("m"))
        #expect(folder == .sent)
        #expect(stored.result == result)
        #expect(stored.attempts.map(\.status) == [.accepted, .accepted])
        #expect(stored.acceptedReferences == [41, 42])
        let json = try tmp.read("outbox/sent/m.json")
        for key in ["\"finished_at\"", "\"refs\"", "\"attempts\"", "\"started_at\"", "\"result\""] { #expect(json.contains(key)) }
    }

    @Test(arguments: [SendResult.Status.failed, .suppressed])
    func unsentResultsGoToFailed(_ status: SendResult.Status) throws {
        let outbox = try self.outbox
        try outbox.enqueue(OutboxMessage(id: "m", to: "+33612345678", text: "x"))
        _ = try outbox.claimNext(now: .fixed())
        try outbox.complete("m", result: SendResult(status: status, reason: "opted out"))
        #expect(try outbox.find("m")?.folder == .failed)
        #expect(try outbox.find("m")?.message.result?.reason == "opted out")
    }

    @Test func requeueReturnsTheMessageWithItsHistory() throws {
        let outbox = try self.outbox
        try outbox.enqueue(OutboxMessage(id: "m", to: "+33612345678", text: "x"))
        _ = try outbox.claimNext(now: .fixed())
        try outbox.recordAttempt("m", SendAttempt(part: 1, parts: 1, modem: "sim0", startedAt: .fixed()))
        try outbox.recordPartRejected("m", part: 1, reason: "+CMS ERROR: 500", at: .fixed(1))
        try outbox.requeue("m", notBefore: .fixed(30))
        #expect(try outbox.claimNext(now: .fixed(10)) == nil)
        let again = try #require(try outbox.claimNext(now: .fixed(30)))
        #expect(again.message.attempts.map(\.status) == [.rejected])
        #expect(again.message.attempts.first?.reason == "+CMS ERROR: 500")
    }

    @Test func anAnswerAndTheNextPartsAttemptAreOneWriteAndACrashThenFindsTheNextPartAmbiguous() throws {
        let outbox = try self.outbox
        try outbox.enqueue(OutboxMessage(id: "m", to: "+33612345678", text: "two parts"))
        _ = try outbox.claimNext(now: .fixed())
        try outbox.recordAttempt("m", SendAttempt(part: 1, parts: 2, modem: "sim0", startedAt: .fixed(), concatReference: 7))
        // The next part's attempt carries its prompt marker (written after part 2's `> `).
        let next = SendAttempt(part: 2, parts: 2, modem: "sim0", startedAt: .fixed(1), concatReference: 7, promptSeenAt: .fixed(1))
        try outbox.recordPartAccepted("m", part: 1, reference: 41, at: .fixed(1), next: next)
        let stored = try #require(try outbox.find("m")?.message)
        #expect(stored.attempts.map(\.part) == [1, 2])
        #expect(stored.attempts.map(\.status) == [.accepted, nil])
        // Killed here, PDU 2 possibly written: recovery sees part 1 accepted, part 2 ambiguous.
        let report = try FileOutbox(root: tmp.file("outbox")).recoverAfterCrash(policy: .assumeSent)
        #expect(report.entries.first?.acceptedParts.map(\.part) == [1])
        #expect(report.entries.first?.ambiguousParts == [2])
        #expect(throws: RecordsError.self) {
            try outbox.recordPartAccepted("m", part: 1, reference: 41, at: .fixed(2), next: SendAttempt(part: 3, parts: 2, modem: "sim0"))
        }
    }

    @Test func pruningDeletesOnlySettledMessagesSettledBeforeTheCutoff() throws {
        let outbox = try self.outbox
        for id in ["old-sent", "old-failed", "new-sent", "queued"] {
            try outbox.enqueue(OutboxMessage(id: id, to: "+33612345678", text: id))
        }
        // claimNext takes names in order: new-sent, old-failed, old-sent ("queued" stays in new/).
        for _ in 0..<3 { _ = try outbox.claimNext(now: .fixed()) }
        try outbox.complete("old-sent", result: SendResult(status: .sent, finishedAt: .fixed()))
        try outbox.complete("old-failed", result: SendResult(status: .failed, reason: "invalid number", finishedAt: .fixed()))
        try outbox.complete("new-sent", result: SendResult(status: .sent, finishedAt: .fixed()))
        let old = Date().addingTimeInterval(-100 * 86400)
        for file in ["outbox/sent/old-sent.json", "outbox/failed/old-failed.json"] {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: tmp.file(file))
        }
        #expect(try outbox.prune(settledBefore: Date().addingTimeInterval(-90 * 86400)) == 2)
        #expect(try outbox.find("old-sent") == nil && outbox.find("old-failed") == nil)
        #expect(try outbox.find("new-sent")?.folder == .sent)
        #expect(try outbox.find("queued")?.folder == .new, "queued messages are never pruned")
        #expect(try outbox.prune(settledBefore: Date().addingTimeInterval(-90 * 86400)) == 0)
    }

    @Test func acceptingAPartTwiceIsIdempotentButAPartNeverStartedIsAnError() throws {
        let outbox = try self.outbox
        try outbox.enqueue(OutboxMessage(id: "m", to: "+33612345678", text: "x"))
        _ = try outbox.claimNext(now: .fixed())
        try outbox.recordAttempt("m", SendAttempt(part: 1, parts: 1, modem: "sim0"))
        try outbox.recordPartAccepted("m", part: 1, reference: 5)
        try outbox.recordPartAccepted("m", part: 1, reference: 5)
        #expect(try outbox.find("m")?.message.attempts.count == 1)
        #expect(throws: RecordsError.self) { try outbox.recordPartAccepted("m", part: 2, reference: 6) }
        #expect(throws: RecordsError.self) { try outbox.recordAttempt("m", SendAttempt(part: 2, parts: 1, modem: "sim0")) }
    }

    @Test func anIdIsEnqueuedOnlyOnce() throws {
        let outbox = try self.outbox
        try outbox.enqueue(OutboxMessage(id: "m", to: "+33612345678", text: "x"))
        _ = try outbox.claimNext(now: .fixed())
        try outbox.complete("m", result: SendResult(status: .sent))
        #expect(throws: RecordsError.duplicateMessageID(id: "m", folder: tmp.file("outbox/sent"))) {
            try outbox.enqueue(OutboxMessage(id: "m", to: "+33612345678", text: "x"))
        }
    }

    @Test func aForeignFileReusingASentNameIsRefused() throws {
        let outbox = try self.outbox
        try tmp.write("outbox/new/order.json", #"{"to": "+33612345678", "text": "first"}"#)
        _ = try #require(try outbox.claimNext(now: .fixed()))
        try outbox.complete("order", result: SendResult(status: .sent))
        try tmp.write("outbox/new/order.json", #"{"to": "+33612345678", "text": "second"}"#)
        #expect(try outbox.claimNext(now: .fixed()) == nil)
        #expect(try outbox.find("order")?.message.text == "first")
        #expect(outbox.rejectionReason(fileName: "order.json")?.contains("already in") == true)
    }

    @Test func aFixedFileDroppedAgainAfterARejectionIsSent() throws {
        let outbox = try self.outbox
        try tmp.write("outbox/new/x.json", "{")
        #expect(try outbox.claimNext(now: .fixed()) == nil)
        try tmp.write("outbox/new/x.json", #"{"to": "+33612345678", "text": "fixed"}"#)
        #expect(try outbox.claimNext(now: .fixed())?.message.text == "fixed")
        try outbox.complete("x", result: SendResult(status: .failed, reason: "no modem"))
        #expect(tmp.list("outbox/failed").count == 3)   // x.json (the fixed one), the rejected one and its reason
        #expect(try outbox.find("x")?.message.result?.reason == "no modem")
    }

    @Test func operationsOnAnUnknownMessageAreTypedErrors() throws {
        let outbox = try self.outbox
        #expect(throws: RecordsError.messageNotFound(id: "nope", folder: tmp.file("outbox/sending"))) {
            try outbox.complete("nope", result: SendResult(status: .sent))
        }
        #expect(throws: RecordsError.invalidMessageID("../escape")) {
            try outbox.requeue("../escape", notBefore: nil)
        }
    }
}
