/// Smart encoding (COMPLIANCE.md, "Encoding facts"): replace typographic characters by GSM ones
/// so that a text that is GSM apart from them is sent in 7-bit (160/153) instead of UCS-2 (70/67).
///
/// It is applied only when it pays: first the typographic substitutions (quotes, dashes, ellipsis,
/// special spaces, canonically equivalent spellings of GSM letters); if the text is still not GSM,
/// the accent substitutions too (â→a, ê→e, î→i, ô→o, û→u, ë→e, ï→i, ÿ→y, ç→c, œ→oe and capitals).
/// If even that leaves a non-GSM character (an emoji, Cyrillic…), the text is left untouched:
/// it goes as UCS-2 anyway, where the originals cost nothing more.
public enum SmartEncoding {
    static let typographic: [Character: String] = [
        "«": "\"", "»": "\"", "“": "\"", "”": "\"", "„": "\"", "‟": "\"", "″": "\"",
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
        "–": "-", "—": "-", "‒": "-", "―": "-", "‐": "-", "‑": "-", "−": "-",
        "…": "...",
        "\u{00A0}": " ", "\u{202F}": " ", "\u{2007}": " ", "\u{2009}": " ", "\u{200A}": " ",
        "\u{2002}": " ", "\u{2003}": " ", "\u{2004}": " ", "\u{2005}": " ", "\u{2006}": " ", "\u{2008}": " ",
        "\t": " ", "\u{200B}": "", "\u{00AD}": "", "\u{FEFF}": "",
    ]

    static let accents: [Character: String] = [
        "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ë": "e", "ï": "i", "ÿ": "y", "ç": "c", "œ": "oe",
        "Â": "A", "Ê": "E", "Î": "I", "Ô": "O", "Û": "U", "Ë": "E", "Ï": "I", "Ÿ": "Y", "Ç": "C", "Œ": "OE",
    ]

    /// GSM characters keyed by `Character`, whose equality is canonical equivalence: a decomposed
    /// "e\u{301}" finds "é".
    static let canonicalGSM: [Character: String] = {
        var map = [Character: String]()
        for (code, scalar) in GSMCharacterSet.defaultLocking.enumerated() where code != 0x1B && code != 0x09 {
            map[Character(scalar)] = String(scalar)
        }
        for (_, scalar) in GSMCharacterSet.defaultSingleShift {
            map[Character(scalar)] = String(scalar)
        }
        return map
    }()

    /// The text to send and the substitutions made (empty when the text is unchanged).
    public static func apply(to text: String) -> (text: String, replacements: [Replacement]) {
        if GSMAlphabet.isEncodable(text) { return (text, []) }
        let first = substitute(text, accents: false)
        if GSMAlphabet.isEncodable(first.text) { return first }
        let second = substitute(text, accents: true)
        if GSMAlphabet.isEncodable(second.text) { return second }
        return (text, [])
    }

    static func substitute(_ text: String, accents useAccents: Bool) -> (text: String, replacements: [Replacement]) {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var replacements = [Replacement]()
        var index = [String: Int]()
        for character in text {
            if GSMAlphabet.isEncodable(character) {
                out.append(character)
                continue
            }
            let replacement = typographic[character] ?? canonicalGSM[character] ?? (useAccents ? accents[character] : nil)
            guard let replacement else {
                out.append(character)
                continue
            }
            out += replacement
            let key = String(character) + "\u{0}" + replacement
            if let i = index[key] {
                replacements[i].count += 1
            } else {
                index[key] = replacements.count
                replacements.append(Replacement(original: String(character), replacement: replacement, count: 1))
            }
        }
        return (out, replacements)
    }
}
