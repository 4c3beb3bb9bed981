/// A day of the week, numbered as `Calendar`'s `weekday` component (1 = Sunday).
public enum Weekday: Int, Sendable, Codable, CaseIterable, Comparable {
    case sunday = 1, monday, tuesday, wednesday, thursday, friday, saturday

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Monday to Saturday.
    public static let mondayToSaturday: [Weekday] = [.monday, .tuesday, .wednesday, .thursday, .friday, .saturday]
    /// Monday to Friday.
    public static let mondayToFriday: [Weekday] = [.monday, .tuesday, .wednesday, .thursday, .friday]

    /// Accepts English and French names and their three-letter forms (`mon`, `monday`, `lun`, `lundi`).
    public init?(name: String) {
        let names: [String: Weekday] = [
            "sun": .sunday, "sunday": .sunday, "dim": .sunday, "dimanche": .sunday,
            "mon": .monday, "monday": .monday, "lun": .monday, "lundi": .monday,
            "tue": .tuesday, "tuesday": .tuesday, "mar": .tuesday, "mardi": .tuesday,
            "wed": .wednesday, "wednesday": .wednesday, "mer": .wednesday, "mercredi": .wednesday,
            "thu": .thursday, "thursday": .thursday, "jeu": .thursday, "jeudi": .thursday,
            "fri": .friday, "friday": .friday, "ven": .friday, "vendredi": .friday,
            "sat": .saturday, "saturday": .saturday, "sam": .saturday, "samedi": .saturday,
        ]
        guard let day = names[name.lowercased()] else { return nil }
        self = day
    }
}

/// A local wall-clock time, minute precision; `24:00` is the end of the day.
public struct TimeOfDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let hour: Int
    public let minute: Int

    /// nil unless 00:00 ≤ time ≤ 24:00.
    public init?(hour: Int, minute: Int = 0) {
        guard (0...24).contains(hour), (0...59).contains(minute), hour < 24 || minute == 0 else { return nil }
        self.hour = hour
        self.minute = minute
    }

    init(unchecked hour: Int, _ minute: Int) {
        self.hour = hour
        self.minute = minute
    }

    /// Parses `HH:MM` (or `H:MM`, `HHhMM`, `HH`).
    public init?(parsing text: String) {
        let separators: Set<Character> = [":", "h", "H"]
        let parts = text.split(whereSeparator: { separators.contains($0) }).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.count <= 2 && $0.allSatisfy(\.isASCII) }),
              let hour = Int(parts[0]), let minute = parts.count == 2 ? Int(parts[1]) : 0 else { return nil }
        self.init(hour: hour, minute: minute)
    }

    public var minutesSinceMidnight: Int { hour * 60 + minute }
    public var description: String { String(format2: hour) + ":" + String(format2: minute) }

    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool { lhs.minutesSinceMidnight < rhs.minutesSinceMidnight }
}

extension TimeOfDay: Codable {
    /// Encoded as `"HH:MM"`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let time = TimeOfDay(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a time HH:MM between 00:00 and 24:00")
        }
        self = time
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension String {
    init(format2 value: Int) {
        self = value < 10 ? "0\(value)" : "\(value)"
    }
}

/// Sending is allowed on `days` from `start` (inclusive) to `end` (exclusive), local time.
public struct SendingWindow: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Never empty, sorted.
    public private(set) var days: [Weekday]
    /// Always before `end`.
    public private(set) var start: TimeOfDay
    public private(set) var end: TimeOfDay

    enum CodingKeys: String, CodingKey { case days, start, end }

    /// Decoding validates like `init(days:start:end:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(days: container.decode([Weekday].self, forKey: .days),
                      start: container.decode(TimeOfDay.self, forKey: .start),
                      end: container.decode(TimeOfDay.self, forKey: .end))
    }

    public init(days: [Weekday], start: TimeOfDay, end: TimeOfDay) throws(QuietHoursError) {
        guard !days.isEmpty else { throw .invalidWindow(spec: "\(start)-\(end)", reason: "no day given") }
        guard start < end else { throw .invalidWindow(spec: "\(start)-\(end)", reason: "the start must be before the end") }
        self.days = Array(Set(days)).sorted()
        self.start = start
        self.end = end
    }

    init(unchecked days: [Weekday], start: TimeOfDay, end: TimeOfDay) {
        self.days = days
        self.start = start
        self.end = end
    }

    /// Parses `"mon-sat 08:00-20:00"`, `"sat 10:00-18:00"`, `"mon,wed,fri 9:00-12:00"`,
    /// `"daily 09:00-20:00"` (also `*`, `lun-sam`).
    public init(parsing spec: String) throws(QuietHoursError) {
        let fields = spec.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 2 else {
            throw .invalidWindow(spec: spec, reason: "expected \"<days> <HH:MM>-<HH:MM>\", e.g. \"mon-sat 08:00-20:00\"")
        }
        var days = [Weekday]()
        if ["daily", "*", "all", "every"].contains(fields[0].lowercased()) {
            days = Weekday.allCases
        } else {
            for item in fields[0].split(separator: ",") {
                let range = item.split(separator: "-").map(String.init)
                guard (1...2).contains(range.count), let first = Weekday(name: range[0]),
                      let last = Weekday(name: range[range.count - 1]) else {
                    throw .invalidWindow(spec: spec, reason: "unknown day \"\(item)\" (use mon, tue, … or lun, mar, …)")
                }
                // Monday-based order, so "sat-sun" and "mon-sun" mean what people expect.
                let order: (Weekday) -> Int = { ($0.rawValue + 5) % 7 }
                guard order(first) <= order(last) else {
                    throw .invalidWindow(spec: spec, reason: "\"\(item)\": the first day comes after the last (weeks start on Monday)")
                }
                days += Weekday.allCases.filter { order($0) >= order(first) && order($0) <= order(last) }
            }
        }
        let times = fields[1].split(separator: "-").map(String.init)
        guard times.count == 2, let start = TimeOfDay(parsing: times[0]), let end = TimeOfDay(parsing: times[1]) else {
            throw .invalidWindow(spec: spec, reason: "\"\(fields[1])\" is not a time range HH:MM-HH:MM")
        }
        try self.init(days: days, start: start, end: end)
    }

    public var description: String {
        let names = ["", "sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        return days.map { names[$0.rawValue] }.joined(separator: ",") + " \(start)-\(end)"
    }
}

/// Why a quiet-hours setting was refused.
public enum QuietHoursError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownPreset(String, known: [String])
    case invalidWindow(spec: String, reason: String)
    case noWindows

    public var description: String {
        switch self {
        case .unknownPreset(let name, let known):
            "unknown quiet-hours preset \"\(name)\" (known: \(known.joined(separator: ", ")))"
        case .invalidWindow(let spec, let reason):
            "invalid sending window \"\(spec)\": \(reason)"
        case .noWindows:
            "no sending window: messages would never be sent (use the preset \"none\" to send at any time)"
        }
    }
}
