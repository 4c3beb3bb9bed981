import Foundation

/// Public holidays, computed (no table to keep up to date).
public enum PublicHolidays {
    /// Easter Sunday of a Gregorian year, by the anonymous Gregorian algorithm
    /// (Meeus/Jones/Butcher, J. Meeus, *Astronomical Algorithms*, ch. 8). Valid for 1583 and later.
    /// 2026 → 5 April, 2018 → 1 April, 2019 → 21 April.
    public static func easterSunday(year: Int) -> DateComponents {
        let (month, day) = easter(year)
        return DateComponents(year: year, month: month, day: day)
    }

    /// The French public holidays of `year` (Code du travail art. L3133-1), in date order:
    /// 1 Jan, Easter Monday, 1 May, 8 May, Ascension (Easter + 39), Whit Monday (Easter + 50),
    /// 14 Jul, 15 Aug, 1 Nov, 11 Nov, 25 Dec; Alsace-Moselle adds Good Friday (Easter − 2) and
    /// 26 Dec (Code du travail art. L3134-13). Each value has `year`, `month` and `day` set.
    public static func france(year: Int, alsaceMoselle: Bool = false) -> [DateComponents] {
        franceDays(year: year, alsaceMoselle: alsaceMoselle).map { DateComponents(year: $0.year, month: $0.month, day: $0.day) }
    }

    /// Whether a civil date is a French public holiday.
    public static func isFrenchHoliday(year: Int, month: Int, day: Int, alsaceMoselle: Bool = false) -> Bool {
        franceDays(year: year, alsaceMoselle: alsaceMoselle).contains(CivilDate(year: year, month: month, day: day))
    }

    static func franceDays(year: Int, alsaceMoselle: Bool) -> [CivilDate] {
        let (month, day) = easter(year)
        let easter = CivilDate(year: year, month: month, day: day)
        var days: [CivilDate] = [
            CivilDate(year: year, month: 1, day: 1),
            easter.adding(days: 1),
            CivilDate(year: year, month: 5, day: 1),
            CivilDate(year: year, month: 5, day: 8),
            easter.adding(days: 39),
            easter.adding(days: 50),
            CivilDate(year: year, month: 7, day: 14),
            CivilDate(year: year, month: 8, day: 15),
            CivilDate(year: year, month: 11, day: 1),
            CivilDate(year: year, month: 11, day: 11),
            CivilDate(year: year, month: 12, day: 25),
        ]
        if alsaceMoselle {
            days.append(easter.adding(days: -2))
            days.append(CivilDate(year: year, month: 12, day: 26))
        }
        // Ascension can fall on 1 or 8 May (2008: 1 May): keep one entry per day.
        return Array(Set(days)).sorted()
    }

    static func easter(_ year: Int) -> (month: Int, day: Int) {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let n = h + l - 7 * m + 114
        return (n / 31, n % 31 + 1)
    }
}

/// A proleptic Gregorian calendar date, with day arithmetic that needs no `Calendar`
/// (H. Hinnant's days-from-civil algorithm).
struct CivilDate: Hashable, Comparable, Sendable {
    var year: Int
    var month: Int
    var day: Int

    var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    func adding(days: Int) -> CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// 1970-01-01 was a Thursday.
    var weekday: Weekday {
        let index = ((daysSinceEpoch + 4) % 7 + 7) % 7   // 0 = Sunday
        return Weekday(rawValue: index + 1) ?? .sunday
    }

    static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// Which public holidays close the sending window.
public enum HolidayCalendar: String, Sendable, Codable, CaseIterable {
    case none
    /// French public holidays (L3133-1).
    case france
    /// French public holidays plus Good Friday and 26 December (Alsace-Moselle).
    case franceAlsaceMoselle = "france-alsace-moselle"

    /// The public holidays smsagent knows for `region` (ISO 3166): the French calendar (Code du
    /// travail L3133-1, which applies in the overseas departments and collectivities too) for
    /// France and its overseas regions; `.none` for every other region, whose holidays are not
    /// built in. Custom `windows:` in the configuration default to this for `default_country`.
    public static func national(of region: String) -> HolidayCalendar {
        frenchCalendarRegions.contains(region.uppercased()) ? .france : .none
    }

    static let frenchCalendarRegions: Set<String> = ["FR", "GP", "MQ", "GF", "RE", "YT", "BL", "MF", "PM"]

    public func isHoliday(year: Int, month: Int, day: Int) -> Bool {
        switch self {
        case .none: false
        case .france: PublicHolidays.isFrenchHoliday(year: year, month: month, day: day)
        case .franceAlsaceMoselle: PublicHolidays.isFrenchHoliday(year: year, month: month, day: day, alsaceMoselle: true)
        }
    }
}
