import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether a child started with Foundation's `Process` has ended, as the kernel sees it.
///
/// Why: on Linux, Foundation learns of a child's end from SIGCHLD. When several children end at
/// about the same time (a test suite killing its agents and simulators in parallel), it was seen
/// here to miss some: those children stay zombies, `isRunning` stays `true` for ever, and
/// `waitUntilExit()` spins on a cooperative thread — which stalls every other test. The kernel's
/// view (`/proc/<pid>/stat`: state `Z`, and the exit code, field 52) does not depend on that.
extension Process {
    /// True once the child has ended, whether or not Foundation has noticed.
    public var hasExited: Bool {
        if !isRunning { return true }
        switch Self.kernelState(of: processIdentifier) {
        case .none: return true            // no such process any more: reaped
        case .some(let state): return state.isZombie
        }
    }

    /// The exit status once `hasExited`: the exit code, or the signal number for a child killed
    /// by a signal (as Foundation's `terminationStatus` reports it). Nil while it runs.
    public var exitStatus: Int32? {
        if !isRunning { return terminationStatus }
        guard let state = Self.kernelState(of: processIdentifier) else {
            // Reaped between the two looks: Foundation has (or is about to have) the status.
            return isRunning ? -1 : terminationStatus
        }
        guard state.isZombie else { return nil }
        let status = state.waitStatus
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : signal
    }

    /// Polls `hasExited` on the calling thread, for at most `timeout` seconds; returns whether it ended.
    /// Blocking: call it from a thread of your own or where a short block is acceptable.
    @discardableResult
    public func waitForExitBlocking(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !hasExited {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// SIGKILL, then wait (bounded) until the kernel says it is gone.
    public func killAndWait(timeout: TimeInterval = 5) {
        if !hasExited { kill(processIdentifier, SIGKILL) }
        waitForExitBlocking(timeout: timeout)
    }

    private struct KernelState {
        var isZombie: Bool
        var waitStatus: Int32
    }

    private static func kernelState(of pid: Int32) -> KernelState? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": field 3 is the state; field 52 the exit code (Linux ≥ 3.5).
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard let state = fields.first else { return nil }
        let exitCode = fields.count >= 50 ? Int32(fields[49].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 : 0
        return KernelState(isZombie: state == "Z" || state == "X", waitStatus: exitCode)
    }
}
