import Foundation
import Testing
@testable import Agent

@Suite struct ScheduledTimeTests {
    static let paris = TimeZone(identifier: "Europe/Paris")!
    /// 2026-11-29 12:00:00 UTC.
    static let now = Date(timeIntervalSince1970: 1_795_953_600)

    @Test("local times in the configured zone, ISO 8601 instants, and delays", arguments: [
        ("2026-12-01 09:00", 1_796_112_000.0),            // 08:00 UTC (Paris is UTC+1 in winter)
        ("2026-12-01T09:00", 1_796_112_000.0),
        ("2026-12-01 09:00:30", 1_796_112_030.0),
        ("2026-12-01T09:00:00+01:00", 1_796_112_000.0),
        ("2026-12-01T08:00:00Z", 1_796_112_000.0),
        ("+2h", 1_795_960_800.0),
        (" +30m ", 1_795_955_400.0),
    ])
    func parses(text: String, expected: TimeInterval) throws {
        #expect(try ScheduledTime.parse(text, timeZone: Self.paris, now: Self.now).timeIntervalSince1970 == expected)
    }

    @Test("anything else, or a time in the past, is refused with the reason", arguments: [
        ("tomorrow", "is not a time"), ("2026-13-01 09:00", "is not a time"), ("+soon", "is not a time"),
        ("2026-11-29 09:00", "in the past"), ("", "is not a time"),
    ])
    func refuses(text: String, reason: String) {
        #expect {
            _ = try ScheduledTime.parse(text, timeZone: Self.paris, now: Self.now)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func describesInTheZone() {
        #expect(ScheduledTime.describe(Date(timeIntervalSince1970: 1_796_112_000), timeZone: Self.paris) == "2026-12-01 09:00 Europe/Paris")
    }
}
