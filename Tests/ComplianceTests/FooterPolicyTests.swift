import SMSCodec
import Testing
@testable import Compliance

func number(_ e164: String) -> PhoneNumber {
    do { return try PhoneNumber(e164: e164) } catch {
        Issue.record("bad number \(e164): \(error)")
        return PhoneNumber(callingCode: "33", nationalNumber: "600000000", region: "FR")
    }
}

let frenchRecipient = number("+33698765432")
let britishRecipient = number("+447700900123")

func policy(brand: String = "Chez Léa") -> FooterPolicy {
    FooterPolicy(brand: brand, stopNumber: number("+33612345678"))
}

@Suite("FooterPolicy")
struct FooterPolicyTests {
    @Test("locale by recipient country", arguments: [
        ("+33698765432", "fr"), ("+262692123456", "fr"), ("+32470123456", "fr"), ("+212661234567", "fr"),
        ("+447700900123", "en"), ("+14155550123", "en"), ("+4915123456789", "en"),
    ])
    func locale(recipient: String, locale: String) {
        #expect(policy().locale(for: number(recipient)) == locale)
    }

    @Test("wording and number form per recipient", arguments: [
        ("+33698765432", "Chez Léa. STOP au 0612345678"),
        ("+262692123456", "Chez Léa. STOP au 0612345678"),
        ("+32470123456", "Chez Léa. STOP au +33612345678"),
        ("+447700900123", "Chez Léa. Reply STOP to opt out"),
    ])
    func wording(recipient: String, footer: String) {
        #expect(policy().footer(for: number(recipient)) == footer)
    }

    @Test("the country map and default locale are configurable")
    func configurableMap() {
        let custom = FooterPolicy(brand: "Léa", stopNumber: number("+33612345678"),
                                  countryLocales: ["GB": "fr"], defaultLocale: "fr")
        #expect(custom.footer(for: britishRecipient) == "Léa. STOP au +33612345678")
        #expect(custom.locale(for: number("+14155550123")) == "fr")
    }

    @Test("a GSM text stays GSM and gets the footer on a new line")
    func gsmStaysGSM() {
        let result = policy().apply(to: "Soldes -20% ce week-end !  ", for: frenchRecipient, smartEncoding: false)
        #expect(result.text == "Soldes -20% ce week-end !\nChez Léa. STOP au 0612345678")
        #expect(result.withFooter.encoding == .gsm7)
        #expect(result.withFooter.segmentCount == 1)
        #expect(result.variant == .full)
        #expect(result.footerAdded)
        #expect(result.extraSegments == 0)
        #expect(!result.footerForcedUCS2)
    }

    @Test("never twice: applying to a footed text changes nothing", arguments: [
        "+33698765432", "+447700900123", "+32470123456",
    ])
    func idempotent(recipient: String) {
        let once = policy().apply(to: "Promo du jour", for: number(recipient), smartEncoding: false)
        let twice = policy().apply(to: once.text, for: number(recipient), smartEncoding: false)
        #expect(twice.text == once.text)
        #expect(twice.variant == .alreadyPresent)
        #expect(!twice.footerAdded)
        #expect(twice.extraSegments == 0)
        let spaced = policy().apply(to: once.text + " \n", for: number(recipient), smartEncoding: false)
        #expect(spaced.variant == .alreadyPresent)
    }

    @Test("a footer written by hand (case, accents, number form) counts as present", arguments: [
        "Promo. CHEZ LEA. Stop au +33612345678", "Promo\nChez Léa - STOP au 06 12 34 56 78.",
        "Promo\nChez Léa. STOP au +33 6 12 34 56 78 ",
    ])
    func handWritten(text: String) {
        #expect(policy().apply(to: text, for: frenchRecipient, smartEncoding: false).variant == .alreadyPresent)
    }

    @Test("an incomplete or foreign footer does not count as present", arguments: [
        "Promo\nSTOP au 0612345678",            // no brand, and the message does not start with it
        "Promo\nChez Léa. STOP au 0699999999",  // another number
        "Chez Léa. STOP au 0612345678 ou pas",  // the footer is not at the end
    ])
    func notPresent(text: String) {
        let result = policy().apply(to: text, for: frenchRecipient, smartEncoding: false)
        #expect(result.footerAdded)
        #expect(result.text.hasSuffix("\nChez Léa. STOP au 0612345678"))
    }

    @Test("without brand only when the message starts with it and that saves a segment")
    func withoutBrand() {
        let footer = "\nChez Léa. STOP au 0612345678"
        // Body sized so the full footer gives 161 septets, the short one fits in 160.
        let body = "Chez Léa: " + String(repeating: "a", count: 160 - footer.count - 10 + 1)
        let result = policy().apply(to: body, for: frenchRecipient, smartEncoding: false)
        #expect(result.variant == .withoutBrand)
        #expect(result.text == body + "\nSTOP au 0612345678")
        #expect(result.withFooter.segmentCount == 1)

        let shortBody = "Chez Léa: soldes !"
        #expect(policy().apply(to: shortBody, for: frenchRecipient, smartEncoding: false).variant == .full)

        let otherBody = "Bonjour " + String(repeating: "a", count: 160 - footer.count - 8 + 1)
        let other = policy().apply(to: otherBody, for: frenchRecipient, smartEncoding: false)
        #expect(other.variant == .full)
        #expect(other.extraSegments == 1)
    }

    @Test("a non-GSM brand is transliterated in the footer rather than forcing UCS-2")
    func brandTransliterated() {
        let crepes = policy(brand: "Crêperie Hélène")
        let result = crepes.apply(to: "Galettes à volonté ce soir", for: frenchRecipient, smartEncoding: false)
        #expect(result.variant == .fullGSM)
        #expect(result.footer == "Creperie Hélène. STOP au 0612345678")
        #expect(result.withFooter.encoding == .gsm7)
        #expect(!result.footerForcedUCS2)
        // What you see is what is sent: the brand's ê → e is listed like the message's own replacements.
        #expect(result.withFooter.replacements == [Replacement(original: "ê", replacement: "e", count: 1)])
        #expect(result.withoutFooter.replacements.isEmpty)

        // Already UCS-2 (emoji): nothing to save, the brand stays as written.
        let emoji = crepes.apply(to: "Galettes ce soir 🥞", for: frenchRecipient, smartEncoding: false)
        #expect(emoji.variant == .full)
        #expect(emoji.withFooter.encoding == .ucs2)
    }

    @Test("the preview shows what the footer costs when it cannot be avoided")
    func costShown() {
        let body = String(repeating: "b", count: 150)
        let result = policy().apply(to: body, for: frenchRecipient, smartEncoding: false)
        #expect(result.withoutFooter.segmentCount == 1)
        #expect(result.withFooter.segmentCount == 2)
        #expect(result.extraSegments == 1)
        #expect(result.withoutFooter.text == body)
    }

    @Test("smart encoding keeps typographic text in GSM")
    func smartEncoding() {
        let result = policy().apply(to: "L’offre « fidélité » continue…", for: frenchRecipient, smartEncoding: true)
        #expect(result.withFooter.encoding == .gsm7)
        let raw = policy().apply(to: "L’offre « fidélité » continue…", for: frenchRecipient, smartEncoding: false)
        #expect(raw.withFooter.encoding == .ucs2)
    }

    @Test("brand punctuation and empty text", arguments: [
        ("Léa & Co.", "Promo", "Promo\nLéa & Co. STOP au 0612345678"),
        ("Léa", "   ", "Léa. STOP au 0612345678"),
    ])
    func rendering(brand: String, text: String, expected: String) {
        #expect(policy(brand: brand).apply(to: text, for: frenchRecipient, smartEncoding: false).text == expected)
    }
}
