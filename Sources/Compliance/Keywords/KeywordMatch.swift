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
