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
    let optOut: [Keyword]
    let optIn: [Keyword]
    let help: [Keyword]
    let stems: [String]

    /// A matcher for the built-in tables of `locales` (unknown locales are ignored; `fr` includes
    /// the English opt-outs), plus `extra` keywords of the installation.
    public init(locales: [String] = ["fr", "en"], extra: KeywordTable = KeywordTable(),
                rule: KeywordMatchRule = .wholeOrFirstWord) {
        var table = KeywordTable()
        for locale in locales {
            if let builtIn = KeywordTable.builtIn(locale: locale) { table = table.merging(builtIn) }
        }
        self.init(table: table.merging(extra), locales: locales, rule: rule)
    }

    /// A matcher for exactly `table`.
    public init(table: KeywordTable, locales: [String] = [], rule: KeywordMatchRule = .wholeOrFirstWord) {
        self.locales = locales
        self.rule = rule
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
