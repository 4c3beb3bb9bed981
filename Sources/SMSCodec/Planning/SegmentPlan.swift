/// How a text will be sent: its encoding, its parts, and what it costs.
public struct SegmentPlan: Sendable, Codable, Equatable {
    public var encoding: SMSEncoding
    /// The text after smart replacements: exactly what is sent.
    public var text: String
    /// The text of each part, in order; `parts.joined()` is `text`.
    public var parts: [String]
    public var segmentCount: Int { parts.count }
    /// Septets (gsm7, escape sequences counted as 2) or UTF-16 units (ucs2) per part.
    public var unitsPerPart: [Int]
    /// The distinct characters (in order of first appearance) that forced UCS-2; empty for gsm7.
    public var nonGSMCharacters: [Character]
    /// The distinct extension-table characters that cost two septets each (gsm7 only).
    public var extensionCharacters: [Character]
    /// Smart encoding: what was replaced by what (empty without smart encoding or when nothing helped).
    public var replacements: [Replacement]

    /// Units available per part for this plan (160/153 for gsm7, 70/67 for ucs2).
    public var capacityPerPart: Int {
        parts.count > 1 ? encoding.multipartCapacity : encoding.singlePartCapacity
    }

    /// Total septets or UTF-16 units.
    public var totalUnits: Int { unitsPerPart.reduce(0, +) }

    /// Characters (grapheme clusters) per part.
    public var charactersPerPart: [Int] { parts.map(\.count) }

    public init(
        encoding: SMSEncoding, text: String, parts: [String], unitsPerPart: [Int],
        nonGSMCharacters: [Character] = [], extensionCharacters: [Character] = [], replacements: [Replacement] = []
    ) {
        self.encoding = encoding
        self.text = text
        self.parts = parts
        self.unitsPerPart = unitsPerPart
        self.nonGSMCharacters = nonGSMCharacters
        self.extensionCharacters = extensionCharacters
        self.replacements = replacements
    }

    enum CodingKeys: String, CodingKey {
        case encoding, text, parts, segmentCount, unitsPerPart, nonGSMCharacters, extensionCharacters, replacements
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        encoding = try c.decode(SMSEncoding.self, forKey: .encoding)
        text = try c.decode(String.self, forKey: .text)
        parts = try c.decode([String].self, forKey: .parts)
        unitsPerPart = try c.decode([Int].self, forKey: .unitsPerPart)
        nonGSMCharacters = try Self.characters(c.decodeIfPresent([String].self, forKey: .nonGSMCharacters) ?? [])
        extensionCharacters = try Self.characters(c.decodeIfPresent([String].self, forKey: .extensionCharacters) ?? [])
        replacements = try c.decodeIfPresent([Replacement].self, forKey: .replacements) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(encoding, forKey: .encoding)
        try c.encode(text, forKey: .text)
        try c.encode(parts, forKey: .parts)
        try c.encode(segmentCount, forKey: .segmentCount)
        try c.encode(unitsPerPart, forKey: .unitsPerPart)
        try c.encode(nonGSMCharacters.map(String.init), forKey: .nonGSMCharacters)
        try c.encode(extensionCharacters.map(String.init), forKey: .extensionCharacters)
        try c.encode(replacements, forKey: .replacements)
    }

    private static func characters(_ strings: [String]) throws -> [Character] {
        try strings.map { s in
            guard s.count == 1, let c = s.first else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\"\(s)\" is not one character"))
            }
            return c
        }
    }
}

/// One smart-encoding substitution: every `original` became `replacement`, `count` times.
public struct Replacement: Sendable, Codable, Equatable, Hashable {
    public var original: String
    public var replacement: String
    public var count: Int

    public init(original: String, replacement: String, count: Int) {
        self.original = original
        self.replacement = replacement
        self.count = count
    }
}
