import Foundation

/// The per-SIM sending throttle, counted in SMS as the network sees them (segments): at least
/// `minInterval` per SMS (a 3-part message waits 3 × the interval before the next message) and at
/// most `dailyCap` SMS per calendar day (in the installation's time zone). COMPLIANCE.md:
/// operators suspend SIMs that send in bursts, so the default is one every 3 s, 200 a day.
///
/// A value type: the worker that owns the SIM keeps it and asks it before each message.
public struct SIMThrottle: Sendable, Equatable {
    public var settings: ThrottleSettings
    public private(set) var lastSend: Date?
    /// SMS (segments) sent today.
    public private(set) var sentToday: Int = 0
    private var nextAllowed: Date?
    private var day: DateComponents?
    private let timeZone: TimeZone

    public init(settings: ThrottleSettings, timeZone: TimeZone, sentToday: Int = 0, lastSend: Date? = nil, now: Date = Date()) {
        self.settings = settings
        self.timeZone = timeZone
        self.sentToday = sentToday
        self.lastSend = lastSend
        self.nextAllowed = lastSend.map { $0.addingTimeInterval(settings.minInterval.timeInterval) }
        self.day = Self.dayOf(now, timeZone)
    }

    public enum Verdict: Sendable, Equatable {
        case go
        /// Wait until this instant (minimum interval).
        case waitUntil(Date)
        /// The daily cap is reached; the next day starts at this instant.
        case capReached(until: Date)
    }

    /// May the SIM send a message now?
    public mutating func verdict(now: Date) -> Verdict {
        rollDay(now)
        if settings.dailyCap > 0, sentToday >= settings.dailyCap {
            return .capReached(until: Self.nextMidnight(after: now, timeZone))
        }
        if let next = nextAllowed, settings.minInterval > .zero, next > now {
            return .waitUntil(next)
        }
        return .go
    }

    /// A message of `segments` SMS left through this SIM.
    public mutating func recordSend(at now: Date, segments: Int = 1) {
        rollDay(now)
        sentToday += max(1, segments)
        lastSend = now
        nextAllowed = now.addingTimeInterval(settings.minInterval.timeInterval * Double(max(1, segments)))
    }

    private mutating func rollDay(_ now: Date) {
        let today = Self.dayOf(now, timeZone)
        if today != day {
            day = today
            sentToday = 0
        }
    }

    static func dayOf(_ date: Date, _ timeZone: TimeZone) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.dateComponents([.year, .month, .day], from: date)
    }

    static func nextMidnight(after date: Date, _ timeZone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = calendar.startOfDay(for: date)
        return calendar.date(byAdding: .day, value: 1, to: start) ?? date.addingTimeInterval(86400)
    }
}

extension Duration {
    /// Seconds as a `TimeInterval`.
    public var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    public init(timeInterval: TimeInterval) {
        self = .milliseconds(Int64((max(0, timeInterval) * 1000).rounded()))
    }
}
