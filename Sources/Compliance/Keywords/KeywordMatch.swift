/// What an inbound message asks for (COMPLIANCE.md "Keywords"; issue 6).
public enum KeywordMatch: Sendable, Hashable, Codable {
    /// The message is an opt-out: record it, confirm it once.
    case optOut(keyword: String)
    /// The whole message is an opt-in keyword. Meaningful only from a number whose latest event is
    /// an opt-out — the caller checks that and ignores it otherwise.
    case optIn(keyword: String)
    /// The message asks for help: reply with the brand and how to stop.
    case help(keyword: String)
    /// An opt-out keyword is mentioned without matching the rule ("don't stop", "STOPPED by the
    /// shop?"): keep it for a person to read, never act on it silently.
    case review(keyword: String)
    /// Nothing the agent acts on.
    case none

    /// The keyword matched, if any.
    public var keyword: String? {
        switch self {
        case .optOut(let keyword), .optIn(let keyword), .help(let keyword), .review(let keyword): keyword
        case .none: nil
        }
    }
}

/// How strictly opt-out and help keywords must sit in the message.
public enum KeywordMatchRule: String, Sendable, Codable, CaseIterable {
    /// COMPLIANCE.md default: the whole message is the keyword, or its first word(s) are.
    case wholeOrFirstWord
    /// Only the whole message (after normalisation) counts; a first word goes to review.
    case wholeMessage
}

/// How much wording an opt-out needs in a region (COMPLIANCE.md "Keywords", issue 14).
///
/// | region | rule | what opts out |
/// |---|---|---|
/// | FR and every region not listed (default) | `strictKeyword` | a keyword as the whole message or its first word(s); a keyword elsewhere goes to review |
/// | US | `anyReasonableMeans` | the strict rule, plus any reasonable opt-out wording anywhere in the message ("Please stop texting me", "unsubscribe me", "remove me from your list", "no more texts") unless it is negated ("don't stop") |
///
/// The US rule is the FCC's 2024 consent order (FCC 24-24, 47 CFR §64.1200(a)(10)): a called party
/// may revoke consent "by any reasonable means", and the sender must honour it.
public enum OptOutWordingRule: String, Sendable, Codable, CaseIterable {
    /// Keyword as the whole message or its first words; elsewhere → review (France: CNIL practice).
    case strictKeyword = "strict"
    /// The strict rule plus `KeywordMatcher.reasonableOptOutPhrases` anywhere, not negated.
    case anyReasonableMeans = "any_reasonable_means"
}
