import Synchronization

/// Wakes one waiting task: `ring()` from anywhere — synchronously, no `Task` needed — and
/// `wait(upTo:)` in the owner's loop. A ring while nobody waits is remembered (once), so no event
/// between two waits is lost. A deadline is a structured child task of the wait, cancelled with it.
public final class Doorbell: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next ring, after `timeout` if given, or when the task is cancelled. One
    /// waiter at a time.
    public func wait(upTo timeout: Duration? = nil) async {
        if takePending() || Task.isCancelled { return }
        guard let timeout else {
            await waitForRing()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForRing() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Like `wait(upTo:)`, and says whether it rang (false: `timeout` passed, or the task was cancelled).
    public func rang(within timeout: Duration) async -> Bool {
        if takePending() { return true }
        if Task.isCancelled { return false }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            group.addTask {
                await self.waitForRing()
                return !Task.isCancelled
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func takePending() -> Bool {
        state.withLock { state in
            guard state.pending else { return false }
            state.pending = false
            return true
        }
    }

    private func waitForRing() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    // Checked under the lock: a cancellation handler that ran before this found no
                    // waiter, so the flag (set before the handler) must be seen here.
                    if Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
