import Compliance
import Foundation
import TestSupport
import Synchronization
import Testing
@testable import Records

/// Real `kill -9`: the test binary runs itself in a writer mode (`SMSAGENT_RECORDS_CRASH_WRITER`
/// names the data directory), the parent kills it in the middle of its writes, then reopens the
/// files. What was acknowledged must be there; nothing may be lost or doubled.
@Suite(.serialized) struct CrashTests {
    static let writerVariable = "SMSAGENT_RECORDS_CRASH_WRITER"
    static let ackPrefix = "RECORDS-ACK "

    /// Starts the writer, waits until it has acknowledged `count` steps, kills it with SIGKILL
    /// and returns the last step it acknowledged.
    static func runWriterAndKill(directory: String, after count: Int, filter: String = "crashWriter",
                                 variable: String = writerVariable) throws -> (acknowledged: Int, killed: Bool) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--testing-library", "swift-testing", "--filter", filter]
        var environment = ProcessInfo.processInfo.environment
        environment[variable] = directory
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Overall guard: a writer that hangs is killed, the read below ends and the test fails.
        // The flag is set (under its lock) before the child is reaped, so its PID is never reused
        // by the time the guard could fire.
        let pid = process.processIdentifier
        let reaped = Mutex(false)
        DispatchQueue.global().asyncAfter(deadline: .now() + 30) {
            reaped.withLock { done in if !done { kill(pid, SIGKILL) } }
        }
        var buffer = ""
        var acknowledged = 0
        let reader = output.fileHandleForReading
        defer { try? reader.close() }   // not left to FileHandle's deinit (descriptors, README "Tests")
        while acknowledged < count {
            let chunk = reader.availableData
            if chunk.isEmpty { break }   // the writer ended on its own: the test fails below
            buffer += String(decoding: chunk, as: UTF8.self)
            while let newline = buffer.firstIndex(of: "\n") {
                let line = buffer[..<newline]
                if line.hasPrefix(Self.ackPrefix), let n = Int(line.dropFirst(Self.ackPrefix.count)) { acknowledged = n }
                buffer.removeSubrange(...newline)
            }
        }
        reaped.withLock { done in
            kill(pid, SIGKILL)
            done = true
        }
        process.waitForExitBlocking(timeout: 30)
        // Acknowledgements written before the kill but not read yet.
        buffer += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        for line in buffer.split(separator: "\n") where line.hasPrefix(Self.ackPrefix) {
            if let n = Int(line.dropFirst(Self.ackPrefix.count)) { acknowledged = max(acknowledged, n) }
        }
        return (acknowledged, process.exitStatus == SIGKILL)
    }

    /// The child runs for a while: wait for it on a thread of its own, not on one of the few
    /// cooperative threads every other test needs.
    func runWriterAndKillOnOwnThread(directory: String, after count: Int) async throws -> (acknowledged: Int, killed: Bool) {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try Self.runWriterAndKill(directory: directory, after: count) }) }.start()
        }
    }

    @Test func killedWhileWritingNothingAcknowledgedIsLostOrDoubled() async throws {
        let tmp = TemporaryDirectory("crash")
        let (acknowledged, killed) = try await runWriterAndKillOnOwnThread(directory: tmp.path, after: 40)
        #expect(killed)
        #expect(acknowledged >= 40)

        let data = try DataDirectory(path: tmp.path)
        // Opt-outs: every acknowledged event is in the file (a torn row, if any, set aside).
        let events = try data.optOuts.events()
        #expect(events.count >= acknowledged)
        for step in 1...acknowledged {
            #expect(try data.optOuts.isOptedOut(e164: Self.number(step)), "step \(step)")
        }
        // Outbox: after recovery every acknowledged message is in exactly one folder, none in sending/.
        _ = try data.outbox.recoverAfterCrash(policy: .assumeSent)
        let counts = try data.outbox.counts()
        #expect(counts.sending == 0)
        var seen: [String: Int] = [:]
        for folder in [OutboxFolder.new, .queued, .sent, .failed] {
            for message in try data.outbox.messages(in: folder) { seen[message.id, default: 0] += 1 }
        }
        for step in 1...acknowledged { #expect(seen[Self.messageID(step)] == 1, "message \(step)") }
        #expect(seen.values.allSatisfy { $0 == 1 })
        // Ledger: one row per accepted part at most, and every acknowledged one present.
        for step in 1...acknowledged { #expect(try data.ledger.isCommitted(messageID: Self.messageID(step), part: 1)) }
        #expect(try data.ledger.rows().count == Set(try data.ledger.rows().map(\.messageID)).count)
    }

    static func number(_ step: Int) -> String { "+336" + String(10_000_000 + step) }
    static func messageID(_ step: Int) -> String { "m" + String(100_000 + step) }

    /// The writer: runs only in the child (the variable is set), until it is killed.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[writerVariable] != nil,
                   "not a test on its own: the writer child that killedWhileWritingNothingAcknowledgedIsLostOrDoubled starts and kills"))
    func crashWriter() throws {
        let directory = try #require(ProcessInfo.processInfo.environment[Self.writerVariable])
        let data = try DataDirectory(path: directory, options: .init(openingBalance: 1_000_000))
        var step = 0
        while true {
            step += 1
            let id = Self.messageID(step)
            try data.optOuts.record(OptOutEvent(number: Self.number(step), event: .optout, keyword: "STOP", source: "sms:\(step)"))
            try data.outbox.enqueue(OutboxMessage(id: id, to: Self.number(step), text: "hello \(step)"))
            _ = try data.outbox.claimNext(now: Date())
            try data.outbox.recordAttempt(id, SendAttempt(part: 1, parts: 1, modem: "sim0"))
            try data.outbox.recordPartAccepted(id, part: 1, reference: step % 256)
            try data.ledger.commit(row: LedgerRow(messageID: id, recipient: Self.number(step), messageClass: "marketing",
                                                  credits: 1, modem: "sim0", refs: [step % 256], part: 1))
            try data.outbox.complete(id, result: SendResult(status: .sent, refs: [step % 256], modem: "sim0", segments: 1, credits: 1))
            FileHandle.standardOutput.write(Data((Self.ackPrefix + String(step) + "\n").utf8))
        }
    }
}
