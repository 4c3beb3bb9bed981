import Foundation
@testable import SMSCodec
import TestSupport

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


extension DecodedPDU {
    var deliver: SMSDeliver? { if case .deliver(let d) = self { d } else { nil } }
    var submit: SMSSubmit? { if case .submit(let s) = self { s } else { nil } }
    var statusReport: SMSStatusReport? { if case .statusReport(let r) = self { r } else { nil } }
}
