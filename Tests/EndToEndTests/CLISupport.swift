import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What a one-shot `smsagent …` invocation did: its exit status and everything it wrote.
struct CLIResult: Sendable, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let stdout: String
    let stderr: String

    /// Non-empty lines of stdout / stderr.
    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }

    /// stdout parsed as JSON (nil when it is not JSON).
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) }

    var description: String {
        "smsagent \(arguments.joined(separator: " ")) → exit \(status)\n--- stdout:\n\(stdout)\n--- stderr:\n\(stderr)"
    }
}

/// One `smsagent …` process run the way a person or a script runs it: stdin on /dev/null,
/// stdout and stderr read to end of file (so the output is complete when the result is returned,
/// without waiting an arbitrary time for pipes to drain), killed if it outlives its timeout or the
/// value (a test that fails early never leaves it behind).
final class CLIInvocation: @unchecked Sendable {
    let arguments: [String]
    private let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private var openStreams = 2

    init(_ arguments: [String]) throws {
        self.arguments = arguments
        process.executableURL = try SMSAgentBinary.url()
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let stdoutPipe = Pipe(), stderrPipe = Pipe()
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        try process.run()
        // The parent's copies of the write ends must go, or end of file never comes.
        try? stdoutPipe.fileHandleForWriting.close()
        try? stderrPipe.fileHandleForWriting.close()
        drain(stdoutPipe.fileHandleForReading, isStdout: true)
        drain(stderrPipe.fileHandleForReading, isStdout: false)
    }

    private func drain(_ handle: FileHandle, isStdout: Bool) {
        let thread = Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { if isStdout { out.append(chunk) } else { err.append(chunk) } }
            }
            // Closed here, at end of file: left to FileHandle's deinit, the read end outlived the
            // invocation and the test process ran out of descriptors below 1024 (README "Tests").
            try? handle.close()
            lock.withLock { openStreams -= 1 }
        }
        thread.start()
    }

    var isRunning: Bool { !process.hasExited }
    var stdoutSoFar: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var stderrSoFar: String { lock.withLock { String(decoding: err, as: UTF8.self) } }
    private var finished: Bool { process.hasExited && lock.withLock { openStreams == 0 } }

    /// Waits for the exit and the end of both outputs; kills the process and throws after `timeout`.
    func result(timeout: Duration = .seconds(15)) async throws -> CLIResult {
        do {
            try await Wait.until("smsagent \(arguments.joined(separator: " ")) exits", timeout: timeout,
                                 diagnostics: { "--- stdout:\n\(self.stdoutSoFar)\n--- stderr:\n\(self.stderrSoFar)" }) {
                self.finished
            }
        } catch {
            kill()
            throw error
        }
        return CLIResult(arguments: arguments, status: process.exitStatus ?? -1, stdout: stdoutSoFar, stderr: stderrSoFar)
    }

    func kill() {
        if !process.hasExited { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    deinit { kill() }
}

enum CLI {
    /// Runs `smsagent arguments…` to completion.
    static func run(_ arguments: [String], timeout: Duration = .seconds(15)) async throws -> CLIResult {
        let invocation = try CLIInvocation(arguments)
        return try await invocation.result(timeout: timeout)
    }

    /// `smsagent modem --port PORT arguments…`.
    static func modem(_ port: String, _ arguments: [String], timeout: Duration = .seconds(15)) async throws -> CLIResult {
        try await run(["modem", "--port", port] + arguments, timeout: timeout)
    }
}

extension SimulatorProcess {
    /// Starts a simulator in `directory`, linked at `<directory>/modem0.tty`.
    static func start(in directory: TemporaryDirectory, ownNumber: String? = nil, _ extraArguments: [String] = []) async throws -> SimulatorProcess {
        try await SimulatorProcess(name: "modem0", in: directory, ownNumber: ownNumber, extraArguments: extraArguments)
    }

    /// Sends a control command and waits for the simulator's answer line (`ok …` / `error …` /
    /// a JSON line), which is returned.
    @discardableResult
    func control(_ line: String, timeout: Duration = .seconds(5)) async throws -> String {
        let before = answerLines().count
        try command(line)
        try await Wait.until("the simulator answers '\(line)'", timeout: timeout, diagnostics: { [child] in child.transcript }) {
            self.answerLines().count > before
        }
        return answerLines()[before]
    }

    /// Asks `status` until `condition` holds (a modem-side event with no output of its own),
    /// failing after `timeout`.
    func waitForStatus(_ what: String, timeout: Duration = .seconds(10), _ condition: ([String: Any]) -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let status = try await status()
            if condition(status) { return }
            if clock.now >= deadline {
                throw HarnessError("timed out after \(timeout) waiting until \(what); last status: \(status)\n\(child.transcript)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The simulator's answers to control commands (its stdout without the port path lines).
    private func answerLines() -> [String] {
        child.stdout.split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("ok") || $0.hasPrefix("error") || $0.hasPrefix("{") }
    }

    /// The `status` control command's JSON.
    func status() async throws -> [String: Any] {
        let line = try await control("status")
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
            throw HarnessError("simulator status is not a JSON object: \(line)")
        }
        return object
    }
}

/// A pseudo-terminal whose master nobody reads or answers: a tty that is not a modem.
/// Made from `/dev/ptmx` (Linux devpts: unlock with TIOCSPTLCK, name from TIOCGPTN).
final class SilentTerminal {
    let master: Int32
    let slavePath: String

    init() throws {
        // _IOW('T', 0x31, int) and _IOR('T', 0x30, unsigned int): the same on every Linux architecture we run on.
        let setLock: UInt = 0x4004_5431
        let getNumber: UInt = 0x8004_5430
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw HarnessError("open /dev/ptmx: errno \(errno)") }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard ioctl(master, setLock, &unlock) == 0, ioctl(master, getNumber, &number) == 0 else {
            let code = errno
            close(master)
            throw HarnessError("ptmx ioctl: errno \(code)")
        }
        slavePath = "/dev/pts/\(number)"
    }

    deinit { close(master) }
}

/// An exclusive `flock` held by the test on a file (a port), as another program holding it would.
final class HeldLock {
    let fd: Int32

    init(path: String) throws {
        fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw HarnessError("open \(path): errno \(errno)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            throw HarnessError("flock \(path): errno \(code)")
        }
    }

    func release() { _ = flock(fd, LOCK_UN) }

    deinit { close(fd) }
}
