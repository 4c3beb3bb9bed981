import Foundation

/// The agent's source of time. Everything that schedules (quiet hours, throttles, retries,
/// polling) asks this clock, so tests can move "now" without touching the system clock.
public protocol AgentClock: Sendable {
    /// The current wall-clock time as the agent should see it.
    func now() -> Date
    /// Suspends for `duration` of real time (throws `CancellationError` when cancelled).
    func sleep(for duration: Duration) async throws
}

/// The system's wall clock.
public struct SystemClock: AgentClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

/// A clock whose "now" is the system time shifted by a fixed offset, so that it starts at a chosen
/// instant and then advances in real time. Sleeping is real (tests want timers to fire).
public struct OffsetClock: AgentClock {
    public let offset: TimeInterval

    /// A clock that reads `start` right now and advances from there.
    public init(startingAt start: Date) {
        self.offset = start.timeIntervalSinceNow
    }

    public init(offset: TimeInterval) {
        self.offset = offset
    }

    public func now() -> Date { Date().addingTimeInterval(offset) }
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

/// A clock frozen at one instant (sleeping is still real).
public struct FixedClock: AgentClock {
    public let instant: Date
    public init(_ instant: Date) { self.instant = instant }
    public func now() -> Date { instant }
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

public enum AgentClockError: Error, CustomStringConvertible, Equatable {
    case badFakeNow(value: String)

    public var description: String {
        switch self {
        case .badFakeNow(let value):
            return "SMSAGENT_FAKE_NOW=\(value) is not an ISO 8601 date-time (expected e.g. 2026-03-01T10:00:00+01:00, optionally prefixed with 'fixed:')"
        }
    }
}

public enum AgentClocks {
    /// The environment variable that selects a fake clock for tests of schedules:
    /// `SMSAGENT_FAKE_NOW=2026-03-01T21:30:00+01:00` starts the clock at that instant and lets it
    /// advance in real time; `SMSAGENT_FAKE_NOW=fixed:2026-03-01T21:30:00+01:00` freezes it there.
    public static let environmentVariable = "SMSAGENT_FAKE_NOW"

    /// The clock the environment asks for: `SystemClock` unless `SMSAGENT_FAKE_NOW` is set.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any AgentClock {
        guard let raw = environment[environmentVariable]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
            return SystemClock()
        }
        var value = Substring(raw)
        var fixed = false
        if value.hasPrefix("fixed:") {
            fixed = true
            value = value.dropFirst("fixed:".count)
        } else if value.hasPrefix("offset:") {
            value = value.dropFirst("offset:".count)
        }
        guard let instant = parseISO8601(String(value)) else {
            throw AgentClockError.badFakeNow(value: raw)
        }
        return fixed ? FixedClock(instant) : OffsetClock(startingAt: instant)
    }

    /// An ISO 8601 instant with its offset, with or without fractional seconds.
    public static func parseISO8601(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }
}
