import Foundation

/// When marketing may be sent, in the recipient's local time (COMPLIANCE.md "Quiet hours
/// presets"). Outside the windows, and on the holidays of `holidays`, sending is closed.
///
/// Pure: the instant and the time zone are passed in. DST is handled by `Calendar`: windows are
/// wall-clock times, so 08:00 stays 08:00 local on both sides of a transition.
public struct QuietHours: Sendable, Hashable, Codable {
    /// The preset name or `"custom"`.
    public var name: String
    /// Never empty (checked by every initialiser, decoding included).
    public private(set) var windows: [SendingWindow]
    public var holidays: HolidayCalendar

    enum CodingKeys: String, CodingKey { case name, windows, holidays }

    /// Decoding validates like `init(name:windows:holidays:)`: a schedule without windows is refused.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(name: container.decodeIfPresent(String.self, forKey: .name) ?? "custom",
                      windows: container.decode([SendingWindow].self, forKey: .windows),
                      holidays: container.decodeIfPresent(HolidayCalendar.self, forKey: .holidays) ?? .none)
    }

    public init(name: String = "custom", windows: [SendingWindow], holidays: HolidayCalendar = .none) throws(QuietHoursError) {
        guard !windows.isEmpty else { throw .noWindows }
        self.name = name
        self.windows = windows
        self.holidays = holidays
    }

    /// Custom windows written as `SendingWindow(parsing:)` accepts: `["mon-fri 08:30-20:00", "sat 10:00-18:00"]`.
    public static func custom(_ specs: [String], holidays: HolidayCalendar = .none) throws(QuietHoursError) -> QuietHours {
        var windows = [SendingWindow]()
        for spec in specs { windows.append(try SendingWindow(parsing: spec)) }
        return try QuietHours(windows: windows, holidays: holidays)
    }

    /// The names `preset(_:)` knows.
    public static let presetNames = ["fr", "fr-strict", "uk", "us", "none"]

    /// - `fr`: Monday–Saturday 08:00–20:00, closed on Sundays and French public holidays.
    /// - `fr-strict`: Monday–Friday 08:30–20:00, Saturday 10:00–18:00, closed on holidays.
    /// - `uk`, `us`: every day 09:00–20:00 (COMPLIANCE.md gives hours only; US TCPA allows 08:00–21:00,
    ///   some states less, so 09:00–20:00 is the conservative shared window).
    /// - `none`: always open.
    public static func preset(_ name: String) throws(QuietHoursError) -> QuietHours {
        switch name.lowercased() {
        case "fr": fr
        case "fr-strict": frStrict
        case "uk": uk
        case "us": us
        case "none": none
        default: throw .unknownPreset(name, known: presetNames)
        }
    }

    public static let fr = QuietHours(
        preset: "fr", holidays: .france, [(Weekday.mondayToSaturday, (8, 0), (20, 0))])
    public static let frStrict = QuietHours(
        preset: "fr-strict", holidays: .france,
        [(Weekday.mondayToFriday, (8, 30), (20, 0)), ([.saturday], (10, 0), (18, 0))])
    public static let uk = QuietHours(preset: "uk", holidays: .none, [(Weekday.allCases, (9, 0), (20, 0))])
    public static let us = QuietHours(preset: "us", holidays: .none, [(Weekday.allCases, (9, 0), (20, 0))])
    public static let none = QuietHours(preset: "none", holidays: .none, [(Weekday.allCases, (0, 0), (24, 0))])

    /// Presets are literals known to be valid.
    private init(preset: String, holidays: HolidayCalendar, _ spans: [([Weekday], (Int, Int), (Int, Int))]) {
        name = preset
        self.holidays = holidays
        windows = spans.map { days, start, end in
            SendingWindow(unchecked: days, start: TimeOfDay(unchecked: start.0, start.1), end: TimeOfDay(unchecked: end.0, end.1))
        }
    }

    /// Whether any instant is closed (false only for `none`-like schedules).
    public var isAlwaysOpen: Bool {
        holidays == .none && Weekday.allCases.allSatisfy { day in
            windows.contains { $0.days.contains(day) && $0.start.minutesSinceMidnight == 0 && $0.end.minutesSinceMidnight == 1440 }
        }
    }

    /// Whether sending is allowed at `date` in `timeZone` (window start inclusive, end exclusive:
    /// open at 19:59:59, closed at 20:00:00).
    public func isOpen(at date: Date, timeZone: TimeZone) -> Bool {
        isOpen(at: date, calendar: Self.calendar(timeZone))
    }

    func isOpen(at date: Date, calendar: Calendar) -> Bool {
        let parts = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute, .second], from: date)
        guard let year = parts.year, let month = parts.month, let day = parts.day, let weekdayNumber = parts.weekday,
              let weekday = Weekday(rawValue: weekdayNumber) else { return false }
        if holidays.isHoliday(year: year, month: month, day: day) { return false }
        let seconds = (parts.hour ?? 0) * 3600 + (parts.minute ?? 0) * 60 + (parts.second ?? 0)
        return windows.contains { window in
            window.days.contains(weekday)
                && seconds >= window.start.minutesSinceMidnight * 60
                && seconds < window.end.minutesSinceMidnight * 60
        }
    }

    /// The earliest instant at or after `date` at which sending is allowed (`date` itself when open).
    ///
    /// Saturday 20:00 under `fr` gives Monday 08:00, or Tuesday 08:00 when that Monday is a
    /// holiday. A window starting inside a DST gap opens when the clocks jump (the first instant
    /// whose local time is past the start).
    public func nextOpening(after date: Date, timeZone: TimeZone) -> Date {
        let calendar = Self.calendar(timeZone)
        if isOpen(at: date, calendar: calendar) { return date }
        let firstDay = calendar.dateComponents([.year, .month, .day], from: date)
        guard let year = firstDay.year, let month = firstDay.month, let day = firstDay.day else { return date }
        let start = CivilDate(year: year, month: month, day: day)
        // Holidays close at most a few days in a row; a year bounds any valid schedule.
        for offset in 0..<370 {
            let civil = start.adding(days: offset)
            let todays = windows.filter { $0.days.contains(civil.weekday) }
            if todays.isEmpty || holidays.isHoliday(year: civil.year, month: civil.month, day: civil.day) { continue }
            var candidates = [Date]()
            for window in todays {
                let wanted = DateComponents(year: civil.year, month: civil.month, day: civil.day,
                                            hour: window.start.hour, minute: window.start.minute)
                guard let opening = calendar.date(from: wanted) else { continue }
                let got = calendar.dateComponents([.day, .hour, .minute], from: opening)
                if got.day != civil.day || got.hour != window.start.hour || got.minute != window.start.minute {
                    // The start falls in a spring-forward gap: the window opens when the clocks jump.
                    if let transition = timeZone.nextDaylightSavingTimeTransition(after: opening.addingTimeInterval(-4 * 3600)) {
                        candidates.append(transition)
                    }
                }
                // The hour after covers a start inside a repeated (fall-back) hour.
                candidates += [opening, opening.addingTimeInterval(3600)]
            }
            if let opening = candidates.sorted().first(where: { $0 >= date && isOpen(at: $0, calendar: calendar) }) {
                return opening
            }
        }
        // Unreachable for validated windows (one opens every week); hold rather than send.
        return date.addingTimeInterval(370 * 86_400)
    }

    static func calendar(_ timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }
}
