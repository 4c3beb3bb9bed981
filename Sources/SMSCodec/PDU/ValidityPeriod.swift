#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// TP-VP (TS 23.040 §9.2.3.12) and its format TP-VPF (§9.2.3.3).
public enum ValidityPeriod: Sendable, Codable, Equatable, Hashable {
    /// No TP-VP: the service centre's default applies.
    case none
    /// Relative format (one octet). Encoding rounds up to the next value the octet can express
    /// (5-minute steps to 12 h, 30-minute steps to 24 h, days to 30 days, weeks to 63 weeks).
    case relative(minutes: Int)
    /// Absolute format (a timestamp, §9.2.3.11).
    case absolute(date: Date, timeZoneOffsetMinutes: Int)
    /// Enhanced format (seven octets, §9.2.3.12.3), carried as is.
    case enhanced([UInt8])

    var formatBits: UInt8 {
        switch self {
        case .none: 0b00
        case .relative: 0b10
        case .enhanced: 0b01
        case .absolute: 0b11
        }
    }

    /// The octet for a relative period of at least `minutes`.
    public static func relativeOctet(minutes: Int) throws -> UInt8 {
        guard minutes > 0 else { throw CodecError.invalidValidityPeriod(reason: "\(minutes) minutes; must be positive") }
        let day = 24 * 60, week = 7 * day
        if minutes <= 12 * 60 { return UInt8((minutes + 4) / 5 - 1) }
        if minutes <= day { return UInt8(143 + (minutes - 12 * 60 + 29) / 30) }
        if minutes <= 30 * day { return UInt8(166 + (minutes + day - 1) / day) }
        guard minutes <= 63 * week else {
            throw CodecError.invalidValidityPeriod(reason: "\(minutes) minutes exceeds 63 weeks")
        }
        return UInt8(max(197, 192 + (minutes + week - 1) / week))
    }

    /// Minutes meant by a relative octet.
    public static func minutes(relativeOctet vp: UInt8) -> Int {
        let v = Int(vp)
        switch v {
        case 0...143: return (v + 1) * 5
        case 144...167: return 12 * 60 + (v - 143) * 30
        case 168...196: return (v - 166) * 24 * 60
        default: return (v - 192) * 7 * 24 * 60
        }
    }

    func encoded() throws -> [UInt8] {
        switch self {
        case .none: return []
        case .relative(let minutes): return [try Self.relativeOctet(minutes: minutes)]
        case .absolute(let date, let offset): return try TimestampCodec.encode(date, timeZoneOffsetMinutes: offset)
        case .enhanced(let octets):
            guard octets.count == 7 else {
                throw CodecError.invalidValidityPeriod(reason: "enhanced format needs 7 octets, got \(octets.count)")
            }
            return octets
        }
    }

    static func decode(format: UInt8, _ reader: inout ByteReader) throws -> ValidityPeriod {
        switch format {
        case 0b10: return .relative(minutes: minutes(relativeOctet: try reader.byte("TP-VP")))
        case 0b11:
            let ts = try TimestampCodec.decode(try reader.bytes(7, "TP-VP"), field: "TP-VP")
            return .absolute(date: ts.date, timeZoneOffsetMinutes: ts.timeZoneOffsetMinutes)
        case 0b01: return .enhanced(try reader.bytes(7, "TP-VP"))
        default: return .none
        }
    }
}
