/// The text of a file a person exported from a spreadsheet: UTF-8 when it is valid UTF-8,
/// otherwise Windows-1252 (a superset of ISO 8859-1 for printable text, what older spreadsheets
/// and Windows editors write). Never produces U+FFFD.
enum TextDecoding {
    struct Decoded: Equatable {
        var text: String
        /// `nil` when the bytes were UTF-8; else the 1-based line of the first byte that was not.
        var firstNonUTF8Line: Int?
    }

    static func decode(_ bytes: [UInt8]) -> Decoded {
        if let text = String(validating: bytes, as: UTF8.self) { return Decoded(text: text, firstNonUTF8Line: nil) }
        return Decoded(text: windows1252(bytes), firstNonUTF8Line: firstInvalidUTF8Line(bytes))
    }

    /// Windows-1252; the five bytes it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the C1
    /// controls of the same value, as the WHATWG Encoding Standard does.
    static func windows1252(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            if (0x80...0x9F).contains(byte), let mapped = Unicode.Scalar(high[Int(byte - 0x80)]) {
                scalars.append(mapped)
            } else {
                scalars.append(Unicode.Scalar(byte))
            }
        }
        return String(scalars)
    }

    /// 0x80…0x9F of Windows-1252.
    private static let high: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    private static func firstInvalidUTF8Line(_ bytes: [UInt8]) -> Int {
        var line = 1
        var lineStart = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            if String(validating: bytes[lineStart..<index], as: UTF8.self) == nil { return line }
            line += 1
            lineStart = index + 1
        }
        return line
    }
}
