/// Whether a START / UNSTOP after an opt-out is answered, and with what (issue 14, COMPLIANCE.md
/// "Keywords"). Pure: the inbound loop asks `decide`, then enqueues the text like an opt-out
/// confirmation (`kind: "optin_ack"`, class notification, no footer, counted in credits).
///
/// Where the practice expects it: in the US the CTIA Messaging Principles have a program answer a
/// re-subscription with one message naming the program and how to stop; in France no rule asks for
/// it, so it is off unless the installation lists the region.
public struct OptInAcknowledgement: Sendable, Hashable {
    /// ISO 3166 regions whose numbers get an acknowledgement (default: US).
    public var regions: Set<String>
    /// locale → template with `{brand}` and, optionally, `{number}` (the SIM's number, for STOP).
    public var texts: [String: String]
    /// Used when a locale has no text.
    public var defaultLocale: String

    public static let defaultRegions: Set<String> = ["US"]
    public static let defaultTexts: [String: String] = [
        "en": "{brand}: you are subscribed again. Reply STOP to opt out.",
        "fr": "{brand} : réinscription prise en compte. Répondez STOP pour ne plus recevoir nos SMS.",
    ]

    public init(regions: Set<String> = OptInAcknowledgement.defaultRegions,
                texts: [String: String] = OptInAcknowledgement.defaultTexts, defaultLocale: String = "en") {
        self.regions = Set(regions.map { $0.uppercased() })
        self.texts = texts
        self.defaultLocale = defaultLocale
    }

    /// What to do with an inbound message whose keyword result is `match`, from `sender`.
    ///
    /// - Parameters:
    ///   - wasOptedOut: the sender's latest event, read *before* the opt-in is recorded, is an opt-out.
    ///   - recorded: the opt-in was recorded by this message (false when the same SMS is processed
    ///     again after a crash and its event is already there: the caller re-enqueues under the same
    ///     id, which the outbox makes idempotent).
    ///   - locale: the sender's locale (the footer's `locale(for:)`).
    /// - Returns: the text to send, or nil for no acknowledgement.
    public func decide(_ match: KeywordMatch, from sender: PhoneNumber, wasOptedOut: Bool,
                       locale: String, brand: String, number: String? = nil) -> String? {
        guard case .optIn = match, wasOptedOut, regions.contains(sender.region.uppercased()) else { return nil }
        return text(locale: locale, brand: brand, number: number)
    }

    /// The acknowledgement in `locale`, `{brand}` (and `{number}` when given) filled.
    public func text(locale: String, brand: String, number: String? = nil) -> String {
        let template = FooterPolicy.lookup(texts, locale, defaultLocale) ?? Self.defaultTexts["en"] ?? ""
        var text = template.replacing("{brand}", with: brand.trimmingWhitespace())
        if let number { text = text.replacing("{number}", with: number) }
        return text
    }
}
