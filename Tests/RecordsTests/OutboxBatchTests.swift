import Compliance
import Foundation
import Synchronization
import Testing
@testable import Records

/// `FileOutbox.enqueue(contentsOf:)`: many messages, one flush of the file system (issue 11) —
/// and the same files, the same refusals and the same crash promise as one `enqueue` each.
@Suite struct OutboxBatchTests {
    let tmp = TemporaryDirectory("outbox-batch")
    var outbox: FileOutbox { get throws { try FileOutbox(root: tmp.file("outbox")) } }

    static func message(_ i: Int, notBefore: Date? = nil, kind: String? = nil) -> OutboxMessage {
        OutboxMessage(id: String(format: "20261129T100000000Z-%08d", i), to: "+336123456\(String(format: "%02d", i % 100))",
                      text: "Soldes d’hiver \(i)", messageClass: .marketing, campaign: "winter", createdAt: .fixed(),
                      kind: kind, notBefore: notBefore)
    }

    @Test func aBatchWritesTheSameFilesAsOneEnqueueEach() throws {
        let single = TemporaryDirectory("outbox-single")
        let one = try FileOutbox(root: single.file("outbox"))
        let messages = (0..<20).map { Self.message($0) } + [Self.message(20, kind: "confirmation")]
        for message in messages { try one.enqueue(message) }
        #expect(try outbox.enqueue(contentsOf: messages) == messages.count)
        for folder in ["new", "queued"] {
            #expect(tmp.list("outbox/\(folder)") == single.list("outbox/\(folder)"))
            for name in tmp.list("outbox/\(folder)") {
                #expect(try tmp.read("outbox/\(folder)/\(name)") == single.read("outbox/\(folder)/\(name)"))
                #expect(tmp.mode("outbox/\(folder)/\(name)") == 0o600)
            }
        }
        #expect(tmp.list("outbox/new").count == 20)
        #expect(tmp.list("outbox/queued").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("outbox/tmp")).isEmpty)
        var claimed: [String] = []
        let outbox = try self.outbox
        while let next = try outbox.claimNext(now: .fixed(60)) { claimed.append(next.message.id) }
        #expect(claimed.sorted() == messages.map(\.id).sorted())
    }

    @Test func anIDTwiceInTheBatchWritesNothing() throws {
        let outbox = try self.outbox
        #expect(throws: RecordsError.self) { try outbox.enqueue(contentsOf: [Self.message(1), Self.message(2), Self.message(1)]) }
        #expect(tmp.list("outbox/new").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("outbox/tmp")).isEmpty)
    }

    @Test func anIDAlreadyUsedWritesNothing() throws {
        let outbox = try self.outbox
        try outbox.enqueue(Self.message(2))
        _ = try outbox.claimNext(now: .fixed(60))
        try outbox.complete(Self.message(2).id, result: SendResult(status: .sent, refs: [1], modem: "sim0", segments: 1, credits: 1))
        #expect {
            try outbox.enqueue(contentsOf: [Self.message(1), Self.message(2), Self.message(3)])
        } throws: { error in
            guard case let RecordsError.duplicateMessageID(id, _) = error else { return false }
            return id == Self.message(2).id
        }
        #expect(tmp.list("outbox/new").isEmpty)
        #expect(tmp.list("outbox/sent") == [Self.message(2).id + ".json"])
    }

    @Test func heldMessagesOfABatchAreKnownAtOnce() throws {
        let outbox = try self.outbox
        #expect(try outbox.claimNext(now: .fixed()) == nil)   // the index exists before the batch
        try outbox.enqueue(contentsOf: [Self.message(1, notBefore: .fixed(3600)), Self.message(2, notBefore: .fixed(60))])
        #expect(try outbox.earliestHeldUntil() == .fixed(60))
        #expect(try outbox.claimNext(now: .fixed(30)) == nil)
        #expect(try outbox.claimNext(now: .fixed(61))?.message.id == Self.message(2).id)
    }

    @Test func aStoreWithoutABatchFormQueuesOneAfterTheOther() throws {
        let store = CountingOutbox(try self.outbox)
        #expect(try store.enqueue(contentsOf: (0..<3).map { Self.message($0) }) == 3)
        #expect(store.enqueued.withLock { $0 } == 3)
        #expect(tmp.list("outbox/new").count == 3)
    }

    // MARK: kill -9 in the middle of batches

    static let writerVariable = "SMSAGENT_RECORDS_BATCH_WRITER"

    @Test func killedInTheMiddleOfABatchEveryFileInNewIsWholeAndEveryAcknowledgedBatchComplete() async throws {
        let directory = tmp.path
        let (acknowledged, killed) = try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    try CrashTests.runWriterAndKill(directory: directory, after: 5, filter: "batchWriter", variable: Self.writerVariable)
                })
            }.start()
        }
        #expect(killed)
        #expect(acknowledged >= 5)
        let outbox = try FileOutbox(root: tmp.file("outbox"))
        let names = tmp.list("outbox/new")
        // Whole messages only: every file decodes as the message its name says.
        var perBatch: [Int: Int] = [:]
        for name in names {
            let message = try #require(try outbox.find(FileOutbox.id(fromFileName: name))?.message, "\(name)")
            #expect(message.text == "batch message \(name)")
            if let batch = Int(name.split(separator: "-")[1]) { perBatch[batch, default: 0] += 1 }
        }
        for batch in 1...acknowledged { #expect(perBatch[batch] == Self.batchSize, "batch \(batch)") }
        #expect(perBatch.keys.allSatisfy { $0 <= acknowledged + 1 })
    }

    static let batchSize = 50

    @Test(.enabled(if: ProcessInfo.processInfo.environment[writerVariable] != nil,
                   "not a test on its own: the writer child that killedInTheMiddleOfABatch… starts and kills"))
    func batchWriter() throws {
        let directory = try #require(ProcessInfo.processInfo.environment[Self.writerVariable])
        let outbox = try FileOutbox(root: directory + "/outbox")
        var batch = 0
        while true {
            batch += 1
            let messages = (0..<Self.batchSize).map { k in
                let id = String(format: "b-%06d-%03d", batch, k)
                return OutboxMessage(id: id, to: "+33612345678", text: "batch message \(id).json")
            }
            try outbox.enqueue(contentsOf: messages)
            FileHandle.standardOutput.write(Data((CrashTests.ackPrefix + String(batch) + "\n").utf8))
        }
    }
}

/// A store with only the one-message form, to check the protocol's default batch.
private final class CountingOutbox: Outbox {
    let base: FileOutbox
    let enqueued = Mutex(0)
    init(_ base: FileOutbox) { self.base = base }
    func enqueue(_ message: OutboxMessage) throws {
        try base.enqueue(message)
        enqueued.withLock { $0 += 1 }
    }
    func claimNext(now: Date) throws -> ClaimedMessage? { try base.claimNext(now: now) }
    func earliestHeldUntil() throws -> Date? { try base.earliestHeldUntil() }
    func recordAttempt(_ id: String, _ attempt: SendAttempt) throws { try base.recordAttempt(id, attempt) }
    func recordPartAccepted(_ id: String, part: Int, reference: Int, at: Date, next: SendAttempt?) throws {
        try base.recordPartAccepted(id, part: part, reference: reference, at: at, next: next)
    }
    func recordPartRejected(_ id: String, part: Int, reason: String, at: Date) throws {
        try base.recordPartRejected(id, part: part, reason: reason, at: at)
    }
    func recordPartOutcome(_ id: String, part: Int, status: SendAttempt.Status, reason: String, at: Date) throws {
        try base.recordPartOutcome(id, part: part, status: status, reason: reason, at: at)
    }
    func complete(_ id: String, result: SendResult) throws { try base.complete(id, result: result) }
    func requeue(_ id: String, notBefore: Date?) throws { try base.requeue(id, notBefore: notBefore) }
    func recoverAfterCrash(policy: AmbiguousSendPolicy) throws -> RecoveryReport { try base.recoverAfterCrash(policy: policy) }
    func counts() throws -> OutboxCounts { try base.counts() }
    func find(_ id: String) throws -> (folder: OutboxFolder, message: OutboxMessage)? { try base.find(id) }
}
