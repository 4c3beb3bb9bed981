import Foundation
import Synchronization
import Testing
@testable import Records

/// The states a `kill -9` can leave, built on disk, and what recovery makes of them (invariant 2).
@Suite struct OutboxRecoveryTests {
    let tmp = TemporaryDirectory("recovery")

    /// A message claimed into `sending/`, with the given attempts recorded. `promptSeen: false`
    /// is an attempt recorded before the `> ` prompt came (as the agent did before the marker).
    func leftInSending(_ outbox: FileOutbox, id: String = "m", parts: Int,
                       _ steps: [(part: Int, answer: Int?)], promptSeen: Bool = true) throws {
        try outbox.enqueue(OutboxMessage(id: id, to: "+33612345678", text: "x"))
        _ = try #require(try outbox.claimNext(now: .fixed()))
        for (part, answer) in steps {
            try outbox.recordAttempt(id, SendAttempt(part: part, parts: parts, modem: "sim0", startedAt: .fixed(),
                                                     promptSeenAt: promptSeen || answer != nil ? .fixed() : nil))
            if let answer { try outbox.recordPartAccepted(id, part: part, reference: answer, at: .fixed(1)) }
        }
    }

    @Test func noAttemptStartedGoesBackToNew() throws {
        let outbox = try FileOutbox(root: tmp.path)
        try leftInSending(outbox, parts: 1, [])
        let report = try FileOutbox(root: tmp.path).recoverAfterCrash(policy: .assumeSent)
        #expect(report.entries.map(\.action) == [.requeued])
        #expect(try outbox.counts() == OutboxCounts(new: 1))
        #expect(try outbox.claimNext(now: .fixed())?.message.id == "m")
    }

    @Test func allPartsAcceptedGoesToSent() throws {
        let outbox = try FileOutbox(root: tmp.path)
        try leftInSending(outbox, parts: 2, [(1, 10), (2, 11)])
        let report = try outbox.recoverAfterCrash(policy: .resend)
        #expect(report.entries.first?.action == .sent)
        #expect(report.entries.first?.acceptedParts.compactMap(\.reference) == [10, 11])
        let (folder, message) = try #require(try outbox.find("m"))
        #expect(folder == .sent)
        #expect(message.result?.refs == [10, 11])
        #expect(message.result?.segments == 2)
    }

    @Test(arguments: [
        (AmbiguousSendPolicy.assumeSent, OutboxFolder.sent, RecoveryReport.Action.sent, SendAttempt.Status.assumedSent),
        (.resend, .queued, .requeued, .interrupted),
        (.fail, .failed, .failed, .interrupted),
    ])
    func anAttemptWithNoAnswerFollowsThePolicy(_ policy: AmbiguousSendPolicy, _ folder: OutboxFolder,
                                              _ action: RecoveryReport.Action, _ marked: SendAttempt.Status) throws {
        let outbox = try FileOutbox(root: tmp.path)
        try leftInSending(outbox, parts: 2, [(1, 10), (2, nil)])
        let report = try outbox.recoverAfterCrash(policy: policy)
        let entry = try #require(report.entries.first)
        #expect(entry.action == action)
        #expect(entry.ambiguousParts == [2])
        #expect(entry.acceptedParts.map(\.part) == [1])
        let (where_, message) = try #require(try outbox.find("m"))
        #expect(where_ == folder)
        #expect(message.attempts.map(\.status) == [.accepted, marked])
        if policy == .resend {
            #expect(message.partsDone == [1])     // the sender sends part 2 again, not part 1
        }
        if policy == .fail {
            #expect(message.result?.reason?.contains("may have been sent") == true)
        }
    }

    /// Issue 9.1: never send part N+1 after a part N that is only assumed. Under `assume-sent` a
    /// middle part with no answer is sent again (same concatenation reference), not assumed.
    @Test func assumeSentNeverAssumesAPartThatOthersFollow() throws {
        let outbox = try FileOutbox(root: tmp.path)
        try leftInSending(outbox, parts: 3, [(1, 10), (2, nil)])
        let report = try outbox.recoverAfterCrash(policy: .assumeSent)
        #expect(report.entries.first?.action == .requeued)
        #expect(report.entries.first?.ambiguousParts == [2])
        let claimed = try #require(try outbox.claimNext(now: .fixed()))
        #expect(claimed.message.partsDone == [1])
        #expect(claimed.message.attempts.map(\.status) == [.accepted, .interrupted])
    }

    /// Issue 9.1: an attempt recorded without the prompt marker never had its PDU written — under
    /// every policy it is "not sent" (retried), never assumed and never a reason to fail.
    @Test(arguments: AmbiguousSendPolicy.allCases)
    func anAttemptWithoutThePromptMarkerWasNotSent(_ policy: AmbiguousSendPolicy) throws {
        let outbox = try FileOutbox(root: tmp.path)
        try leftInSending(outbox, parts: 3, [(1, 10), (2, nil)], promptSeen: false)
        let report = try outbox.recoverAfterCrash(policy: policy)
        let entry = try #require(report.entries.first)
        #expect(entry.action == .requeued)
        #expect(entry.ambiguousParts == [])
        let claimed = try #require(try outbox.claimNext(now: .fixed()))
        #expect(claimed.message.partsDone == [1])
        #expect(claimed.message.attempts.map(\.status) == [.accepted, .rejected])
    }

    @Test func aSinglePartWithoutThePromptMarkerIsRequeuedNotAssumed() throws {
        let outbox = try FileOutbox(root: tmp.path)
        try leftInSending(outbox, parts: 1, [(1, nil)], promptSeen: false)
        #expect(try outbox.recoverAfterCrash(policy: .assumeSent).entries.first?.action == .requeued)
        #expect(try outbox.counts() == OutboxCounts(new: 1))
    }

    @Test func aResultWrittenBeforeTheRenameIsHonoured() throws {
        let outbox = try FileOutbox(root: tmp.path)
        try leftInSending(outbox, parts: 1, [(1, 10)])
        // complete() = rewrite with result, then rename; the crash came between the two.
        var message = try #require(try outbox.find("m")?.message)
        message.result = SendResult(status: .failed, reason: "operator refused")
        try tmp.write("sending/m.json", String(decoding: try RecordCoding.encoder().encode(message), as: UTF8.self))
        let report = try outbox.recoverAfterCrash(policy: .resend)
        #expect(report.entries.first?.action == .failed)
        #expect(try outbox.find("m")?.folder == .failed)
    }

    @Test func aTemporaryFileNeverRenamedIsInvisibleAndHarmless() throws {
        let outbox = try FileOutbox(root: tmp.path)
        // A writer (ours or another program's) died before its rename into new/.
        try tmp.write("tmp/.m.json.1a2b.tmp", #"{"to": "+33612345678", "te"#)
        try tmp.write("new/.half-written", #"{"to": "+33612345678", "te"#)
        #expect(try outbox.recoverAfterCrash(policy: .assumeSent).entries.isEmpty)
        #expect(try outbox.claimNext(now: .fixed()) == nil)
        #expect(try outbox.counts() == OutboxCounts())
    }

    @Test func anUnreadableFileInSendingGoesToFailed() throws {
        let outbox = try FileOutbox(root: tmp.path)
        try tmp.write("sending/broken.json", "{")
        let report = try outbox.recoverAfterCrash(policy: .assumeSent)
        #expect(report.entries.map(\.action) == [.failed])
        #expect(tmp.list("failed") == ["broken.json", "broken.json.reason"])
    }

    /// Issue 11 (group commit): `complete` writes a sent message into `sent/` first and removes its
    /// copy in `sending/` after, that removal being made durable by a later step. A stop between
    /// the two leaves the copy: recovery removes it — never sends or requeues it — and hands the
    /// `sent/` version over for charging (idempotent).
    @Test(arguments: AmbiguousSendPolicy.allCases)
    func aCopyLeftInSendingOfASentMessageIsRemoved(_ policy: AmbiguousSendPolicy) throws {
        let outbox = try FileOutbox(root: tmp.path)
        try leftInSending(outbox, parts: 1, [(1, nil)])
        let stale = try tmp.read("sending/m.json")
        try outbox.complete("m", result: SendResult(status: .sent, refs: [10], modem: "sim0", segments: 1, credits: 1),
                            sentText: nil, accepting: [AcceptedPart(part: 1, reference: 10, at: .fixed(1))]) {}
        try tmp.write("sending/m.json", stale)   // the removal never reached the disk
        var handedOver: [OutboxMessage] = []
        let report = try FileOutbox(root: tmp.path).recoverAfterCrash(policy: policy) { handedOver.append($0) }
        #expect(report.entries.map(\.action) == [.sent])
        #expect(report.entries.first?.ambiguousParts == [])
        #expect(handedOver.map { $0.attempts.map(\.status) } == [[.accepted]])
        #expect(tmp.list("sending").isEmpty)
        #expect(try outbox.counts() == OutboxCounts(sent: 1))
        #expect(try outbox.find("m")?.message.result?.refs == [10])
        #expect(try outbox.claimNext(now: .fixed()) == nil)
    }

    /// The last part's acceptance goes with the result in one write (`accepting:`), straight to
    /// `sent/`: nothing of the message is left in `sending/`.
    @Test func completingWithAnAcceptedPartRecordsBothInSent() throws {
        let outbox = try FileOutbox(root: tmp.path)
        try leftInSending(outbox, parts: 2, [(1, 10), (2, nil)])
        try outbox.complete("m", result: SendResult(status: .sent, refs: [10, 11], modem: "sim0", segments: 2, credits: 2),
                            sentText: "x", accepting: [AcceptedPart(part: 2, reference: 11, at: .fixed(2))]) {}
        let (folder, message) = try #require(try outbox.find("m"))
        #expect(folder == .sent)
        #expect(message.attempts.map(\.status) == [.accepted, .accepted])
        #expect(message.acceptedReferences == [10, 11])
        #expect(message.result?.refs == [10, 11])
        #expect(tmp.list("sending").isEmpty)
        #expect(try outbox.recoverAfterCrash(policy: .resend).entries.isEmpty)
    }

    /// A part accepted without an attempt on record is an error, not a silent completion.
    @Test func completingWithAnAcceptanceThatHasNoAttemptIsRefused() throws {
        let outbox = try FileOutbox(root: tmp.path)
        try leftInSending(outbox, parts: 1, [])
        #expect(throws: RecordsError.self) {
            try outbox.complete("m", result: SendResult(status: .sent, refs: [10], segments: 1),
                                sentText: nil, accepting: [AcceptedPart(part: 1, reference: 10, at: .fixed(1))]) {}
        }
        #expect(try outbox.find("m")?.folder == .sending)
    }

    struct LedgerDown: Error {}

    /// The charge (the ledger rows) runs while the result is flushed and must succeed before the
    /// message is filed: when it fails, the message stays in `sending/` as it was.
    @Test func aChargeThatFailsLeavesTheMessageInSending() throws {
        let outbox = try FileOutbox(root: tmp.path)
        try leftInSending(outbox, parts: 1, [(1, nil)])
        let ran = Mutex(false)
        #expect(throws: LedgerDown.self) {
            try outbox.complete("m", result: SendResult(status: .sent, refs: [10], segments: 1), sentText: nil,
                                accepting: [AcceptedPart(part: 1, reference: 10, at: .fixed(1))]) {
                ran.withLock { $0 = true }
                throw LedgerDown()
            }
        }
        #expect(ran.withLock { $0 })
        let (folder, message) = try #require(try outbox.find("m"))
        #expect(folder == .sending)
        #expect(message.result == nil)
        #expect(message.attempts.map(\.status) == [nil])
        #expect(tmp.list("sent").isEmpty)
        #expect(tmp.list("tmp").isEmpty, "its temporary file removed")
    }

    @Test func recoveryIsIdempotent() throws {
        let outbox = try FileOutbox(root: tmp.path)
        try leftInSending(outbox, parts: 1, [(1, nil)])
        _ = try outbox.recoverAfterCrash(policy: .assumeSent)
        #expect(try outbox.recoverAfterCrash(policy: .assumeSent).entries.isEmpty)
        #expect(try outbox.counts() == OutboxCounts(sent: 1))
    }
}

/// Issue 9 (the soak's ledger drift): recovery charges a message before it leaves `sending/`, so
/// a kill between the two cannot lose a charge — the next start finds the message again.
@Suite struct RecoveryChargesFirstTests {
    let tmp = TemporaryDirectory("recovery-charge")

    @Test func eachMessageIsHandedOverSettledWhileStillInSending() throws {
        let outbox = try FileOutbox(root: tmp.path)
        try OutboxRecoveryTests().leftInSending(outbox, parts: 2, [(1, 10), (2, nil)])
        var seen: [(status: [SendAttempt.Status?], folder: OutboxFolder?)] = []
        _ = try outbox.recoverAfterCrash(policy: .assumeSent) { message in
            seen.append((message.attempts.map(\.status), try outbox.find(message.id)?.folder))
        }
        #expect(seen.count == 1)
        #expect(seen.first?.status == [.accepted, .assumedSent], "settled: the unanswered written part assumed")
        #expect(seen.first?.folder == .sending, "still where a later recovery finds it")
        #expect(try outbox.find("m")?.folder == .sent)
    }

    struct LedgerDown: Error {}

    @Test func aChargeThatFailsLeavesTheMessageInSendingForTheNextStart() throws {
        let outbox = try FileOutbox(root: tmp.path)
        try OutboxRecoveryTests().leftInSending(outbox, parts: 1, [(1, 10)])
        #expect(throws: LedgerDown.self) {
            _ = try outbox.recoverAfterCrash(policy: .assumeSent) { _ in throw LedgerDown() }
        }
        #expect(try outbox.find("m")?.folder == .sending)
        var charged = 0
        _ = try outbox.recoverAfterCrash(policy: .assumeSent) { _ in charged += 1 }
        #expect(charged == 1)
        #expect(try outbox.find("m")?.folder == .sent)
    }
}
