import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Errors of the end-to-end harness, with what was being waited for and what the children said.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A child process (`smsagent simulate`, `smsagent run`, …) with its output captured, a stdin
/// to write control commands to, and a guaranteed kill at the end of the test.
final class ChildProcess: @unchecked Sendable {
    let name: String
    let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let lock = NSLock()
    private var stdoutText = ""
    private var stderrText = ""

    /// Starts `executable arguments…` with `environment` added to this process's environment.
    init(name: String, executable: URL, arguments: [String], environment: [String: String] = [:], workingDirectory: URL? = nil) throws {
        self.name = name
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        try process.run()
        // The parent's copies of the child's ends go, or end of file never comes.
        try? stdinPipe.fileHandleForReading.close()
        try? stdoutPipe.fileHandleForWriting.close()
        try? stderrPipe.fileHandleForWriting.close()
        drain(stdoutPipe.fileHandleForReading) { child, text in child.stdoutText += text }
        drain(stderrPipe.fileHandleForReading) { child, text in child.stderrText += text }
    }

    /// Reads `handle` on a thread of its own until end of file, then closes it there. (Left to
    /// FileHandle's deinit, or watched with `readabilityHandler`, read ends outlived their
    /// children, and the test process passed 1024 descriptors — README "Tests". Closing a handle
    /// that a readability source still watches crashes libdispatch.) Keeps reading after the
    /// `ChildProcess` is gone, so that a child is never blocked on a full pipe.
    private func drain(_ handle: FileHandle, append: @escaping @Sendable (ChildProcess, String) -> Void) {
        let thread = Thread { [weak self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                guard let self else { continue }
                self.lock.withLock { append(self, String(decoding: data, as: UTF8.self)) }
            }
            try? handle.close()
        }
        thread.start()
    }

    var pid: Int32 { process.processIdentifier }
    var stdout: String { lock.withLock { stdoutText } }
    var stderr: String { lock.withLock { stderrText } }
    var isRunning: Bool { !process.hasExited }
    var exitStatus: Int32? { process.exitStatus }

    /// Writes one line (a control command) to the child's stdin.
    func send(line: String) throws {
        try stdinPipe.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    func closeStdin() {
        try? stdinPipe.fileHandleForWriting.close()
    }

    func signal(_ signal: Int32) {
        if isRunning { kill(process.processIdentifier, signal) }
    }

    /// SIGKILL, no questions asked (the crash tests' `kill -9`).
    func kill9() {
        process.killAndWait()
    }

    /// Waits for the child to exit, failing after `timeout`.
    @discardableResult
    func waitForExit(timeout: Duration) async throws -> Int32 {
        try await Wait.until("\(name) exits", timeout: timeout, diagnostics: { self.transcript }) { !self.isRunning }
        return process.exitStatus ?? -1
    }

    /// Waits until the child's stdout (or stderr) contains `text`.
    func waitForOutput(containing text: String, timeout: Duration) async throws {
        try await Wait.until("\(name) prints '\(text)'", timeout: timeout, diagnostics: { self.transcript }) {
            self.stdout.contains(text) || self.stderr.contains(text)
        }
    }

    /// Everything the child said, for failure messages.
    var transcript: String {
        "--- \(name) (pid \(pid), \(exitStatus.map { "exit \($0)" } ?? "running")) stdout:\n\(stdout.suffix(4000))\n--- stderr:\n\(stderr.suffix(6000))"
    }

    /// Ends the child if it is still running (SIGTERM, then SIGKILL after `grace`).
    func stop(grace: TimeInterval = 2) {
        defer { closeStdin() }
        guard isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if !process.waitForExitBlocking(timeout: grace) { kill9() }
    }

    deinit {
        // Its end of file then closes the read ends (`release`).
        if isRunning { kill(process.processIdentifier, SIGKILL) }
        closeStdin()
    }
}

/// Waiting on a condition with an overall timeout (the condition is checked every few
/// milliseconds; the timeout fails the test with what was awaited and the children's output).
enum Wait {
    static func until(_ what: String, timeout: Duration, every interval: Duration = .milliseconds(20),
                      diagnostics: @escaping @Sendable () -> String = { "" },
                      _ condition: @escaping @Sendable () throws -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            if try condition() { return }
            if clock.now >= deadline {
                throw HarnessError("timed out after \(timeout) waiting until \(what)\n\(diagnostics())")
            }
            try await Task.sleep(for: interval)
        }
    }
}
