/// Wakes one waiting task: `ring()` from anywhere, `wait(upTo:)` in the owner's loop. A ring while
/// nobody waits is remembered (once), so no event between two waits is lost. No timers unless the
/// waiter asks for a deadline.
public actor Doorbell {
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    public init() {}

    public func ring() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            pending = true
        }
    }

    /// Returns at the next ring, after `timeout` if given, or when the task is cancelled.
    public func wait(upTo timeout: Duration? = nil) async {
        if pending {
            pending = false
            return
        }
        if Task.isCancelled { return }
        let timer: Task<Void, Never>? = timeout.map { timeout in
            Task { [weak self] in
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                await self?.ring()
            }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if pending {
                    pending = false
                    continuation.resume()
                } else {
                    waiter = continuation
                }
            }
        } onCancel: {
            Task { [weak self] in await self?.ring() }
        }
        timer?.cancel()
    }
}
