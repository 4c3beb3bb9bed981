import SMSCodec

/// The STOP footer every marketing SMS carries (CPCE art. L34-5; CNIL: identify the advertiser and
/// offer a free, simple opt-out). Worded per recipient: the locale comes from the recipient's
/// country (`countryLocales`, then `defaultLocale`).
///
/// The stop number is the SIM's own number (a SIM has no short code), written so the recipient can
/// reply to it at the price of a normal SMS: the national form (`0612345678`) for a recipient who
/// dials it nationally (same calling code, or mainland France ↔ overseas departments), E.164
/// (`+33612345678`) for everyone else.
///
/// Placement (`apply`): trailing white space of the message is dropped and the footer goes on a
/// new line (a newline costs what a space costs: one GSM septet or one UCS-2 unit). The brand is
/// never dropped unless the message already starts with it.
public struct FooterPolicy: Sendable, Hashable {
    public var brand: String
    public var stopNumber: PhoneNumber
    /// locale → template with `{brand}` and `{number}`.
    public var templates: [String: String]
    /// locale → template without the brand, used only when the message starts with the brand.
    public var shortTemplates: [String: String]
    /// ISO 3166 region → locale.
    public var countryLocales: [String: String]
    public var defaultLocale: String

    public static let defaultTemplates: [String: String] = [
        "fr": "{brand}. STOP au {number}",
        "en": "{brand}. Reply STOP to opt out",
    ]
    public static let defaultShortTemplates: [String: String] = [
        "fr": "STOP au {number}",
        "en": "Reply STOP to opt out",
    ]
    /// French for France, its overseas departments and collectivities, Monaco, and the French-speaking
    /// neighbours and Maghreb countries a French business writes to (BE, LU, CH, MA, DZ, TN);
    /// everything else gets `defaultLocale`.
    public static let defaultCountryLocales: [String: String] = Dictionary(uniqueKeysWithValues: [
        "FR", "GP", "MQ", "GF", "RE", "YT", "BL", "MF", "PM", "NC", "PF", "WF",
        "MC", "BE", "LU", "CH", "MA", "DZ", "TN",
    ].map { ($0, "fr") })

    public init(brand: String, stopNumber: PhoneNumber,
                templates: [String: String] = FooterPolicy.defaultTemplates,
                shortTemplates: [String: String] = FooterPolicy.defaultShortTemplates,
                countryLocales: [String: String] = FooterPolicy.defaultCountryLocales,
                defaultLocale: String = "en") {
        self.brand = brand.trimmingWhitespace()
        self.stopNumber = stopNumber
        self.templates = templates
        self.shortTemplates = shortTemplates
        self.countryLocales = countryLocales
        self.defaultLocale = defaultLocale
    }

    /// The locale of the footer (and of confirmations) for `recipient`.
    public func locale(for recipient: PhoneNumber) -> String {
        countryLocales[recipient.region] ?? defaultLocale
    }

    /// The full footer for `recipient`.
    public func footer(for recipient: PhoneNumber) -> String {
        render(Self.lookup(templates, locale(for: recipient), defaultLocale) ?? Self.fallbackTemplate, for: recipient)
    }

    static let fallbackTemplate = "{brand}. Reply STOP to opt out"

    /// Appends the footer to `text` for `recipient`, choosing among the variants the one with the
    /// fewest segments, then the one that keeps GSM 7-bit, then the most complete (full, full
    /// transliterated, without brand, without brand transliterated). Idempotent: a text that
    /// already ends with a footer (any locale, either number form; compared after normalising case,
    /// accents and punctuation) is returned unchanged with `variant == .alreadyPresent`.
    public func apply(to text: String, for recipient: PhoneNumber, smartEncoding: Bool) -> FooterResult {
        apply(to: text, for: recipient, smartEncoding: smartEncoding ? SmartEncodingMode.letters : .off)
    }

    /// `apply(to:for:smartEncoding:)` with a smart-encoding level (`compliance.smart_encoding`).
    public func apply(to text: String, for recipient: PhoneNumber, smartEncoding: SmartEncodingMode) -> FooterResult {
        let withoutFooter = SegmentPlanner.plan(text, smartEncoding: smartEncoding)
        let body = text.trimmingTrailingWhitespace()
        let bodyWords = KeywordNormaliser.words(body)

        if let present = existingFooter(in: Self.mergingDigitRuns(bodyWords), recipient: recipient) {
            return FooterResult(text: text, footer: present, variant: .alreadyPresent,
                                withFooter: withoutFooter, withoutFooter: withoutFooter)
        }

        let full = footer(for: recipient)
        // Each variant with the substitutions its own text carries (a transliterated footer's
        // `Crêperie` → `Creperie` is a replacement the preview must list like the message's own).
        let fullGSM = Self.gsmForm(full)
        var variants: [(FooterVariant, String, [Replacement])] = [(.full, full, []), (.fullGSM, fullGSM.text, fullGSM.replacements)]
        let brandWords = KeywordNormaliser.words(brand)
        if brandWords.isEmpty || bodyWords.starts(with: brandWords),
           let short = Self.lookup(shortTemplates, locale(for: recipient), defaultLocale) {
            let rendered = render(short, for: recipient)
            let renderedGSM = Self.gsmForm(rendered)
            variants += [(.withoutBrand, rendered, []), (.withoutBrandGSM, renderedGSM.text, renderedGSM.replacements)]
        }

        var best: (rank: (Int, Int, Int), result: FooterResult)?
        var tried = Set<String>()
        for (index, (variant, footer, footerReplacements)) in variants.enumerated() where tried.insert(footer).inserted {
            let candidate = body.isEmpty ? footer : body + "\n" + footer
            var plan = SegmentPlanner.plan(candidate, smartEncoding: smartEncoding)
            plan.replacements = Self.merging(plan.replacements, footerReplacements)
            let forcedUCS2 = withoutFooter.encoding != .ucs2 && plan.encoding == .ucs2 ? 1 : 0
            let rank = (plan.segmentCount, forcedUCS2, index)
            if let current = best, !(rank < current.rank) { continue }
            best = (rank, FooterResult(text: candidate, footer: footer, variant: variant,
                                       withFooter: plan, withoutFooter: withoutFooter))
        }
        // `variants` is never empty, so `best` is set; fall back to the full footer regardless.
        return best?.result ?? FooterResult(text: body + "\n" + full, footer: full, variant: .full,
                                             withFooter: SegmentPlanner.plan(body + "\n" + full, smartEncoding: smartEncoding),
                                             withoutFooter: withoutFooter)
    }

    /// The footer `words` already end with, if any. A footer without the brand counts only when the
    /// message starts with the brand.
    func existingFooter(in words: [String], recipient: PhoneNumber) -> String? {
        let numberForms = Set([stopNumber.nationalFormat, stopNumber.e164, stopNumber.formatted(forRecipient: recipient)])
        let brandWords = KeywordNormaliser.words(brand)
        let startsWithBrand = brandWords.isEmpty || words.starts(with: brandWords)
        let candidates = Array(templates.values) + (startsWithBrand ? Array(shortTemplates.values) : [])
        for template in candidates {
            for number in numberForms {
                let rendered = render(template, number: number)
                let footerWords = Self.mergingDigitRuns(KeywordNormaliser.words(rendered))
                if !footerWords.isEmpty, words.count >= footerWords.count, words.suffix(footerWords.count).elementsEqual(footerWords) {
                    return rendered
                }
            }
        }
        return nil
    }

    /// Joins consecutive all-digit words, so `06 12 34 56 78` compares equal to `0612345678`.
    static func mergingDigitRuns(_ words: [String]) -> [String] {
        var merged = [String]()
        var previousWasDigits = false
        for word in words {
            let isDigits = word.allSatisfy(\.isASCIIDigit)
            if isDigits, previousWasDigits, let last = merged.popLast() {
                merged.append(last + word)
            } else {
                merged.append(word)
            }
            previousWasDigits = isDigits
        }
        return merged
    }

    func render(_ template: String, for recipient: PhoneNumber) -> String {
        render(template, number: stopNumber.formatted(forRecipient: recipient))
    }

    func render(_ template: String, number: String) -> String {
        var template = template
        // "Chez Léa." + ". STOP" must not give "Chez Léa.. STOP".
        if let last = brand.last, [".", "!", "?", "…"].contains(last) {
            template = template.replacing("{brand}.", with: "{brand}")
        }
        if brand.isEmpty {
            template = template.replacing("{brand}. ", with: "").replacing("{brand}: ", with: "").replacing("{brand} ", with: "")
        }
        return template.replacing("{brand}", with: brand).replacing("{number}", with: number)
    }

    /// The footer with its non-GSM characters replaced by smart encoding's substitutions.
    static func gsmForm(_ footer: String) -> (text: String, replacements: [Replacement]) {
        SmartEncoding.apply(to: footer)
    }

    /// `a` then the substitutions of `b` not in it; the same substitution in both adds its counts.
    static func merging(_ a: [Replacement], _ b: [Replacement]) -> [Replacement] {
        var merged = a
        for r in b {
            if let i = merged.firstIndex(where: { $0.original == r.original && $0.replacement == r.replacement }) {
                merged[i].count += r.count
            } else {
                merged.append(r)
            }
        }
        return merged
    }

    static func lookup(_ table: [String: String], _ locale: String, _ defaultLocale: String) -> String? {
        table[locale] ?? table[LocaleCode.language(of: locale)] ?? table[defaultLocale]
            ?? table[LocaleCode.language(of: defaultLocale)] ?? table["en"]
    }
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
