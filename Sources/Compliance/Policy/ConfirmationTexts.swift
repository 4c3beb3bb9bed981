/// The automatic replies to an inbound keyword (COMPLIANCE.md "Defaults shipped"): the opt-out
/// confirmation and the help reply. They carry no marketing and no footer.
public struct ConfirmationTexts: Sendable, Hashable, Codable {
    /// locale → opt-out confirmation template (`{brand}`).
    public var confirmations: [String: String]
    /// locale → help reply template (`{brand}`, optionally `{number}`).
    public var help: [String: String]
    /// Used when a locale has no text.
    public var defaultLocale: String

    public static let defaultConfirmations: [String: String] = [
        "fr": "{brand} : désinscription prise en compte. Vous ne recevrez plus de SMS de notre part.",
        "en": "{brand}: you are unsubscribed and will receive no further messages. Reply START to resubscribe.",
    ]
    public static let defaultHelp: [String: String] = [
        "fr": "{brand} : pour ne plus recevoir nos SMS, répondez STOP à ce numéro.",
        "en": "{brand}: reply STOP to this number to stop receiving our messages.",
    ]

    public init(confirmations: [String: String] = ConfirmationTexts.defaultConfirmations,
                help: [String: String] = ConfirmationTexts.defaultHelp,
                defaultLocale: String = "en") {
        self.confirmations = confirmations
        self.help = help
        self.defaultLocale = defaultLocale
    }

    /// The opt-out confirmation in `locale` (`fr`, `fr-FR`, `en` …), `{brand}` filled.
    public func text(locale: String, brand: String) -> String {
        fill(FooterPolicy.lookup(confirmations, locale, defaultLocale) ?? Self.defaultConfirmations["en"] ?? "",
             brand: brand, number: nil)
    }

    /// The help reply in `locale`: the brand and how to stop. `{number}` is filled when given.
    public func helpText(locale: String, brand: String, number: String? = nil) -> String {
        fill(FooterPolicy.lookup(help, locale, defaultLocale) ?? Self.defaultHelp["en"] ?? "", brand: brand, number: number)
    }

    func fill(_ template: String, brand: String, number: String?) -> String {
        var text = template.replacing("{brand}", with: brand.trimmingWhitespace())
        if let number { text = text.replacing("{number}", with: number) }
        return text
    }
}
