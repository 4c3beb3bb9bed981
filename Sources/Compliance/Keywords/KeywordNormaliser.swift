import Foundation

/// The normalisation inbound text goes through before keywords are looked for
/// (COMPLIANCE.md "Keywords": NFKD, strip accents, upper-case, trim punctuation/emoji).
public enum KeywordNormaliser {
    /// Characters that join the parts of one word ("OPT-OUT", "DON'T") rather than separate words.
    static let connectors: Set<Character> = ["-", "'", "\u{2019}", "\u{2018}", "\u{02BC}", "\u{2010}", "\u{2011}"]

    /// The message as a person reads it once case, accents, surrounding punctuation, symbols and
    /// emoji are gone and white space is collapsed: `"  Arrêt ! 🛑"` → `"ARRET"`.
    ///
    /// Unicode NFKD (UAX #15) folds compatibility forms (full-width `ＳＴＯＰ`, ligatures); marks
    /// (general categories Mn, Mc, Me: accents, variation selectors, keycaps) and format characters
    /// (Cf: zero-width joiners, soft hyphens) are then dropped.
    public static func normalise(_ text: String) -> String {
        let folded = fold(text)
        var out = ""
        var pendingSpace = false
        for character in folded {
            if character.isWhitespace {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(" ") }
            pendingSpace = false
            out.append(character)
        }
        // Trim what is not a letter or a digit at both ends.
        var trimmed = Substring(out)
        while let first = trimmed.first, !isWordCharacter(first) { trimmed.removeFirst() }
        while let last = trimmed.last, !isWordCharacter(last) { trimmed.removeLast() }
        return String(trimmed)
    }

    /// Apostrophes (ASCII, typographic right and left quotes, the modifier letter).
    static let apostrophes: Set<Character> = ["'", "\u{2019}", "\u{2018}", "\u{02BC}"]

    /// French elided articles, pronouns and conjunctions, as they stand before an apostrophe
    /// (`d'arrêter`, `qu'on`, `jusqu'à`), after folding. The elided form stays a word of its own, so
    /// `l'arrêt` is `["L", "ARRET"]` — never the whole-message keyword `ARRET`.
    public static let frenchElisions: Set<String> = [
        "C", "D", "J", "L", "M", "N", "S", "T", "QU", "JUSQU", "LORSQU", "PUISQU",
    ]

    /// The words of a message, each in compact form (connectors removed): `"Don't stop!"` →
    /// `["DONT", "STOP"]`, `"opt-out"` → `["OPTOUT"]`. Anything that is not a letter, a digit or a
    /// connector separates words (spaces, punctuation, symbols, emoji).
    ///
    /// A French elision is split at its apostrophe (`"Merci d'arrêter"` → `["MERCI", "D", "ARRETER"]`,
    /// `"qu’on arrête"` → `["QU", "ON", "ARRETE"]`) when the letters before the apostrophe are a whole
    /// word of `frenchElisions`; English contractions stay whole because their first part is not one
    /// (`DON'T`, `CAN'T`, `IT'S`, `I'M`).
    public static func words(_ text: String) -> [String] {
        var words = [String]()
        var current = ""
        func flush() {
            if !current.isEmpty { words.append(current) }
            current = ""
        }
        for character in fold(text) {
            if isWordCharacter(character) {
                current.append(character)
            } else if apostrophes.contains(character), frenchElisions.contains(current) {
                flush()
            } else if connectors.contains(character) {
                continue
            } else {
                flush()
            }
        }
        flush()
        return words
    }

    /// NFKD, marks and format characters removed, upper case.
    static func fold(_ text: String) -> String {
        let decomposed = text.decomposedStringWithCompatibilityMapping
        var scalars = String.UnicodeScalarView()
        for scalar in decomposed.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark, .format:
                continue
            default:
                scalars.append(scalar)
            }
        }
        return String(scalars).uppercased()
    }

    static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber
    }
}
