import SMSCodec

/// Which footer text `FooterPolicy.apply` used.
public enum FooterVariant: String, Sendable, Codable, CaseIterable {
    /// The locale's template as configured (`{brand}. STOP au {number}`).
    case full
    /// The full footer with its own non-GSM characters transliterated (`Crêperie` → `Creperie`),
    /// chosen when the raw one would turn a GSM message into UCS-2 (TS 23.038 §6.2.1).
    case fullGSM
    /// Without the brand (`STOP au {number}`): only when the message already starts with the brand,
    /// which then identifies the advertiser (CPCE L34-5), and only when that saves a segment or UCS-2.
    case withoutBrand
    /// `withoutBrand`, transliterated.
    case withoutBrandGSM
    /// The text already ended with a footer: nothing was added.
    case alreadyPresent
}

/// The outcome of `FooterPolicy.apply`: the text to send and what the footer costs.
public struct FooterResult: Sendable, Equatable {
    /// The message with its footer (before smart-encoding replacements; `withFooter.text` has them).
    public var text: String
    /// The footer added (or found already present).
    public var footer: String
    public var variant: FooterVariant
    /// The plan of `text` (what is sent).
    public var withFooter: SegmentPlan
    /// The plan of the message without footer, for previews.
    public var withoutFooter: SegmentPlan

    /// False when the text already carried a footer.
    public var footerAdded: Bool { variant != .alreadyPresent }
    /// Segments the footer adds (0 when it fits).
    public var extraSegments: Int { withFooter.segmentCount - withoutFooter.segmentCount }
    /// Whether the footer turned a GSM 7-bit message into UCS-2 (no cheaper variant existed).
    public var footerForcedUCS2: Bool { withoutFooter.encoding != .ucs2 && withFooter.encoding == .ucs2 }
}
