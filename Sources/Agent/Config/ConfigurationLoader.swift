import Foundation
import Yams

/// Reads `smsagent.yaml` into an `AgentConfiguration`.
///
/// Strict: an unknown key, a value of the wrong type or out of range is an error naming the key,
/// its line and what was expected (Yams' node API keeps the marks). Omitted keys keep their
/// defaults, so an empty file is a valid configuration.
public enum ConfigurationLoader {
    /// Loads and validates the file at `path`.
    public static func load(path: String) throws -> AgentConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, line: nil, column: nil, key: "",
                                     message: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses YAML text; `file` is used in error messages only.
    public static func parse(yaml: String, file: String = "<config>") throws -> AgentConfiguration {
        if let problem = YAMLNesting.check(yaml) {
            throw ConfigurationError(file: file, line: problem.line, column: nil, key: "", message: problem.message)
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(file: file, line: yamlErrorLine(error), column: nil, key: "",
                                     message: "not valid YAML: \(error)")
        } catch {
            throw ConfigurationError(file: file, line: nil, column: nil, key: "", message: "not valid YAML: \(error)")
        }
        var configuration = AgentConfiguration()
        guard let root, !(root.null != nil) else { return configuration }
        let reader = ConfigNode(node: root, path: "", file: file)
        try ConfigurationReading.read(reader, into: &configuration)
        try ConfigurationReading.validate(configuration, file: file)
        return configuration
    }

    private static func yamlErrorLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }
}

/// A YAML node with its dotted path, for error messages.
struct ConfigNode {
    let node: Node
    let path: String
    let file: String

    var line: Int? { node.mark?.line }
    var column: Int? { node.mark?.column }

    func error(_ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: line, column: column, key: path, message: message)
    }

    var isNull: Bool {
        if case .scalar(let scalar) = node {
            return scalar.tag.description.hasSuffix(":null") || (scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string))
        }
        return false
    }

    /// The mapping's entries, rejecting keys not in `allowed`.
    func mapping(allowed: [String]) throws -> [(key: String, value: ConfigNode)] {
        guard case .mapping(let mapping) = node else {
            throw error("expected a mapping of keys (\(allowed.joined(separator: ", ")))")
        }
        var seen = Set<String>()
        var entries: [(String, ConfigNode)] = []
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.string else {
                throw ConfigNode(node: keyNode, path: path, file: file).error("expected a text key")
            }
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            if !allowed.contains(key) {
                let hint = Self.closest(to: key, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
                throw ConfigurationError(file: file, line: keyNode.mark?.line, column: keyNode.mark?.column, key: childPath,
                                         message: "unknown key\(hint); expected one of: \(allowed.joined(separator: ", "))")
            }
            if !seen.insert(key).inserted {
                throw ConfigurationError(file: file, line: keyNode.mark?.line, column: keyNode.mark?.column, key: childPath,
                                         message: "key given twice")
            }
            entries.append((key, ConfigNode(node: valueNode, path: childPath, file: file)))
        }
        return entries
    }

    /// A free-form mapping (text keys), e.g. `country_locales`.
    func stringMapping() throws -> [(key: String, keyNode: ConfigNode, value: ConfigNode)] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping") }
        return try mapping.map { keyNode, valueNode in
            guard let key = keyNode.string else {
                throw ConfigNode(node: keyNode, path: path, file: file).error("expected a text key")
            }
            let childPath = "\(path).\(key)"
            return (key, ConfigNode(node: keyNode, path: childPath, file: file), ConfigNode(node: valueNode, path: childPath, file: file))
        }
    }

    func sequence() throws -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw error("expected a list") }
        return sequence.enumerated().map { index, element in
            ConfigNode(node: element, path: "\(path)[\(index)]", file: file)
        }
    }

    func string() throws -> String {
        guard case .scalar(let scalar) = node else { throw error("expected a text value") }
        return scalar.string
    }

    func optionalString() throws -> String? {
        if isNull { return nil }
        return try string()
    }

    func nonEmptyString() throws -> String {
        let value = try string().trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else { throw error("expected a non-empty text value") }
        return value
    }

    func bool() throws -> Bool {
        guard case .scalar = node, let value = node.bool else { throw error("expected true or false, got '\(scalarText)'") }
        return value
    }

    func int(min: Int? = nil, max: Int? = nil) throws -> Int {
        guard case .scalar = node, let value = node.int else { throw error("expected a whole number, got '\(scalarText)'") }
        if let min, value < min { throw error("expected a whole number ≥ \(min), got \(value)") }
        if let max, value > max { throw error("expected a whole number ≤ \(max), got \(value)") }
        return value
    }

    func choice<T: RawRepresentable & CaseIterable>(_ type: T.Type) throws -> T where T.RawValue == String {
        let text = try string()
        guard let value = T(rawValue: text) else {
            throw error("expected one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
        }
        return value
    }

    /// A duration: `3s`, `500ms`, `2m`, `24h`, `1d`, or a bare number of seconds.
    func duration() throws -> Duration {
        guard case .scalar = node else { throw error("expected a duration such as 3s, 500ms, 5m, 24h") }
        guard let value = DurationText.parse(scalarText) else {
            throw error("expected a duration such as 3s, 500ms, 5m, 24h (a bare number is seconds) of at most \(DurationText.maximumText), got '\(scalarText)'")
        }
        return value
    }

    var scalarText: String {
        if case .scalar(let scalar) = node { return scalar.string }
        return "(\(nodeKind))"
    }

    var nodeKind: String {
        switch node {
        case .scalar: return "a value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    static func closest(to key: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(key, $0)) }.min { $0.1 < $1.1 }
        guard let best = scored, best.1 <= max(2, key.count / 3) else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// Parsing and printing of durations as the config writes them.
public enum DurationText {
    /// The longest duration any setting or `--at +…` accepts (about ten years): beyond it, a
    /// value is a typo, and bounding it keeps every later date and backoff computation finite.
    public static let maximum: Duration = .seconds(3660 * 86_400)
    /// How `maximum` is written in error messages.
    public static let maximumText = "3660d"

    /// `nil` for anything that is not a duration of at most `maximum` (never traps: the number is
    /// checked before it becomes an integer).
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            guard let value = Double(number) else { return nil }
            return milliseconds(value * factor * 1000)
        }
        guard let seconds = Double(trimmed) else { return nil }
        return milliseconds(seconds * 1000)
    }

    private static func milliseconds(_ value: Double) -> Duration? {
        let limit = Double(maximum.components.seconds) * 1000
        guard value.isFinite, value >= 0, value <= limit, let millis = Int64(exactly: value.rounded()) else { return nil }
        return .milliseconds(millis)
    }

    /// `3s`, `500ms`, `5m`, `24h` — the shortest exact form.
    public static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if ms == 0 { return "0s" }
        if ms % 86_400_000 == 0 { return "\(ms / 86_400_000)d" }
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}
