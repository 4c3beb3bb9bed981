import Foundation
import Testing
@testable import Records

@Suite struct OutboxWatcherTests {
    /// Waits for the next event, failing after `seconds` (an overall guard, not a synchronisation).
    func nextEvent(_ watcher: OutboxWatcher, within seconds: Double = 10) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var iterator = watcher.events.makeAsyncIterator()
                return await iterator.next() != nil
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test func seesARenameIntoNew() async throws {
        let tmp = TemporaryDirectory("watch")
        let outbox = try FileOutbox(root: tmp.path)
        let watcher = try OutboxWatcher(directory: outbox.path(.new))
        defer { watcher.stop() }
        try tmp.write("tmp/drop", #"{"to": "+33612345678", "text": "hi"}"#)
        #expect(rename(tmp.file("tmp/drop"), tmp.file("new/drop.json")) == 0)
        #expect(await nextEvent(watcher))
    }

    @Test func seesTheOutboxsOwnEnqueue() async throws {
        let tmp = TemporaryDirectory("watch")
        let outbox = try FileOutbox(root: tmp.path)
        let watcher = try OutboxWatcher(directory: outbox.path(.new))
        defer { watcher.stop() }
        try outbox.enqueue(OutboxMessage(to: "+33612345678", text: "hi"))
        #expect(await nextEvent(watcher))
    }

    @Test func stopFinishesTheStream() async throws {
        let tmp = TemporaryDirectory("watch")
        let watcher = try OutboxWatcher(directory: tmp.path)
        watcher.stop()
        var iterator = watcher.events.makeAsyncIterator()
        #expect(await iterator.next() == nil)
        watcher.stop()   // idempotent
    }

    @Test func aMissingFolderIsATypedError() {
        #expect(throws: RecordsError.self) { try OutboxWatcher(directory: "/nonexistent/smsagent/new") }
    }
}
