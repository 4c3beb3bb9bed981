import Foundation
import TestSupport
import SMSCodec
import Testing
@testable import Simulator

/// The `smsagent simulate` process, driven through its stdin and its pty like a user or a harness.
final class SimulateProcess: @unchecked Sendable {
    let process = Process()
    let stdin = Pipe()
    let stdout = Pipe()
    let lines = LineQueue()

    init(arguments: [String]) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("smsagent")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw WireTimeout(waitingFor: "the smsagent binary at \(binary.path) (run swift build)", received: "")
        }
        process.executableURL = binary
        process.arguments = ["simulate"] + arguments
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        let queue = lines
        try process.run()
        // Read on a thread of its own and closed there at end of file: a read end watched with
        // `readabilityHandler` outlived its child (descriptors, README "Tests").
        let reader = stdout.fileHandleForReading
        Thread {
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                queue.append(data)
            }
            queue.finish()
            try? reader.close()
        }.start()
    }

    func nextLine(timeout: Duration = .seconds(10)) async throws -> String {
        guard let line = await lines.next(timeout: timeout) else {
            throw WireTimeout(waitingFor: "a line from smsagent simulate", received: "")
        }
        return line
    }

    func send(_ line: String) {
        stdin.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    deinit {
        if !process.hasExited { process.terminate() }
        try? stdin.fileHandleForWriting.close()
    }
}

/// Lines of a child's stdout, handed to one waiter at a time.
final class LineQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var lines: [String] = []
    private var finished = false
    private var waiter: (id: Int, continuation: CheckedContinuation<String?, Never>)?
    private var nextID = 0

    func append(_ chunk: Data) {
        lock.lock()
        data.append(chunk)
        while let newline = data.firstIndex(of: 0x0A) {
            lines.append(String(decoding: data[data.startIndex..<newline], as: UTF8.self))
            data.removeSubrange(data.startIndex...newline)
        }
        let ready = deliverLocked()
        lock.unlock()
        ready?()
    }

    func finish() {
        lock.lock()
        finished = true
        let ready = deliverLocked()
        lock.unlock()
        ready?()
    }

    private func deliverLocked() -> (() -> Void)? {
        guard let w = waiter else { return nil }
        if !lines.isEmpty {
            let line = lines.removeFirst()
            waiter = nil
            return { w.continuation.resume(returning: line) }
        }
        if finished {
            waiter = nil
            return { w.continuation.resume(returning: nil) }
        }
        return nil
    }

    private func expire(_ id: Int) {
        lock.lock()
        guard let w = waiter, w.id == id else { lock.unlock(); return }
        waiter = nil
        lock.unlock()
        w.continuation.resume(returning: nil)
    }

    private func makeID() -> Int {
        lock.withLock {
            defer { nextID += 1 }
            return nextID
        }
    }

    func next(timeout: Duration) async -> String? {
        let id = makeID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.expire(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            lock.lock()
            waiter = (id, continuation)
            let ready = deliverLocked()
            lock.unlock()
            ready?()
        }
    }
}

@Suite("smsagent simulate", .serialized)
struct SimulateCommandTests {
    @Test("prints the port, takes control commands, records what left, unplugs, replugs and exits at end of stdin")
    func endToEnd() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sim-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let link = directory.appendingPathComponent("modem.tty").path
        let record = directory.appendingPathComponent("sent.jsonl").path
        let simulator = try SimulateProcess(arguments: ["--link", link, "--record", record, "--latency", "0", "--profile", "quectel", "--no-boot-urcs"])

        #expect(try await simulator.nextLine() == link)
        let port = try AgentPort(path: link)
        port.write("ATE0\r")
        try await port.read(until: "OK\r\n")

        simulator.send("inbound +33612345678 Stop !")
        #expect(try await simulator.nextLine() == "ok inbound 1 part(s)")
        #expect(try await port.read(until: "+CMTI: \"SM\",0\r\n") == "\r\n+CMTI: \"SM\",0\r\n")

        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33698765432", text: "Bonjour, -20% ce soir").first)
        port.write("AT+CMGS=\(pdu.tpduLength)\r")
        try await port.read(until: "> ")
        port.write(pdu.hex + "\u{1A}")
        #expect(try await port.read(until: "OK\r\n") == "\r\n+CMGS: 0\r\n\r\nOK\r\n")
        let records = try SubmissionRecorder.read(path: record)
        #expect(records.map(\.text) == ["Bonjour, -20% ce soir"])
        #expect(records.first?.modem == link)

        simulator.send("fault bogus")
        #expect(try await simulator.nextLine().hasPrefix("error "))

        simulator.send("unplug")
        #expect(try await simulator.nextLine() == "ok unplugged")
        #expect(await port.waitForHangUp())
        #expect(!FileManager.default.fileExists(atPath: link))

        simulator.send("plug")
        #expect(try await simulator.nextLine() == "ok plugged \(link)")
        let again = try AgentPort(path: link)
        again.write("AT\r")
        #expect(try await again.read(until: "OK\r\n") == "AT\r\r\nOK\r\n")

        try simulator.stdin.fileHandleForWriting.close()
        let exited = try await waitForExit(simulator.process, timeout: .seconds(10))
        #expect(exited == 0)
        #expect(!FileManager.default.fileExists(atPath: link))
    }

    @Test("several modems: one path per line, @N addresses each")
    func severalModems() async throws {
        let simulator = try SimulateProcess(arguments: ["--count", "2", "--latency", "0", "--no-boot-urcs"])
        let first = try await simulator.nextLine()
        let second = try await simulator.nextLine()
        #expect(first.hasPrefix("/dev/pts/"))
        #expect(second.hasPrefix("/dev/pts/"))
        #expect(first != second)
        simulator.send("@1 status")
        let status = try await simulator.nextLine()
        #expect(status.contains("\"name\":\"sim1\""))
        simulator.send("@2 status")
        #expect(try await simulator.nextLine() == "error no modem @2")
        simulator.send("quit")
        #expect(try await waitForExit(simulator.process, timeout: .seconds(10)) == 0)
    }
}

/// Waits for a child to exit (polling its state with a deadline).
func waitForExit(_ process: Process, timeout: Duration) async throws -> Int32 {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while !process.hasExited {
        guard clock.now < deadline else { throw WireTimeout(waitingFor: "process exit", received: "") }
        try await Task.sleep(for: .milliseconds(20))
    }
    return process.exitStatus ?? -1
}
