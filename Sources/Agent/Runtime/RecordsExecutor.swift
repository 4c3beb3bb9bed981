import Foundation

/// The serial executor of an actor that writes the records (`Dispatcher`, `InboundProcessor`):
/// a dedicated thread per actor, so its fsync, rename and readdir never block a thread of the
/// cooperative pool (two threads on the small machines this runs on), and a slow disk stalls the
/// bookkeeping, not the modems' serial reading. The thread ends when its actor goes away.
public final class RecordsExecutor: SerialExecutor, Sendable {
    /// Jobs shared by the executor and its thread (the thread does not keep the executor alive).
    private final class Queue: @unchecked Sendable {
        // NSCondition guards `jobs` and `closed`: that is what makes it safe to share.
        let condition = NSCondition()
        var jobs: [UnownedJob] = []
        var closed = false
        /// Unowned: jobs only exist while the actor, and so this executor, lives.
        var executor: UnownedSerialExecutor?
    }

    private let queue = Queue()

    public init(name: String) {
        let queue = self.queue
        let thread = Thread {
            while true {
                queue.condition.lock()
                while queue.jobs.isEmpty && !queue.closed { queue.condition.wait() }
                if queue.jobs.isEmpty && queue.closed {
                    queue.condition.unlock()
                    return
                }
                let job = queue.jobs.removeFirst()
                let executor = queue.executor
                queue.condition.unlock()
                if let executor { job.runSynchronously(on: executor) }
            }
        }
        thread.name = name
        queue.executor = UnownedSerialExecutor(ordinary: self)
        thread.start()
    }

    deinit {
        queue.condition.lock()
        queue.closed = true
        queue.condition.signal()
        queue.condition.unlock()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.condition.lock()
        queue.jobs.append(job)
        queue.condition.signal()
        queue.condition.unlock()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}
