import Foundation

/// JSON and date formats of the record files.
package enum RecordCoding {
    package static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(timestamp(date))
        }
        return encoder
    }

    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let raw = try c.decode(String.self)
            guard let date = parseTimestamp(raw) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an ISO 8601 date: \(raw)")
            }
            return date
        }
        return decoder
    }

    /// `2026-11-29T10:40:30.123Z` (UTC, milliseconds, the nearest). The milliseconds are written
    /// by hand: the formatter truncates, and a time read back from its own text (`.123` parses to
    /// a double a hair below) would lose a millisecond at every rewrite.
    package static func timestamp(_ date: Date) -> String {
        guard let millis = Int64(exactly: (date.timeIntervalSince1970 * 1000).rounded()) else {
            return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        let (seconds, fraction) = millis >= 0 ? (millis / 1000, millis % 1000) : ((millis - 999) / 1000, ((millis % 1000) + 1000) % 1000)
        let whole = Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(Date.ISO8601FormatStyle())
        let digits = String(fraction)
        return String(whole.dropLast()) + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// ISO 8601 with or without fractional seconds, `Z` or a numeric offset.
    package static func parseTimestamp(_ raw: String) -> Date? {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        if let date = try? Date(trimmed, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        return try? Date(trimmed, strategy: Date.ISO8601FormatStyle())
    }
}
