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
        let summary = bytes.withUnsafeBufferPointer { buffer in
            scan(buffer, firstLine: firstLine) { record in
                records.append(record.materialized())
            }
        }
        return ParseResult(records: records, issues: summary.issues, completeLength: summary.completeLength,
                           linesConsumed: summary.linesConsumed)
    }

    // MARK: Scanning without copying

    /// Where one field lies in the scanned bytes. An unquoted field is `bytes[start..<end]` as it
    /// is; a quoted one is the text between its quotes, with every `""` standing for one `"`.
    struct FieldRange {
        var start: Int
        var end: Int
        var quoted: Bool
    }

    /// One well-formed record seen by `scan`, valid only during the call that hands it over: its
    /// fields point into the scanned bytes (no string is made unless asked for).
    struct RawRecord {
        /// 1-based line of the record's first line.
        let line: Int
        /// Offset of the record's first byte in the scanned buffer.
        let start: Int
        /// Offset just past its terminating newline.
        let end: Int
        let bytes: UnsafeBufferPointer<UInt8>
        let fields: UnsafeBufferPointer<FieldRange>

        var count: Int { fields.count }

        /// The bytes of field `i` when it needs no unescaping (unquoted, or quoted without `""`).
        func rawBytes(_ i: Int) -> UnsafeBufferPointer<UInt8>? {
            let f = fields[i]
            let slice = UnsafeBufferPointer(rebasing: bytes[f.start..<f.end])
            if f.quoted && slice.contains(UInt8(ascii: "\"")) { return nil }
            return slice
        }

        /// Field `i` as a string (quotes undoubled).
        func string(_ i: Int) -> String {
            let f = fields[i]
            let slice = UnsafeBufferPointer(rebasing: bytes[f.start..<f.end])
            guard f.quoted, slice.contains(UInt8(ascii: "\"")) else { return String(decoding: slice, as: UTF8.self) }
            var out: [UInt8] = []
            out.reserveCapacity(slice.count)
            var previousWasQuote = false
            for byte in slice {
                if byte == UInt8(ascii: "\"") && previousWasQuote {
                    previousWasQuote = false
                    continue
                }
                previousWasQuote = byte == UInt8(ascii: "\"")
                out.append(byte)
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// The record with its fields as strings.
        func materialized() -> Record {
            Record(line: line, fields: (0..<count).map { string($0) })
        }

        /// Whether field `i` holds no byte.
        func isEmpty(_ i: Int) -> Bool { fields[i].start == fields[i].end }
    }

    struct ScanSummary {
        var issues: [(line: Int, reason: String)] = []
        /// Offset just past the last complete record (bad ones included).
        var completeLength = 0
        /// Lines up to `completeLength`.
        var linesConsumed = 0
    }

    /// The tokenizer behind `parse`: hands every well-formed, non-blank, complete record to
    /// `body` without making strings, and returns the malformed ones by line. The same rules as
    /// `parse` (which is built on it): a UTF-8 BOM at line 1 is skipped, a record is complete only
    /// with its newline, a closing quote as the very last byte is not yet known to close.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int = 1,
                     _ body: (RawRecord) throws -> Void) rethrows -> ScanSummary {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var summary = ScanSummary()
        var fields: [FieldRange] = []
        fields.reserveCapacity(16)
        let count = bytes.count
        var index = 0
        if firstLine == 1, count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        var line = firstLine
        var recordLine = firstLine
        var recordStart = index
        var recordIsBad: String?
        // The field being read.
        var fieldStart = index
        var fieldEnd = index         // end of its content so far (unquoted: excludes a CR before LF)
        var fieldHasContent = false  // a byte was taken into it (the old "field is not empty")
        var inQuotes = false
        var afterQuote = false
        var quoted = false
        func finishField() {
            fields.append(FieldRange(start: fieldStart, end: fieldEnd, quoted: quoted))
            afterQuote = false
            quoted = false
            fieldHasContent = false
        }
        while index < count {
            let byte = bytes[index]
            if inQuotes {
                if byte == quote {
                    let next = index + 1
                    if next < count, bytes[next] == quote {
                        fieldEnd = next + 1
                        fieldHasContent = true
                        index = next + 1
                        continue
                    }
                    if next == count { break }   // cannot tell yet: treat as torn
                    inQuotes = false
                    afterQuote = true
                } else {
                    if byte == lf { line += 1 }
                    fieldEnd = index + 1
                    fieldHasContent = true
                }
                index += 1
                continue
            }
            switch byte {
            case comma:
                finishField()
                fieldStart = index + 1
                fieldEnd = index + 1
            case quote:
                if !fieldHasContent && !afterQuote && !quoted {
                    inQuotes = true
                    quoted = true
                    fieldStart = index + 1
                    fieldEnd = index + 1
                } else if recordIsBad == nil {
                    recordIsBad = "stray quote inside an unquoted field"
                }
            case cr:
                let next = index + 1
                if next < count, bytes[next] == lf { break }
                if next == count { break }
                if recordIsBad == nil { recordIsBad = "carriage return inside an unquoted field" }
            case lf:
                finishField()
                if let reason = recordIsBad {
                    summary.issues.append((recordLine, reason))
                } else if !(fields.count == 1 && fields[0].start == fields[0].end) {
                    try fields.withUnsafeBufferPointer { ranges in
                        try body(RawRecord(line: recordLine, start: recordStart, end: index + 1, bytes: bytes, fields: ranges))
                    }
                }
                fields.removeAll(keepingCapacity: true)
                recordIsBad = nil
                line += 1
                recordLine = line
                summary.completeLength = index + 1
                summary.linesConsumed = line - firstLine
                recordStart = index + 1
                fieldStart = index + 1
                fieldEnd = index + 1
            default:
                if afterQuote {
                    if recordIsBad == nil { recordIsBad = "text after a closing quote" }
                } else {
                    fieldEnd = index + 1
                    fieldHasContent = true
                }
            }
            index += 1
        }
        return summary
    }
}
