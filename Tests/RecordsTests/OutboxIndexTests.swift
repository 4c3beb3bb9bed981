import Foundation
import Testing
@testable import Records

/// The in-memory index of the claimable spool (issue 11): the claim order and the held times of a
/// listing per claim, without the listing — kept current by inotify, rebuilt when it overflows.
@Suite struct OutboxIndexTests {
    let tmp = TemporaryDirectory("outbox-index")
    var outbox: FileOutbox { get throws { try FileOutbox(root: tmp.file("outbox")) } }

    /// What another program does: write elsewhere, rename into `new/`.
    func drop(_ name: String, text: String = "x", notBefore: String? = nil) throws {
        let at = notBefore.map { #", "not_before": "\#($0)""# } ?? ""
        try tmp.write("outbox/tmp/" + name, #"{"to": "+33612345678", "text": "\#(text)"\#(at)}"#)
        #expect(rename(tmp.file("outbox/tmp/" + name), tmp.file("outbox/new/" + name)) == 0)
    }

    @Test func theHeapGivesItsElementsInOrder() {
        var generator = SystemRandomNumberGenerator()
        let values = (0..<500).map { _ in Int.random(in: 0..<100, using: &generator) }
        var heap = MinHeap(Array(values.prefix(250)))
        for value in values.dropFirst(250) { heap.push(value) }
        var out: [Int] = []
        while let next = heap.pop() { out.append(next) }
        #expect(out == values.sorted())
    }

    @Test func theIndexSkipsStaleEntriesAndPromotesHeldOnesWhenDue() {
        var index = OutboxIndex()
        let a = OutboxIndex.Key(name: "a.json", folder: .new), b = OutboxIndex.Key(name: "b.json", folder: .queued)
        let c = OutboxIndex.Key(name: "c.json", folder: .new)
        index.rebuild([c, b, a])
        #expect(index.next(now: .fixed()) == a)
        index.hold(a, until: .fixed(60))
        #expect(index.next(now: .fixed()) == b)
        index.remove(b)
        index.insert(b)   // back again (requeued)
        #expect(index.next(now: .fixed()) == b)
        index.remove(b)
        #expect(index.next(now: .fixed()) == c)
        index.remove(c)
        #expect(index.next(now: .fixed(59)) == nil)
        #expect(index.earliestHeldUntil() == .fixed(60))
        #expect(index.next(now: .fixed(60)) == a)
        index.insert(a)   // an event for a file known: nothing changes
        index.remove(a)
        #expect(index.next(now: .fixed(3600)) == nil)
        #expect(index.earliestHeldUntil() == nil)
    }

    @Test func filesDroppedAfterTheFirstClaimAreClaimedInNameOrderWithTheRest() throws {
        let outbox = try self.outbox
        try drop("m3.json")
        #expect(try outbox.claimNext(now: .fixed())?.message.id == "m3")
        // Arrivals after the index was built, out of order, in both folders.
        try drop("m5.json")
        try drop("m1.json")
        try outbox.enqueue(OutboxMessage(id: "m2", to: "+33612345678", text: "reply", kind: "confirmation"))
        try drop("m4.json")
        var claimed: [String] = []
        while let next = try outbox.claimNext(now: .fixed()) { claimed.append(next.message.id) }
        #expect(claimed == ["m1", "m2", "m4", "m5"])
    }

    @Test func aFileTakenAwayAfterItWasIndexedIsSkipped() throws {
        let outbox = try self.outbox
        #expect(try outbox.claimNext(now: .fixed()) == nil)
        try drop("a.json")
        try drop("b.json")
        #expect(try outbox.earliestHeldUntil() == nil)   // the index has both now
        try FileManager.default.removeItem(atPath: tmp.file("outbox/new/a.json"))
        #expect(try outbox.claimNext(now: .fixed())?.message.id == "b")
        #expect(try outbox.claimNext(now: .fixed()) == nil)
        #expect(tmp.list("outbox/failed").isEmpty)
    }

    @Test func aHeldFileIsNotReadAgainBeforeItsTime() throws {
        let outbox = try self.outbox
        try drop("later.json", notBefore: "2026-11-29T11:00:00Z")
        #expect(try outbox.claimNext(now: .fixed()) == nil)
        #expect(try outbox.earliestHeldUntil() == .fixed(3600))
        // Rewritten in place meanwhile (not a rename): the hold stands until its time.
        try tmp.write("outbox/new/later.json", "not json")
        #expect(try outbox.claimNext(now: .fixed(60)) == nil)
        #expect(tmp.list("outbox/failed").isEmpty)
        let due = try outbox.claimNext(now: .fixed(3600))
        #expect(due == nil)
        #expect(tmp.list("outbox/failed").contains("later.json"))
    }

    @Test func moreArrivalsThanTheKernelQueuesAreAllClaimedOnce() throws {
        let limit = (try? String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 16384
        try #require(limit <= 50_000, "max_queued_events is \(limit): too many files to overflow it in a test")
        let outbox = try self.outbox
        #expect(try outbox.claimNext(now: .fixed()) == nil)   // index built, watching
        let count = limit + 500
        for i in 0..<count { try drop(String(format: "f%06d.json", i)) }
        var claimed = 0
        var previous = ""
        while let next = try outbox.claimNext(now: .fixed()) {
            #expect(next.message.id > previous)
            previous = next.message.id
            claimed += 1
        }
        #expect(claimed == count)
        #expect(tmp.list("outbox/new").isEmpty)
    }
}
