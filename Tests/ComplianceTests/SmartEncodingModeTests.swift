import Foundation
import SMSCodec
import Testing
@testable import Compliance

/// Issue 14, item 3: what you see is what is sent, and letters only when asked for.
@Suite("Smart encoding modes")
struct SmartEncodingModeTests {
    let promo = "Promo : « galettes » à -20 % … c’est prêt !"

    @Test("punctuation mode replaces typographic characters only, and lists each replacement")
    func punctuation() {
        let plan = SegmentPlanner.plan("« Soldes » – c’est parti…\u{00A0}!", smartEncoding: SmartEncodingMode.punctuation)
        #expect(plan.text == "\" Soldes \" - c'est parti... !")
        #expect(plan.encoding == .gsm7)
        #expect(Set(plan.replacements) == [
            Replacement(original: "«", replacement: "\"", count: 1), Replacement(original: "»", replacement: "\"", count: 1),
            Replacement(original: "–", replacement: "-", count: 1), Replacement(original: "’", replacement: "'", count: 1),
            Replacement(original: "…", replacement: "...", count: 1), Replacement(original: "\u{00A0}", replacement: " ", count: 1),
        ])
    }

    @Test("punctuation mode never changes a letter: a text with ê stays as written (UCS-2)")
    func punctuationKeepsLetters() {
        let plan = SegmentPlanner.plan(promo, smartEncoding: SmartEncodingMode.punctuation)
        #expect(plan.text == promo)
        #expect(plan.encoding == .ucs2)
        #expect(plan.replacements.isEmpty)
    }

    @Test("letters mode also replaces French letters, and halves the cost")
    func letters() {
        let long = String(repeating: promo + " ", count: 3)
        let letters = SegmentPlanner.plan(long, smartEncoding: SmartEncodingMode.letters)
        let punctuation = SegmentPlanner.plan(long, smartEncoding: SmartEncodingMode.punctuation)
        #expect(letters.text.contains("c'est pret !"))
        #expect(letters.encoding == .gsm7)
        #expect(letters.replacements.contains(Replacement(original: "ê", replacement: "e", count: 3)))
        #expect(letters.segmentCount * 2 <= punctuation.segmentCount)
    }

    @Test("off sends the text as written")
    func off() {
        let plan = SegmentPlanner.plan("« Soldes »", smartEncoding: SmartEncodingMode.off)
        #expect(plan.text == "« Soldes »")
        #expect(plan.replacements.isEmpty)
        #expect(SmartEncodingMode.default == .punctuation)
    }

    @Test("the policy's plan is the text on the air: footer included, replacements listed")
    func policyPlanIsWhatIsSent() throws {
        let footer = FooterPolicy(brand: "Crêperie", stopNumber: number("+33612345678"))
        let policy = SendPolicy(footer: footer, smartEncoding: .punctuation, quietHours: .none, numberLibrary: nil)
        let decision = policy.decide(SendRequest(recipient: frenchRecipient, text: "« Soldes » – c’est parti", class: .marketing),
                                     now: Date(timeIntervalSince1970: 1_800_000_000))
        guard case .send(let text, let plan, let footerAdded) = decision else { Issue.record("\(decision)"); return }
        #expect(footerAdded)
        #expect(text.hasPrefix("« Soldes » – c’est parti\n"))
        #expect(plan.text.hasPrefix("\" Soldes \" - c'est parti\n"))
        #expect(plan.text.hasSuffix("STOP au 0612345678"))
        #expect(plan.encoding == .gsm7)
        #expect(!plan.replacements.isEmpty)
    }
}

@Suite("Holidays of custom windows")
struct CustomWindowHolidaysTests {
    @Test("the national calendar of a region", arguments: [
        ("FR", HolidayCalendar.france), ("fr", .france), ("RE", .france), ("GP", .france), ("GB", .none), ("US", .none),
    ])
    func national(region: String, calendar: HolidayCalendar) {
        #expect(HolidayCalendar.national(of: region) == calendar)
    }

    @Test("full day names are accepted in windows (documented in the README)", arguments: [
        ("monday 09:00-19:00", [Weekday.monday]), ("lundi 09:00-19:00", [.monday]), ("mon-fri 09:00-19:00", Weekday.mondayToFriday),
    ])
    func fullDayNames(spec: String, days: [Weekday]) throws {
        #expect(try SendingWindow(parsing: spec).days == days)
    }
}
