#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// TP-SCTS / TP-DT / absolute TP-VP: seven swapped semi-octets YY MM DD hh mm ss TZ, the time
/// zone in quarters of an hour with its sign in bit 3 (TS 23.040 §9.2.3.11). The time is local
/// time at the service centre; `date` is the instant (local time minus the offset).
public enum TimestampCodec {
    public struct Decoded: Sendable, Equatable {
        public var date: Date
        public var timeZoneOffsetMinutes: Int
    }

    /// Decodes the seven octets of `field`. Years 90–99 are 1990–1999 (old handsets and published
    /// examples), 00–89 are 2000–2089.
    public static func decode(_ octets: [UInt8], field: String) throws -> Decoded {
        guard octets.count == 7 else { throw CodecError.truncated(field: field, offset: 0) }
        var values = [Int]()
        for octet in octets.prefix(6) {
            let lo = Int(octet & 0x0F), hi = Int(octet >> 4)
            guard lo <= 9, hi <= 9 else { throw CodecError.invalidSemiOctet(field: field, octet: octet) }
            values.append(lo * 10 + hi)
        }
        let tz = octets[6]
        let tens = Int(tz & 0x07), units = Int(tz >> 4)
        guard units <= 9 else { throw CodecError.invalidSemiOctet(field: field, octet: tz) }
        let quarters = tens * 10 + units
        let offset = (tz & 0x08 != 0 ? -quarters : quarters) * 15
        let (year, month, day, hour, minute, second) = (values[0] >= 90 ? 1900 + values[0] : 2000 + values[0], values[1], values[2], values[3], values[4], values[5])
        guard (1...12).contains(month) else { throw CodecError.invalidTimestamp(field: field, reason: "month \(month)") }
        guard day >= 1, day <= daysInMonth(year: year, month: month) else {
            throw CodecError.invalidTimestamp(field: field, reason: "day \(day) of month \(month)")
        }
        guard hour <= 23, minute <= 59, second <= 59 else {
            throw CodecError.invalidTimestamp(field: field, reason: "time \(hour):\(minute):\(second)")
        }
        let local = daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        let utc = local - offset * 60
        return Decoded(date: Date(timeIntervalSince1970: TimeInterval(utc)), timeZoneOffsetMinutes: offset)
    }

    /// Encodes `date` as local time at `timeZoneOffsetMinutes` (whole seconds; years 1990–2089).
    public static func encode(_ date: Date, timeZoneOffsetMinutes: Int) throws -> [UInt8] {
        guard timeZoneOffsetMinutes % 15 == 0, abs(timeZoneOffsetMinutes / 15) <= 79 else {
            throw CodecError.invalidTimeZoneOffset(minutes: timeZoneOffsetMinutes)
        }
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, abs(seconds) < 1e12 else {
            throw CodecError.invalidTimestamp(field: "timestamp", reason: "date out of range")
        }
        let local = Int(seconds.rounded(.down)) + timeZoneOffsetMinutes * 60
        var days = local / 86_400
        var secondsOfDay = local % 86_400
        if secondsOfDay < 0 {
            secondsOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civilFromDays(days)
        guard (1990...2089).contains(year) else {
            throw CodecError.invalidTimestamp(field: "timestamp", reason: "year \(year) outside 1990–2089")
        }
        func bcd(_ v: Int) -> UInt8 { UInt8((v % 10) << 4 | (v / 10)) }
        let quarters = abs(timeZoneOffsetMinutes) / 15
        var tz = UInt8((quarters % 10) << 4 | (quarters / 10))
        if timeZoneOffsetMinutes < 0 { tz |= 0x08 }
        return [
            bcd(year % 100), bcd(month), bcd(day),
            bcd(secondsOfDay / 3600), bcd(secondsOfDay % 3600 / 60), bcd(secondsOfDay % 60), tz,
        ]
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
