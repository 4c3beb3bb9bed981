import Foundation

/// When to send (`smsagent send --at`, `smsagent campaign --at`): stored as the message's
/// `not_before`, so the agent holds it until then (quiet hours still apply to marketing after it).
public enum ScheduledTime {
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// `2026-12-01 09:00` or `2026-12-01T09:00` (local time in `timeZone`), an ISO 8601 instant
    /// with its offset (`2026-12-01T09:00:00+01:00`, `…Z`), or a delay from `now` (`+2h`, `+30m`).
    /// A time more than a minute in the past is refused: it is almost certainly a typo.
    public static func parse(_ text: String, timeZone: TimeZone, now: Date) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let instant: Date
        if trimmed.hasPrefix("+"), let delay = DurationText.parse(String(trimmed.dropFirst())) {
            instant = now.addingTimeInterval(delay.timeInterval)
        } else if let absolute = AgentClocks.parseISO8601(trimmed) {
            instant = absolute
        } else if let local = local(trimmed, timeZone: timeZone) {
            instant = local
        } else {
            throw Invalid(description: "'\(text)' is not a time: expected e.g. 2026-12-01 09:00 (in \(timeZone.identifier)), 2026-12-01T09:00:00+01:00 or +2h")
        }
        guard instant >= now.addingTimeInterval(-60) else {
            throw Invalid(description: "'\(text)' is in the past")
        }
        return instant
    }

    /// `2026-12-01 09:00 Europe/Paris`, for what the commands print.
    public static func describe(_ date: Date, timeZone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return "\(formatter.string(from: date)) \(timeZone.identifier)"
    }

    private static func local(_ text: String, timeZone: TimeZone) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        for format in ["yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
