import Foundation
@testable import SMSCodec

/// The instant of a local wall-clock time at `offsetMinutes` from UTC.
func instant(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, offsetMinutes: Int = 0) -> Date {
    let local = TimestampCodec.daysFromCivil(year: y, month: mo, day: d) * 86_400 + h * 3600 + mi * 60 + s
    return Date(timeIntervalSince1970: TimeInterval(local - offsetMinutes * 60))
}

enum Fixtures {
    /// PDUs from Fixtures/valid-pdus.txt (comments and blank lines skipped).
    static func validPDUs() throws -> [String] {
        guard let url = Bundle.module.url(forResource: "valid-pdus", withExtension: "txt", subdirectory: "Fixtures") else {
            throw FixtureError.missing("Fixtures/valid-pdus.txt")
        }
        return try String(contentsOf: url, encoding: .utf8)
            .split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    enum FixtureError: Error { case missing(String) }
}

/// A small deterministic generator (SplitMix64) so random tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension DecodedPDU {
    var deliver: SMSDeliver? { if case .deliver(let d) = self { d } else { nil } }
    var submit: SMSSubmit? { if case .submit(let s) = self { s } else { nil } }
    var statusReport: SMSStatusReport? { if case .statusReport(let r) = self { r } else { nil } }
}
