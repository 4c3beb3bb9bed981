import Foundation
import Testing
@testable import Compliance

/// An instant from a local wall-clock time ("2026-11-30 08:00[:ss]") in `zone`.
func local(_ text: String, _ zone: String = "Europe/Paris") -> Date {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: zone)
    formatter.dateFormat = text.count > 16 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm"
    guard let date = formatter.date(from: text) else {
        Issue.record("bad date \(text)")
        return Date(timeIntervalSince1970: 0)
    }
    return date
}

func utc(_ text: String) -> Date { local(text, "UTC") }

let paris = TimeZone(identifier: "Europe/Paris") ?? .gmt

@Suite("QuietHours")
struct QuietHoursTests {
    @Test("fr preset: Mon–Sat 08:00–20:00, closed Sundays and holidays", arguments: [
        ("2026-11-30 07:59:59", false), ("2026-11-30 08:00", true), ("2026-11-30 19:59", true),
        ("2026-11-30 19:59:59", true), ("2026-11-30 20:00", false), ("2026-11-28 10:00", true),
        ("2026-11-28 20:00", false), ("2026-11-29 12:00", false), ("2026-11-11 12:00", false),
        ("2026-12-25 12:00", false), ("2026-04-06 12:00", false), ("2026-04-07 12:00", true),
        ("2026-03-30 08:00", true), ("2026-03-30 07:59", false), ("2026-10-26 08:00", true),
        ("2026-10-26 07:59", false),
    ])
    func frIsOpen(time: String, open: Bool) {
        #expect(QuietHours.fr.isOpen(at: local(time), timeZone: paris) == open)
    }

    @Test("fr preset: next opening", arguments: [
        ("2026-11-28 20:00", "2026-11-30 08:00"),          // Saturday evening → Monday
        ("2026-11-29 23:59", "2026-11-30 08:00"),          // Sunday night → Monday
        ("2026-11-30 06:00", "2026-11-30 08:00"),          // early Monday → same morning
        ("2026-11-30 20:00", "2026-12-01 08:00"),          // weekday evening → next morning
        ("2026-11-30 10:00", "2026-11-30 10:00"),          // open → now
        ("2026-04-04 21:00", "2026-04-07 08:00"),          // Easter weekend: Monday is a holiday → Tuesday
        ("2026-05-24 09:00", "2026-05-26 08:00"),          // Whit Sunday → Whit Monday holiday → Tuesday
        ("2026-03-29 10:00", "2026-03-30 08:00"),          // DST spring-forward Sunday → Monday 08:00 CEST
        ("2026-10-24 20:30", "2026-10-26 08:00"),          // Saturday before fall-back → Monday 08:00 CET
        ("2026-12-24 20:00", "2026-12-26 08:00"),          // Christmas Day → Saturday 26th
        ("2026-12-31 22:00", "2027-01-02 08:00"),          // New Year's Day → Saturday 2nd
    ])
    func frNextOpening(after: String, expected: String) {
        #expect(QuietHours.fr.nextOpening(after: local(after), timeZone: paris) == local(expected))
    }

    @Test("DST days keep wall-clock windows (UTC offsets of the openings)")
    func dstOffsets() {
        #expect(QuietHours.fr.nextOpening(after: utc("2026-03-29 12:00"), timeZone: paris) == utc("2026-03-30 06:00"))
        #expect(QuietHours.fr.nextOpening(after: utc("2026-10-25 12:00"), timeZone: paris) == utc("2026-10-26 07:00"))
    }

    @Test("fr-strict preset", arguments: [
        ("2026-11-28 09:00", "2026-11-28 10:00"), ("2026-11-28 18:00", "2026-11-30 08:30"),
        ("2026-11-30 08:00", "2026-11-30 08:30"), ("2026-11-27 20:00", "2026-11-28 10:00"),
        ("2026-11-27 19:00", "2026-11-27 19:00"),
    ])
    func frStrict(after: String, expected: String) throws {
        let hours = try QuietHours.preset("fr-strict")
        #expect(hours.nextOpening(after: local(after), timeZone: paris) == local(expected))
    }

    @Test("uk and us presets open every day 09:00–20:00 local", arguments: [
        ("uk", "Europe/London", "2026-11-29 08:59", false), ("uk", "Europe/London", "2026-11-29 09:00", true),
        ("uk", "Europe/London", "2026-11-29 20:00", false), ("us", "America/New_York", "2026-11-29 19:59", true),
        ("us", "America/Los_Angeles", "2026-11-30 08:30", false),
    ])
    func ukUs(preset: String, zone: String, time: String, open: Bool) throws {
        let hours = try QuietHours.preset(preset)
        let timeZone = try #require(TimeZone(identifier: zone))
        #expect(hours.isOpen(at: local(time, zone), timeZone: timeZone) == open)
    }

    @Test("none is always open")
    func none() throws {
        let hours = try QuietHours.preset("none")
        #expect(hours.isAlwaysOpen)
        #expect(!QuietHours.fr.isAlwaysOpen)
        for time in ["2026-11-29 03:00", "2026-12-25 23:59", "2026-03-29 03:00"] {
            #expect(hours.isOpen(at: local(time), timeZone: paris))
        }
    }

    @Test("unknown presets and bad windows are errors")
    func errors() {
        #expect(throws: QuietHoursError.unknownPreset("fr-night", known: QuietHours.presetNames)) {
            try QuietHours.preset("fr-night")
        }
        #expect(throws: QuietHoursError.noWindows) { try QuietHours.custom([]) }
        for spec in ["mon-sat", "xyz 08:00-20:00", "mon 20:00-08:00", "mon 25:00-26:00", "sun-mon 08:00-09:00",
                     "mon 8-", "mon 08:00-20:00 extra"] {
            #expect(throws: QuietHoursError.self, "\(spec)") { try QuietHours.custom([spec]) }
        }
    }

    @Test("custom windows parse days, ranges and lists", arguments: [
        ("mon-fri 08:30-20:00", "mon,tue,wed,thu,fri 08:30-20:00"),
        ("sat 10:00-18:00", "sat 10:00-18:00"),
        ("lun-sam 8h-20h", "mon,tue,wed,thu,fri,sat 08:00-20:00"),
        ("daily 09:00-20:00", "sun,mon,tue,wed,thu,fri,sat 09:00-20:00"),
        ("mon,wed,sat-sun 9:00-12:00", "sun,mon,wed,sat 09:00-12:00"),
        ("mon 00:00-24:00", "mon 00:00-24:00"),
    ])
    func customParsing(spec: String, description: String) throws {
        #expect(try SendingWindow(parsing: spec).description == description)
    }

    @Test("a window starting inside the spring-forward gap opens when the clocks jump")
    func startInGap() throws {
        let hours = try QuietHours.custom(["daily 02:30-04:00"])
        // 29 March 2026, Paris: 02:00 CET → 03:00 CEST at 01:00 UTC.
        let opening = hours.nextOpening(after: local("2026-03-29 00:00"), timeZone: paris)
        #expect(opening == utc("2026-03-29 01:00"))
        #expect(hours.isOpen(at: opening, timeZone: paris))
    }

    /// Property over a sweep of instants around both 2026 DST transitions (Paris): the next opening
    /// is open, not before the instant, and either the instant itself or preceded by a closed
    /// minute (it is the earliest). The 02:30–04:00 window starts inside the spring-forward gap
    /// and inside the repeated autumn hour.
    @Test("nextOpening is open and earliest", arguments: [
        ["mon-sat 08:00-20:00"], ["mon-fri 08:30-20:00", "sat 10:00-18:00"], ["daily 09:00-20:00"],
        ["daily 02:30-04:00"], ["sun 00:00-24:00"], ["mon 23:00-24:00", "tue 00:00-00:30"],
    ])
    func sweep(specs: [String]) throws {
        let hours = try QuietHours.custom(specs, holidays: .france)
        for (from, to) in [("2026-03-26 00:07", "2026-04-08 00:00"), ("2026-10-22 00:07", "2026-11-04 00:00")] {
            var instant = local(from)
            let end = local(to)
            while instant < end {
                let opening = hours.nextOpening(after: instant, timeZone: paris)
                #expect(opening >= instant)
                #expect(hours.isOpen(at: opening, timeZone: paris), "\(instant)")
                if opening > instant {
                    #expect(!hours.isOpen(at: opening.addingTimeInterval(-60), timeZone: paris), "\(instant) → \(opening)")
                }
                instant.addTimeInterval(37 * 60)
            }
        }
    }

    @Test("Codable round trip, times as HH:MM")
    func codable() throws {
        let data = try JSONEncoder().encode(QuietHours.frStrict)
        #expect(String(decoding: data, as: UTF8.self).contains(#""08:30""#))
        #expect(try JSONDecoder().decode(QuietHours.self, from: data) == .frStrict)
    }

    @Test("decoding refuses schedules that would never open or are inverted", arguments: [
        #"{"name":"x","windows":[],"holidays":"none"}"#,
        #"{"windows":[{"days":[],"start":"08:00","end":"20:00"}]}"#,
        #"{"windows":[{"days":[2],"start":"20:00","end":"08:00"}]}"#,
        #"{"windows":[{"days":[2],"start":"25:00","end":"26:00"}]}"#,
    ])
    func decodingValidates(json: String) {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(QuietHours.self, from: Data(json.utf8)) }
    }
}
