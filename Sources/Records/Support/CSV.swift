import Foundation

/// RFC 4180 CSV, as the record files use it: comma separator, CRLF or LF line ends accepted,
/// fields quoted with `"` when they contain a comma, a quote, CR or LF (quotes doubled inside),
/// UTF-8 throughout. Writing always ends a record with LF.
enum CSV {
    /// One field, quoted only when RFC 4180 §2 rules 6–7 require it.
    static func field(_ value: String) -> String {
        // By bytes: "\r\n" is one Character in Swift and would match neither "\r" nor "\n".
        if value.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return value
    }

    /// A cell a spreadsheet must show as text: one that starts like a formula (`=`, `@`, a tab or CR,
    /// or `+`/`-` not followed by a plain number, as in `+cmd|…` or `-2+3`) gets a leading `'`,
    /// which spreadsheets hide and read as "this is text". A cell that already starts with `'` gets
    /// one too, so that `unprotect` gives back exactly what was written (OWASP "CSV injection").
    /// For cells written from what strangers send (an SMS text, an alphanumeric sender).
    static func protect(_ value: String) -> String {
        guard let first = value.utf8.first else { return value }
        switch first {
        case UInt8(ascii: "="), UInt8(ascii: "@"), UInt8(ascii: "'"), 0x09, 0x0D:
            return "'" + value
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let rest = value.utf8.dropFirst()
            return !rest.isEmpty && rest.allSatisfy({ (0x30...0x39).contains($0) }) ? value : "'" + value
        default:
            return value
        }
    }

    /// The value `protect` was given.
    static func unprotect(_ cell: String) -> String {
        cell.hasPrefix("'") ? String(cell.dropFirst()) : cell
    }

    /// One record, LF-terminated.
    static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    struct Record: Equatable {
        /// 1-based line of the record's first line in the file.
        var line: Int
        var fields: [String]
    }

    struct ParseResult {
        var records: [Record]
        var issues: [(line: Int, reason: String)]
        /// Byte offset just past the last complete record: everything after it is a torn write
        /// (a crash in the middle of an append) and was never acknowledged.
        var completeLength: Int
        /// Lines consumed up to `completeLength` (for resuming with correct line numbers).
        var linesConsumed: Int
    }

    /// Parses `bytes` (which start at line `firstLine`). A record is complete only when its
    /// terminating newline is present; an unterminated tail is left out of `completeLength`.
    static func parse(_ bytes: ArraySlice<UInt8>, firstLine: Int = 1) -> ParseResult {
        var records: [Record] = []
        var issues: [(Int, String)] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var afterQuote = false        // the field was quoted and its closing quote seen
        var line = firstLine
        var recordLine = firstLine
        var recordIsBad: String?
        var completeLength = 0
        var linesConsumed = 0
        let start = bytes.startIndex
        var index = start
        // A UTF-8 byte-order mark (spreadsheets write one) is not part of the first field.
        if firstLine == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = bytes.index(start, offsetBy: 3) }
        func finishField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            afterQuote = false
        }
        while index < bytes.endIndex {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    let next = bytes.index(after: index)
                    if next < bytes.endIndex, bytes[next] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index = bytes.index(after: next)
                        continue
                    }
                    if next == bytes.endIndex { break }   // cannot tell yet: treat as torn
                    inQuotes = false
                    afterQuote = true
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                index = bytes.index(after: index)
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                finishField()
            case UInt8(ascii: "\""):
                if field.isEmpty && !afterQuote {
                    inQuotes = true
                } else if recordIsBad == nil {
                    recordIsBad = "stray quote inside an unquoted field"
                }
            case UInt8(ascii: "\r"):
                let next = bytes.index(after: index)
                if next < bytes.endIndex, bytes[next] == UInt8(ascii: "\n") { break }
                if next == bytes.endIndex { break }
                if recordIsBad == nil { recordIsBad = "carriage return inside an unquoted field" }
            case UInt8(ascii: "\n"):
                finishField()
                if let reason = recordIsBad {
                    issues.append((recordLine, reason))
                } else if !(fields.count == 1 && fields[0].isEmpty) {
                    records.append(Record(line: recordLine, fields: fields))
                }
                fields.removeAll(keepingCapacity: true)
                recordIsBad = nil
                line += 1
                recordLine = line
                completeLength = bytes.distance(from: start, to: index) + 1
                linesConsumed = line - firstLine
            default:
                if afterQuote {
                    if recordIsBad == nil { recordIsBad = "text after a closing quote" }
                } else {
                    field.append(byte)
                }
            }
            index = bytes.index(after: index)
        }
        return ParseResult(records: records, issues: issues, completeLength: completeLength,
                           linesConsumed: linesConsumed)
    }
}
