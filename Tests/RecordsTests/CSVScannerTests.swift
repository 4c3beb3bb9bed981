import Foundation
import Testing
@testable import Records

/// The tokenizer that reads record files without making strings (`CSV.scan`, behind `CSV.parse`)
/// against the plain parser it replaced, kept here as the reference: same records, same issues
/// and lines, same complete length, on random bytes made of what CSV is made of.
@Suite struct CSVScannerTests {
    @Test func agreesWithTheReferenceParserOnRandomInput() {
        var generator = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = [Array("a".utf8), Array("bc".utf8), Array(",".utf8), Array("\"".utf8), Array("\"\"".utf8),
                                 Array("\r".utf8), Array("\n".utf8), Array("\r\n".utf8), Array("é".utf8), Array(" ".utf8)]
        for round in 0..<5000 {
            var bytes: [UInt8] = round % 7 == 0 ? [0xEF, 0xBB, 0xBF] : []
            for _ in 0..<Int.random(in: 0...40, using: &generator) {
                bytes += pieces[Int.random(in: 0..<pieces.count, using: &generator)]
            }
            let firstLine = round % 3 == 0 ? 5 : 1
            let expected = ReferenceCSV.parse(bytes[...], firstLine: firstLine)
            let actual = CSV.parse(bytes[...], firstLine: firstLine)
            let input = String(reflecting: String(decoding: bytes, as: UTF8.self))
            #expect(actual.records == expected.records, "\(input)")
            #expect(actual.issues.map(\.line) == expected.issues.map(\.line), "\(input)")
            #expect(actual.issues.map(\.reason) == expected.issues.map(\.reason), "\(input)")
            #expect(actual.completeLength == expected.completeLength, "\(input)")
            #expect(actual.linesConsumed == expected.linesConsumed, "\(input)")
        }
    }

    @Test func scanGivesEachRecordsOffsetsInTheBuffer() {
        let text = "h1,h2\n\"a\nb\",c\n\nd,\"e\"\"f\"\n"
        var seen: [(line: Int, start: Int, end: Int, fields: [String])] = []
        let bytes = Array(text.utf8)
        let summary = bytes.withUnsafeBufferPointer { buffer in
            CSV.scan(buffer) { record in seen.append((record.line, record.start, record.end, record.materialized().fields)) }
        }
        #expect(seen.map(\.line) == [1, 2, 5])
        #expect(seen.map(\.start) == [0, 6, 15])
        #expect(seen.map(\.end) == [6, 14, bytes.count])
        #expect(seen.map(\.fields) == [["h1", "h2"], ["a\nb", "c"], ["d", "e\"f"]])
        #expect(summary.completeLength == bytes.count)
    }
}

/// The parser `CSV.parse` was before it was built on `CSV.scan` (a byte at a time into strings).
enum ReferenceCSV {
    /// Parses `bytes` (which start at line `firstLine`). A record is complete only when its
    /// terminating newline is present; an unterminated tail is left out of `completeLength`.
    static func parse(_ bytes: ArraySlice<UInt8>, firstLine: Int = 1) -> CSV.ParseResult {
        var records: [CSV.Record] = []
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
                    records.append(CSV.Record(line: recordLine, fields: fields))
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
        return CSV.ParseResult(records: records, issues: issues, completeLength: completeLength,
                           linesConsumed: linesConsumed)
    }
}
