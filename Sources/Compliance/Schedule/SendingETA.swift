import Foundation

/// When a batch of messages will have left, given the SIMs, their throttles and daily caps, and
/// the sending window (issue 14: "500 recipients on 1 SIM at 200/day: finishes Thu 14:00").
///
/// Pure: a simulation of the dispatcher's rules, with the instant passed in. Each message goes to
/// the SIM that can send it first; a SIM sends one SMS (segment) per `minimumInterval` and at most
/// `dailyCap` SMS per calendar day in `dayZone` (as `SIMThrottle` counts them); marketing waits
/// for `window` to be open in every zone of `recipientZones`. An estimate: modem answers take time
/// too, and a SIM may fail.
public enum SendingETA {
    public struct SIM: Sendable, Hashable {
        /// Seconds per SMS (0: no minimum).
        public var minimumInterval: TimeInterval
        /// SMS per day (0: no cap).
        public var dailyCap: Int
        /// SMS already sent today (from the ledger).
        public var sentToday: Int

        public init(minimumInterval: TimeInterval, dailyCap: Int, sentToday: Int = 0) {
            self.minimumInterval = max(0, minimumInterval)
            self.dailyCap = max(0, dailyCap)
            self.sentToday = max(0, sentToday)
        }
    }

    /// One message to send: its SMS count, and for marketing the window and the recipient's zones.
    public struct Message: Sendable, Hashable {
        public var segments: Int
        /// nil: a notification, never held.
        public var window: QuietHours?
        public var zones: [TimeZone]

        public init(segments: Int, window: QuietHours? = nil, zones: [TimeZone] = []) {
            self.segments = segments
            self.window = window
            self.zones = zones
        }
    }

    public enum Estimate: Sendable, Equatable {
        /// The last message leaves at this instant (`start` when there is nothing to send).
        case finishes(at: Date)
        /// No SIM can send them (no SIM, or a message longer than every SIM's daily cap).
        case never(reason: String)
    }

    /// At most this many messages are simulated (a bigger batch is an input error upstream).
    public static let maximumMessages = 10_000_000

    /// - Parameters:
    ///   - segments: the SMS count of each message, in sending order.
    ///   - window: the sending window of marketing; nil for notifications (never held).
    public static func estimate(segments: [Int], sims: [SIM], window: QuietHours?, recipientZones: [TimeZone],
                                dayZone: TimeZone, start: Date) -> Estimate {
        estimate(segments.map { Message(segments: $0, window: window, zones: recipientZones) }, sims: sims,
                 dayZone: dayZone, start: start)
    }

    /// Each message with its own window and zones (a campaign to several countries).
    public static func estimate(_ messages: [Message], sims: [SIM], dayZone: TimeZone, start: Date) -> Estimate {
        guard !messages.isEmpty else { return .finishes(at: start) }
        guard !sims.isEmpty else { return .never(reason: "no SIM to send from") }
        guard messages.count <= maximumMessages else { return .never(reason: "more than \(maximumMessages) messages") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = dayZone

        struct State { var free: Date; var day: Date; var sent: Int }
        var states = sims.map { State(free: start, day: calendar.startOfDay(for: start), sent: $0.sentToday) }
        var finish = start

        for message in messages {
            let parts = max(1, message.segments)
            var best: (index: Int, at: Date, state: State)?
            for (index, sim) in sims.enumerated() {
                if sim.dailyCap > 0, parts > sim.dailyCap { continue }
                var state = states[index]
                var at = state.free
                // Settle the day, the cap and the window until none moves the instant.
                for _ in 0..<400 {
                    let day = calendar.startOfDay(for: at)
                    if day != state.day { state.day = day; state.sent = 0 }
                    if sim.dailyCap > 0, state.sent + parts > sim.dailyCap {
                        guard let next = calendar.date(byAdding: .day, value: 1, to: day) else { break }
                        at = next
                        continue
                    }
                    if let window = message.window, !message.zones.isEmpty {
                        let opening = SendPolicy.nextOpening(of: window, after: at, in: message.zones)
                        if opening > at { at = opening; continue }
                    }
                    break
                }
                if let current = best, current.at <= at { continue }
                best = (index, at, state)
            }
            guard let chosen = best else {
                return .never(reason: "a message of \(parts) SMS is longer than every SIM's daily cap")
            }
            var state = chosen.state
            state.sent += parts
            state.free = chosen.at.addingTimeInterval(sims[chosen.index].minimumInterval * Double(parts))
            states[chosen.index] = state
            finish = max(finish, chosen.at)
        }
        return .finishes(at: finish)
    }
}
