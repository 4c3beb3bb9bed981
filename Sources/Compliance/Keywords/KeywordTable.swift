/// Keywords of one or more locales, as written (they are normalised when a matcher is built).
///
/// Multi-word keywords ("STOP SMS", "OPT OUT") match as the first words of a message.
public struct KeywordTable: Sendable, Hashable, Codable {
    public var optOut: [String]
    /// Opt-in keywords match only as the whole message (COMPLIANCE.md: "exact, only after an opt-out").
    public var optIn: [String]
    public var help: [String]
    /// Word beginnings that send a message to review when a word starts with them ("STOPPED",
    /// "désabonnez-moi"). Only distinctive stems: a plain prefix rule on END or QUIT would flag
    /// "weekend" or "quite".
    public var reviewStems: [String]

    public init(optOut: [String] = [], optIn: [String] = [], help: [String] = [], reviewStems: [String] = []) {
        self.optOut = optOut
        self.optIn = optIn
        self.help = help
        self.reviewStems = reviewStems
    }

    /// Appends another table's keywords.
    public func merging(_ other: KeywordTable) -> KeywordTable {
        KeywordTable(optOut: optOut + other.optOut, optIn: optIn + other.optIn, help: help + other.help,
                     reviewStems: reviewStems + other.reviewStems)
    }

    /// English (COMPLIANCE.md table, CTIA/FCC usage).
    public static let english = KeywordTable(
        optOut: ["STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                 "OPTOUT", "OPT OUT", "OPT-OUT", "REMOVE"],
        optIn: ["START", "YES", "UNSTOP"],
        help: ["HELP", "INFO"],
        reviewStems: ["STOP", "UNSUBSCRIB", "OPTOUT"])

    /// French, which includes the English opt-out keywords and HELP (COMPLIANCE.md table).
    public static let french = KeywordTable(
        optOut: ["STOP", "STOP SMS", "STOPSMS", "ARRET", "ARRETE", "ARRETER", "DESABONNER", "DESINSCRIRE",
                 "DESINSCRIPTION"] + english.optOut,
        optIn: ["START", "ACTIVER"],
        help: ["AIDE", "INFO", "CONTACT", "HELP"],
        reviewStems: ["STOP", "ARRET", "DESABON", "DESINSCRI"] + english.reviewStems)

    /// The built-in table of a locale (`"fr"`, `"en"`; a region suffix such as `fr-FR` is ignored),
    /// or nil for a locale smsagent has no keywords for.
    public static func builtIn(locale: String) -> KeywordTable? {
        switch LocaleCode.language(of: locale) {
        case "fr": french
        case "en": english
        default: nil
        }
    }
}

/// Locale strings as smsagent uses them: a language code, optionally with a region (`fr`, `fr-FR`, `en_GB`).
enum LocaleCode {
    static func language(of locale: String) -> String {
        let lower = locale.lowercased()
        let end = lower.firstIndex { $0 == "-" || $0 == "_" } ?? lower.endIndex
        return String(lower[..<end])
    }
}
