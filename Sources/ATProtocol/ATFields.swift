/// One comma-separated parameter of an information line (`+CMGL: 1,0,"",23`).
public struct ATField: Sendable, Hashable {
    /// The value without surrounding quotes and white space.
    public let value: String
    /// True when the modem wrote it as a `"string"` (TS 27.007 §4.1 string constants).
    public let quoted: Bool

    public var int: Int? { quoted ? nil : Int(value) }
    public var isEmpty: Bool { value.isEmpty }
}

/// Splitting of information lines into prefix and fields; quotes protect commas.
public enum ATFields {
    /// Splits `+NAME: a,"b,c",d` into `("+NAME", [a, b,c, d])`. A line without `:` has a nil name.
    public static func split(_ line: String) -> (name: String?, fields: [ATField]) {
        guard let colon = line.firstIndex(of: ":"), line.first == "+" || line.first == "^" else {
            return (nil, fields(of: Substring(line)))
        }
        let name = String(line[..<colon])
        return (name, fields(of: line[line.index(after: colon)...]))
    }

    /// The fields of a line that starts with `prefix` (case-insensitive), or nil when it does not.
    public static func fields(of line: String, prefix: String) -> [ATField]? {
        let split = split(line)
        guard let name = split.name, name.uppercased() == prefix.uppercased() else { return nil }
        return split.fields
    }

    static func fields(of text: Substring) -> [ATField] {
        var result: [ATField] = []
        var current = ""
        var inQuotes = false
        var wasQuoted = false
        for character in text {
            if character == "\"" {
                inQuotes.toggle()
                wasQuoted = true
            } else if character == "," && !inQuotes {
                result.append(ATField(value: wasQuoted ? current : current.trimmingATWhitespace(), quoted: wasQuoted))
                current = ""
                wasQuoted = false
            } else if inQuotes || !(character == " " && (current.isEmpty || wasQuoted)) {
                current.append(character)
            }
        }
        result.append(ATField(value: wasQuoted ? current : current.trimmingATWhitespace(), quoted: wasQuoted))
        if result.count == 1, result[0].value.isEmpty, !result[0].quoted { return [] }
        return result
    }
}

/// The answer to one command: its information lines and its final result.
public struct ATResponse: Sendable, Hashable {
    public var lines: [String]
    public var final: ATFinalResult

    public init(lines: [String], final: ATFinalResult) {
        self.lines = lines
        self.final = final
    }

    /// The first line that starts with `prefix:`, split into fields.
    public func fields(prefix: String) -> [ATField]? {
        for line in lines { if let fields = ATFields.fields(of: line, prefix: prefix) { return fields } }
        return nil
    }

    /// The information lines that do not start with `+`/`^` (bare answers like `+CGMI`'s on most modems).
    public var bareLines: [String] { lines.filter { !$0.hasPrefix("+") && !$0.hasPrefix("^") } }
}
