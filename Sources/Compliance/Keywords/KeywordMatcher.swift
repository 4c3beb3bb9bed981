/// Classifies inbound messages by keyword (COMPLIANCE.md "Keywords", issue 6).
///
/// Rule, on the normalised words of the message (`KeywordNormaliser`):
/// 1. the whole message is a keyword → `.optOut`, `.optIn` or `.help`;
/// 2. its first word(s) are an opt-out keyword → `.optOut` ("Stop !", "stop svp", "STOP SMS merci");
/// 3. an opt-out keyword appears elsewhere as a word, or a word starts with a review stem →
///    `.review` ("don't stop", "STOPPED by the shop?": STOPPED is not STOP and must not opt out);
/// 4. its first word(s) are a help keyword → `.help`;
/// 5. otherwise `.none`. An opt-in keyword that is not the whole message ("yes, see you") is
///    `.none`: consent must be explicit.
/// With `KeywordMatchRule.wholeMessage`, step 2 and 4 are skipped (a first-word opt-out goes to review).
public struct KeywordMatcher: Sendable {
    struct Keyword: Sendable, Hashable {
        var display: String
        var words: [String]
    }

    public let locales: [String]
    public let rule: KeywordMatchRule
    /// ISO 3166 region → opt-out wording rule; a region not listed gets `.strictKeyword`.
    public let regionRules: [String: OptOutWordingRule]
    let reasonable: [Keyword]
    let optOut: [Keyword]
    let optIn: [Keyword]
    let help: [Keyword]
    let stems: [String]

    /// A matcher for the built-in tables of `locales` (unknown locales are ignored; `fr` includes
    /// the English opt-outs), plus `extra` keywords of the installation.
    public init(locales: [String] = ["fr", "en"], extra: KeywordTable = KeywordTable(),
                rule: KeywordMatchRule = .wholeOrFirstWord,
                regionRules: [String: OptOutWordingRule] = KeywordMatcher.defaultRegionRules) {
        var table = KeywordTable()
        for locale in locales {
            if let builtIn = KeywordTable.builtIn(locale: locale) { table = table.merging(builtIn) }
        }
        self.init(table: table.merging(extra), locales: locales, rule: rule, regionRules: regionRules)
    }

    /// A matcher for exactly `table`.
    public init(table: KeywordTable, locales: [String] = [], rule: KeywordMatchRule = .wholeOrFirstWord,
                regionRules: [String: OptOutWordingRule] = KeywordMatcher.defaultRegionRules) {
        self.locales = locales
        self.rule = rule
        self.regionRules = Dictionary(regionRules.map { ($0.key.uppercased(), $0.value) }, uniquingKeysWith: { $1 })
        reasonable = Self.prepare(Self.reasonableOptOutPhrases)
        optOut = Self.prepare(table.optOut)
        optIn = Self.prepare(table.optIn)
        help = Self.prepare(table.help)
        var seen = Set<String>()
        stems = table.reviewStems.flatMap { KeywordNormaliser.words($0) }.filter { seen.insert($0).inserted }
    }

    /// Normalised, de-duplicated, longest first (so "STOP SMS" wins over "STOP").
    static func prepare(_ keywords: [String]) -> [Keyword] {
        var seen = Set<[String]>()
        var prepared = [Keyword]()
        for keyword in keywords {
            let words = KeywordNormaliser.words(keyword)
            guard !words.isEmpty, seen.insert(words).inserted else { continue }
            prepared.append(Keyword(display: KeywordNormaliser.normalise(keyword), words: words))
        }
        return prepared.sorted { $0.words.count > $1.words.count }
    }

    /// Classifies one inbound message (after reassembly).
    public func classify(_ text: String) -> KeywordMatch {
        let words = KeywordNormaliser.words(text)
        guard !words.isEmpty else { return .none }

        if let keyword = optOut.first(where: { $0.words == words }) { return .optOut(keyword: keyword.display) }
        if let keyword = optIn.first(where: { $0.words == words }) { return .optIn(keyword: keyword.display) }
        if let keyword = help.first(where: { $0.words == words }) { return .help(keyword: keyword.display) }

        let firstWords = rule == .wholeOrFirstWord
        if firstWords, let keyword = optOut.first(where: { words.starts(with: $0.words) }) {
            return .optOut(keyword: keyword.display)
        }
        if let mention = mentionedOptOut(in: words) { return .review(keyword: mention) }
        if firstWords, let keyword = help.first(where: { words.starts(with: $0.words) }) {
            return .help(keyword: keyword.display)
        }
        return .none
    }

    /// The regions whose opt-out wording rule is not the strict one: the US (FCC 24-24, 2024).
    public static let defaultRegionRules: [String: OptOutWordingRule] = ["US": .anyReasonableMeans]

    /// Opt-out wordings honoured anywhere in a message under `.anyReasonableMeans` (English: the
    /// rule is the US one). Kept to phrases that say "stop writing to me" on their own: a bare
    /// "END" or "CANCEL" in the middle of a sentence ("cancel my appointment", "see you at the
    /// end of May") is not one.
    public static let reasonableOptOutPhrases: [String] = [
        "STOP TEXTING", "STOP TEXT", "STOP TEXTS", "STOP SENDING", "STOP MESSAGING", "STOP MESSAGES",
        "STOP CONTACTING", "STOP CALLING", "STOP SPAMMING", "PLEASE STOP", "JUST STOP",
        "UNSUBSCRIBE", "UNSUBSCRIBE ME", "REMOVE ME", "TAKE ME OFF", "DELETE MY NUMBER", "LOSE MY NUMBER",
        "NO MORE TEXTS", "NO MORE TEXT", "NO MORE MESSAGES", "NO MORE SMS", "NO MORE SPAM",
        "OPT ME OUT", "OPT OUT", "OPTOUT", "REVOKE", "DONT TEXT", "DO NOT TEXT", "DONT MESSAGE", "DO NOT MESSAGE",
        "DONT CONTACT", "DO NOT CONTACT", "NOT INTERESTED", "LEAVE ME ALONE",
    ]

    /// Words that, just before a phrase, turn it around ("don't stop texting me").
    static let negations: Set<String> = ["DONT", "NOT", "NEVER", "DIDNT", "WONT", "DOESNT", "CANT", "NO"]

    /// Classifies a message from a sender in `region` (ISO 3166, from the sender's number; nil when
    /// unknown). Under `.strictKeyword` this is `classify(_:)`. Under `.anyReasonableMeans` a
    /// message that the strict rule leaves in review, help or nothing is an opt-out when it holds a
    /// reasonable opt-out wording that is not negated; a whole-message opt-in or help keyword and a
    /// strict opt-out are kept as they are.
    public func classify(_ text: String, region: String?) -> KeywordMatch {
        let strict = classify(text)
        guard let region, regionRules[region.uppercased()] == .anyReasonableMeans else { return strict }
        let words = KeywordNormaliser.words(text)
        switch strict {
        case .optOut, .optIn:
            return strict
        case .help where help.contains(where: { $0.words == words }):
            return strict
        case .help, .review, .none:
            if let phrase = reasonableOptOut(in: words) { return .optOut(keyword: phrase) }
            return strict
        }
    }

    /// The first reasonable opt-out phrase in `words` whose preceding word is not a negation.
    func reasonableOptOut(in words: [String]) -> String? {
        for start in words.indices {
            if start > words.startIndex, Self.negations.contains(words[start - 1]) { continue }
            let rest = words[start...]
            if let phrase = reasonable.first(where: { rest.starts(with: $0.words) }) { return phrase.display }
        }
        return nil
    }

    /// The first opt-out keyword or review stem found anywhere in `words`.
    func mentionedOptOut(in words: [String]) -> String? {
        for start in words.indices {
            let rest = words[start...]
            if let keyword = optOut.first(where: { rest.starts(with: $0.words) }) { return keyword.display }
            if let stem = stems.first(where: { words[start].hasPrefix($0) }) { return stem }
        }
        return nil
    }
}
