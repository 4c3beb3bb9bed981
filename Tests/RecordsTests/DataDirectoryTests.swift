import Foundation
import TestSupport
import Testing
@testable import Records

@Suite struct DataDirectoryTests {
    @Test func createsTheLayoutWithPrivateModes() throws {
        let tmp = TemporaryDirectory()
        let data = try DataDirectory(path: tmp.file("data"))
        for folder in ["data", "data/outbox", "data/outbox/new", "data/outbox/tmp", "data/outbox/sending",
                       "data/outbox/sent", "data/outbox/failed", "data/reassembly"] {
            #expect(tmp.mode(folder) == 0o700, "\(folder)")
        }
        for file in ["optouts.csv", "credits.csv", "inbox.csv", "confirmations.csv"] {
            #expect(tmp.mode("data/" + file) == 0o600, "\(file)")
        }
        #expect(try tmp.read("data/optouts.csv") == "recorded_at,number,event,keyword,text,modem,source\n")
        #expect(try tmp.read("data/credits.csv") == "time,message_id,recipient,class,segments,credits,balance,modem,refs,part,kind\n")
        _ = data
    }

    @Test func groupPermissionsAreOffered() throws {
        let tmp = TemporaryDirectory()
        let data = try DataDirectory(path: tmp.file("data"), options: .init(hashOptOuts: true, permissions: .group))
        try data.outbox.enqueue(OutboxMessage(id: "m", to: "+33612345678", text: "x"))
        #expect(tmp.mode("data") == 0o750)
        #expect(tmp.mode("data/outbox/new") == 0o750)
        #expect(tmp.mode("data/optouts.csv") == 0o640)
        #expect(tmp.mode("data/outbox/new/m.json") == 0o640)
        #expect(tmp.mode("data/optout.key") == 0o600)
    }

    @Test func reopeningKeepsEverything() throws {
        let tmp = TemporaryDirectory()
        let first = try DataDirectory(path: tmp.path)
        try first.outbox.enqueue(OutboxMessage(to: "+33612345678", text: "hi"))
        let second = try DataDirectory(path: tmp.path)
        #expect(try second.outbox.counts() == OutboxCounts(new: 1))
    }

    @Test func hashedModeCreatesAPrivateKeyFile() throws {
        let tmp = TemporaryDirectory()
        _ = try DataDirectory(path: tmp.path, options: .init(hashOptOuts: true))
        #expect(tmp.mode("optout.key") == 0o600)
        #expect(try tmp.read("optout.key").trimmingCharacters(in: .newlines).count == 64)
        let key1 = try tmp.read("optout.key")
        _ = try DataDirectory(path: tmp.path, options: .init(hashOptOuts: true))
        #expect(try tmp.read("optout.key") == key1)
    }
}

@Suite(.serialized) struct DataDirectoryLockTests {
    @Test func secondHolderInTheSameProcessIsRefusedWithThePID() throws {
        let tmp = TemporaryDirectory()
        let data = try DataDirectory(path: tmp.path)
        let held = try data.lock()
        #expect(throws: RecordsError.locked(path: data.lockPath, holderPID: getpid())) { try data.lock() }
        held.release()
        let again = try data.lock()
        #expect(again.isHeld)
    }

    @Test func theLockIsARealFlockSeenByAnotherProcess() throws {
        let tmp = TemporaryDirectory()
        let data = try DataDirectory(path: tmp.path)
        let held = try data.lock()
        #expect(try runFlock(["-n", data.lockPath, "true"]) == 1)   // flock(1) -n: exit 1 when held
        held.release()
        #expect(try runFlock(["-n", data.lockPath, "true"]) == 0)
    }

    @Test func aLockHeldByAnotherProcessRefusesTheAgent() throws {
        let tmp = TemporaryDirectory()
        let data = try DataDirectory(path: tmp.path)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        // Holds the lock until its stdin closes; says "held" once it has it.
        process.arguments = [data.lockPath, "-c", "echo held; read line"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        defer {
            try? input.fileHandleForWriting.close()
            process.waitForExitBlocking(timeout: 10)
            try? output.fileHandleForReading.close()
        }
        let line = output.fileHandleForReading.availableData
        #expect(String(decoding: line, as: UTF8.self).hasPrefix("held"))
        #expect {
            try data.lock()
        } throws: { error in
            if case RecordsError.locked(let path, _) = error { return path == data.lockPath }
            return false
        }
        try input.fileHandleForWriting.close()
        process.waitForExitBlocking(timeout: 10)
        #expect(try data.lock().isHeld)
    }

    private func runFlock(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        process.arguments = arguments
        try process.run()
        process.waitForExitBlocking(timeout: 10)
        return process.exitStatus ?? -1
    }
}
