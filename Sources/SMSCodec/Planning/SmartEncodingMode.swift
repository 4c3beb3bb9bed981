/// How far smart encoding may go (configuration `compliance.smart_encoding`, issue 14).
///
/// Replacing typographic punctuation (« » ’ … –, non-breaking spaces) changes nothing a reader
/// notices. Replacing letters (ê→e, â→a, î→i, ô→o, û→u, ë→e, ï→i, ç→c, œ→oe) changes words a French
/// reader reads ("prêt" becomes "pret") — and halves the cost of a French text. It is therefore a
/// named choice. Either level is applied only when it pays: when the replaced text is GSM 7-bit.
public enum SmartEncodingMode: String, Sendable, Codable, CaseIterable {
    /// Send the text as written (UCS-2 as soon as one character is not GSM).
    case off
    /// Replace typographic punctuation and spaces only (the default smsagent ships).
    case punctuation
    /// Punctuation, then, if that is not enough for GSM 7-bit, French letters too.
    case letters

    /// The default: punctuation only; letters are changed only when the user asks for it.
    public static let `default` = SmartEncodingMode.punctuation
}

extension SmartEncoding {
    /// The text to send under `mode`, and the substitutions made (empty when it is unchanged).
    public static func apply(to text: String, mode: SmartEncodingMode) -> (text: String, replacements: [Replacement]) {
        switch mode {
        case .off:
            return (text, [])
        case .letters:
            return apply(to: text)
        case .punctuation:
            if GSMAlphabet.isEncodable(text) { return (text, []) }
            let replaced = substitute(text, accents: false)
            return GSMAlphabet.isEncodable(replaced.text) ? replaced : (text, [])
        }
    }
}

extension SegmentPlanner {
    /// Plans `text` after the smart-encoding substitutions of `mode`; `plan.text` is what goes on the
    /// air and `plan.replacements` lists each replacement made.
    public static func plan(_ text: String, smartEncoding mode: SmartEncodingMode) -> SegmentPlan {
        switch mode {
        case .off:
            return plan(text, smartEncoding: false)
        case .letters:
            return plan(text, smartEncoding: true)
        case .punctuation:
            let (sent, replacements) = SmartEncoding.apply(to: text, mode: .punctuation)
            var result = plan(sent, smartEncoding: false)
            result.replacements = replacements
            return result
        }
    }
}
