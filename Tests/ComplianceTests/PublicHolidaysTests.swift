import Foundation
import Testing
@testable import Compliance

@Suite("PublicHolidays")
struct PublicHolidaysTests {
    /// Check values: COMPLIANCE.md (2026, 2018) and python-dateutil's `easter()` (an independent
    /// implementation) for the other years, including the extreme dates 22 March and 25 April.
    @Test("Easter Sunday (Meeus/Jones/Butcher)", arguments: [
        (2026, 4, 5), (2018, 4, 1), (2019, 4, 21), (2024, 3, 31), (2025, 4, 20), (2027, 3, 28),
        (2000, 4, 23), (2008, 3, 23), (2011, 4, 24), (2038, 4, 25), (2049, 4, 18), (1900, 4, 15),
        (1818, 3, 22), (2285, 3, 22),
    ])
    func easter(year: Int, month: Int, day: Int) {
        #expect(PublicHolidays.easterSunday(year: year) == DateComponents(year: year, month: month, day: day))
    }

    static func days(_ year: Int, alsaceMoselle: Bool = false) -> [String] {
        PublicHolidays.france(year: year, alsaceMoselle: alsaceMoselle).map {
            String(format2: $0.month ?? 0) + "-" + String(format2: $0.day ?? 0)
        }
    }

    @Test("France 2026: Easter Monday 6 Apr, Ascension 14 May, Whit Monday 25 May")
    func france2026() {
        #expect(Self.days(2026) == ["01-01", "04-06", "05-01", "05-08", "05-14", "05-25", "07-14", "08-15",
                                    "11-01", "11-11", "12-25"])
    }

    @Test("France 2018: Easter Monday 2 Apr, Ascension 10 May, Whit Monday 21 May")
    func france2018() {
        #expect(Self.days(2018) == ["01-01", "04-02", "05-01", "05-08", "05-10", "05-21", "07-14", "08-15",
                                    "11-01", "11-11", "12-25"])
    }

    @Test("Alsace-Moselle adds Good Friday and 26 December")
    func alsaceMoselle() {
        #expect(Self.days(2026, alsaceMoselle: true) == ["01-01", "04-03", "04-06", "05-01", "05-08", "05-14", "05-25",
                                                         "07-14", "08-15", "11-01", "11-11", "12-25", "12-26"])
    }

    @Test("Ascension on 1 May (2008) is listed once")
    func ascensionOnMayDay() {
        #expect(Self.days(2008).filter { $0 == "05-01" }.count == 1)
        #expect(Self.days(2008).count == 10)
    }

    @Test("isFrenchHoliday", arguments: [
        (2026, 4, 6, false, true), (2026, 4, 5, false, false), (2026, 4, 3, false, false), (2026, 4, 3, true, true),
        (2026, 12, 26, false, false), (2026, 12, 26, true, true), (2027, 5, 6, false, true), (2027, 5, 17, false, true),
    ])
    func isHoliday(year: Int, month: Int, day: Int, alsace: Bool, expected: Bool) {
        #expect(PublicHolidays.isFrenchHoliday(year: year, month: month, day: day, alsaceMoselle: alsace) == expected)
    }

    @Test("civil day arithmetic round-trips across years")
    func civilDates() {
        let start = CivilDate(year: 1999, month: 12, day: 31)
        for offset in stride(from: -800, through: 800, by: 7) {
            let date = start.adding(days: offset)
            #expect(date.adding(days: -offset) == start)
        }
        #expect(CivilDate(year: 2024, month: 2, day: 28).adding(days: 1) == CivilDate(year: 2024, month: 2, day: 29))
        #expect(CivilDate(year: 2026, month: 2, day: 28).adding(days: 1) == CivilDate(year: 2026, month: 3, day: 1))
        #expect(CivilDate(year: 1970, month: 1, day: 1).daysSinceEpoch == 0)
        #expect(CivilDate(year: 1970, month: 1, day: 1).weekday == .thursday)
        #expect(CivilDate(year: 2026, month: 11, day: 29).weekday == .sunday)
        #expect(CivilDate(year: 1969, month: 12, day: 28).weekday == .sunday)
    }
}
