import Dispatch
import Synchronization

/// The one timer of a `Modem`'s session: a single dispatch timer source, re-armed for each wait, so
/// no `Task` is created per command. A fire reports the arming it belongs to; one that raced a
/// re-arming is recognised by its deadline and dropped (the re-armed source fires again).
final class ATSessionTimer: @unchecked Sendable {
    // @unchecked: `source` is set up once in `init`; its `schedule` is thread-safe, the rest is in `armed`.
    private let source: any DispatchSourceTimer
    private let armed = Armed()

    private final class Armed: Sendable {
        let state = Mutex<(id: ATSession.TimerID, deadline: DispatchTime)?>(nil)
    }

    init(label: String, fire: @escaping @Sendable (ATSession.TimerID) -> Void) {
        source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: label))
        source.schedule(deadline: .distantFuture)
        source.setEventHandler { [armed] in
            let due: ATSession.TimerID? = armed.state.withLock { current in
                guard let entry = current, DispatchTime.now() >= entry.deadline else { return nil }
                current = nil
                return entry.id
            }
            if let due { fire(due) }
        }
        source.activate()
    }

    func arm(_ id: ATSession.TimerID, after duration: Duration) {
        let deadline = DispatchTime.now() + .nanoseconds(Self.nanoseconds(duration))
        armed.state.withLock { $0 = (id, deadline) }
        source.schedule(deadline: deadline, leeway: .milliseconds(1))
    }

    func disarm() {
        armed.state.withLock { $0 = nil }
        source.schedule(deadline: .distantFuture)
    }

    /// Stops the source for good (a cancelled source never fires again).
    func stop() {
        disarm()
        source.cancel()
    }

    /// Whole nanoseconds of a non-negative duration, saturating at `Int.max`.
    static func nanoseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return Int.max }
        let (total, overflowed) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        guard !overflowed, total <= Int64(Int.max) else { return Int.max }
        return Int(total)
    }

    deinit { source.cancel() }
}
