import Compliance
import Foundation

/// `smsagent optouts import` / `export` on any registry (the files, or the shared database),
/// through the protocol: the one `exportCSV` of every backend; `importNumbers` follows the same
/// rules as `FileOptOutRegistry.importNumbers` (which the files answer in one batched append).
extension OptOutRegistry {
    /// Records `event` for every number of a CSV file: the first column, or the column named
    /// `number`/`phone`/`msisdn`/`mobile` when the first line is a header. National numbers are
    /// read with `defaultCountry`; `hmac:` identifiers are accepted as they are. Bad rows are
    /// reported by line; every good row is recorded.
    public func importNumbers(fromCSV csvPath: String, defaultCountry: String, event: OptOutEvent.Kind = .optout,
                              at date: Date = Date()) throws -> FileOptOutRegistry.ImportReport {
        let bytes = try FileSystem.readFile(csvPath)
        var parsed = CSV.parse(bytes[...])
        if parsed.completeLength < bytes.count { parsed = CSV.parse((bytes + [UInt8(ascii: "\n")])[...]) }
        var report = FileOptOutRegistry.ImportReport()
        report.issues = parsed.issues.map { RecordIssue(path: csvPath, line: $0.line, reason: $0.reason) }
        var column = 0
        var rows = parsed.records
        if let first = rows.first {
            let names = first.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if let found = names.firstIndex(where: { ["number", "phone", "msisdn", "mobile", "numero", "telephone"].contains($0) }) {
                column = found
                rows.removeFirst()
            }
        }
        let hashedStates = Dictionary(try current().map { ($0.number, $0.optedOut) }, uniquingKeysWith: { _, last in last })
        let name = (csvPath as NSString).lastPathComponent
        for row in rows {
            let raw = row.fields.indices.contains(column) ? row.fields[column].trimmingCharacters(in: .whitespaces) : ""
            if raw.isEmpty {
                if row.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
                report.issues.append(RecordIssue(path: csvPath, line: row.line, reason: "no number in column \(column + 1)"))
                continue
            }
            let number: String
            let optedOutNow: Bool?
            if HMACKey.isIdentifier(raw) {
                number = raw
                optedOutNow = hashedStates[raw]
            } else {
                do {
                    let phone = try PhoneNumber.parse(raw, defaultCountry: defaultCountry)
                    number = phone.e164
                    optedOutNow = try state(of: phone)?.optedOut
                } catch {
                    report.issues.append(RecordIssue(path: csvPath, line: row.line, reason: "\(raw): \(error)"))
                    continue
                }
            }
            let already = optedOutNow.map { $0 == (event == .optout) } ?? (event == .optin)
            if already {
                report.unchanged += 1
                continue
            }
            if try record(OptOutEvent(recordedAt: date, number: number, event: event, source: "import:\(name):\(row.line)")) {
                report.recorded += 1
            } else {
                report.unchanged += 1
            }
        }
        report.issues.sort { $0.line < $1.line }
        return report
    }

    /// The current list as CSV (`number,state,since,keyword,modem,source`): opted-out numbers
    /// only unless `includeOptedIn`. In hashed mode the numbers are `hmac:` identifiers.
    public func exportCSV(includeOptedIn: Bool = false) throws -> String {
        var out = CSV.record(["number", "state", "since", "keyword", "modem", "source"])
        for entry in try current() where entry.optedOut || includeOptedIn {
            out += CSV.record([entry.number, entry.lastEvent.event.rawValue, RecordCoding.timestamp(entry.lastEvent.recordedAt),
                               entry.lastEvent.keyword, entry.lastEvent.modem, entry.lastEvent.source])
        }
        return out
    }
}
