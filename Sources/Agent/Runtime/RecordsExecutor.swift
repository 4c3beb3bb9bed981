import Foundation

/// The serial executor of the actors that write the records (`Dispatcher`, `InboundProcessor`):
/// one dedicated thread, so their fsync, rename and readdir never block a thread of the
/// cooperative pool (two threads on the small machines this runs on), and a slow disk stalls the
/// bookkeeping, not the modems' serial reading.
public final class RecordsExecutor: SerialExecutor, @unchecked Sendable {
    /// One thread for the whole process (the spool and the CSV files are fsync-bound anyway).
    public static let shared = RecordsExecutor(name: "smsagent-records")

    // NSCondition guards `jobs`; that is what makes the class safe to share (@unchecked).
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
        }
    }
}
