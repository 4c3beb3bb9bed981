import Foundation

/// A campaign's recipient list: a CSV file (RFC 4180) with a header row, one column holding the
/// phone number and any other columns usable as `{placeholders}` in the template.
public struct CampaignFile: Sendable, Equatable {
    public var columns: [String]
    /// The column that holds the number (`phone`, `number`, `mobile`, `to`, `tel`, … or the one named).
    public var phoneColumn: String
    /// One dictionary per data row (column → value), with its line number in the file.
    public var rows: [Row]

    public struct Row: Sendable, Equatable {
        public var line: Int
        public var values: [String: String]
        public var phone: String
    }

    public static let phoneColumnNames = ["phone", "number", "mobile", "msisdn", "to", "tel", "telephone", "téléphone", "numero", "numéro", "portable", "gsm"]

    /// Set when the file was not UTF-8 and was read as Windows-1252 (what older spreadsheets
    /// write): says so, with the first line that was not UTF-8.
    public var encodingNote: String?

    public static func load(path: String, phoneColumn: String? = nil) throws -> CampaignFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CampaignError(file: path, line: nil, message: "cannot read the file")
        }
        return try parse(bytes: Array(data), file: path, phoneColumn: phoneColumn)
    }

    /// Parses the bytes of a CSV file: UTF-8 (with or without BOM), or else Windows-1252, never
    /// with replacement characters (issue 9.7: a `U+FFFD` must never reach a recipient).
    public static func parse(bytes: [UInt8], file: String = "<csv>", phoneColumn: String? = nil) throws -> CampaignFile {
        let decoded = TextDecoding.decode(bytes)
        var campaign = try parse(decoded.text, file: file, phoneColumn: phoneColumn)
        if let line = decoded.firstNonUTF8Line {
            campaign.encodingNote = "\(file): not UTF-8 (first at line \(line)); read as Windows-1252 — check the accents in the dry run"
        }
        return campaign
    }

    public static func parse(_ text: String, file: String = "<csv>", phoneColumn: String? = nil) throws -> CampaignFile {
        var body = text
        if body.hasPrefix("\u{FEFF}") { body.removeFirst() }
        let separator: Character = Self.guessSeparator(body)
        let records = try CSVRecords.parse(body, separator: separator, file: file)
        guard let header = records.first else {
            throw CampaignError(file: file, line: 1, message: "the file is empty; expected a header row such as phone,name")
        }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        let phone: String
        if let phoneColumn {
            guard columns.contains(phoneColumn) else {
                throw CampaignError(file: file, line: 1, message: "no column '\(phoneColumn)' in the header (\(columns.joined(separator: ", ")))")
            }
            phone = phoneColumn
        } else {
            guard let found = columns.first(where: { phoneColumnNames.contains($0.lowercased()) }) else {
                throw CampaignError(file: file, line: 1, message: "no phone column in the header (\(columns.joined(separator: ", "))); name it 'phone' or pass --phone-column")
            }
            phone = found
        }
        var rows: [Row] = []
        for record in records.dropFirst() {
            if record.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard record.fields.count <= columns.count else {
                throw CampaignError(file: file, line: record.line, message: "\(record.fields.count) fields but the header has \(columns.count)")
            }
            var values: [String: String] = [:]
            for (index, column) in columns.enumerated() {
                values[column] = index < record.fields.count ? record.fields[index].trimmingCharacters(in: .whitespaces) : ""
            }
            rows.append(Row(line: record.line, values: values, phone: values[phone] ?? ""))
        }
        return CampaignFile(columns: columns, phoneColumn: phone, rows: rows, encodingNote: nil)
    }

    static func guessSeparator(_ text: String) -> Character {
        let firstLine = text.prefix { $0 != "\n" && $0 != "\r\n" }
        let commas = firstLine.filter { $0 == "," }.count
        let semicolons = firstLine.filter { $0 == ";" }.count
        return semicolons > commas ? ";" : ","
    }
}

public struct CampaignError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var message: String
    public var description: String {
        line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)"
    }
}

/// RFC 4180 records with the line each starts on.
enum CSVRecords {
    struct Record { var line: Int; var fields: [String] }

    static func parse(_ text: String, separator: Character, file: String) throws -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var characters = Array(text)[...]
        while let c = characters.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if characters.first == "\"" { characters.removeFirst(); field.append("\"") } else { inQuotes = false }
                } else {
                    if c == "\n" || c == "\r\n" { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty: inQuotes = true
            case separator: fields.append(field); field = ""
            case "\n", "\r\n":
                fields.append(field)
                records.append(Record(line: recordLine, fields: fields))
                fields = []; field = ""
                line += 1
                recordLine = line
            case "\r": break
            default: field.append(c)
            }
        }
        if inQuotes { throw CampaignError(file: file, line: recordLine, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append(Record(line: recordLine, fields: fields))
        }
        return records
    }
}

/// A message template with `{column}` placeholders (`{{` and `}}` for literal braces).
public struct MessageTemplate: Sendable, Equatable {
    public enum Piece: Sendable, Equatable { case text(String), placeholder(String) }
    public let pieces: [Piece]

    public init(_ template: String) throws {
        var pieces: [Piece] = []
        var text = ""
        var characters = Array(template)[...]
        while let c = characters.popFirst() {
            if c == "{" {
                if characters.first == "{" { characters.removeFirst(); text.append("{"); continue }
                guard let close = characters.firstIndex(of: "}") else {
                    throw TemplateError(message: "a '{' is never closed (write {{ for a literal brace)")
                }
                let name = String(characters[characters.startIndex..<close]).trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty else { throw TemplateError(message: "an empty placeholder {}") }
                if !text.isEmpty { pieces.append(.text(text)); text = "" }
                pieces.append(.placeholder(name))
                characters = characters[characters.index(after: close)...]
            } else if c == "}" {
                if characters.first == "}" { characters.removeFirst() }
                text.append("}")
            } else {
                text.append(c)
            }
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        self.pieces = pieces
    }

    public var placeholders: [String] {
        pieces.compactMap { if case .placeholder(let name) = $0 { return name } else { return nil } }
    }

    /// Checks that every placeholder is a column.
    public func validate(columns: [String]) throws {
        let missing = placeholders.filter { !columns.contains($0) }
        if !missing.isEmpty {
            throw TemplateError(message: "no column for \(missing.map { "{\($0)}" }.joined(separator: ", ")) (columns: \(columns.joined(separator: ", ")))")
        }
    }

    public func render(_ values: [String: String]) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let text): return text
            case .placeholder(let name): return values[name] ?? ""
            }
        }.joined()
    }
}

public struct TemplateError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { "template: \(message)" }
}
