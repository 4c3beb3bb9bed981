import Testing
@testable import SMSCodec

@Suite("Segment planning (GSM 160/153, UCS-2 70/67)")
struct PlannerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var encoding: SMSEncoding
        var units: [Int]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "empty", text: "", encoding: .gsm7, units: [0]),
        Case(name: "160 GSM in one", text: String(repeating: "a", count: 160), encoding: .gsm7, units: [160]),
        Case(name: "161 GSM in two", text: String(repeating: "a", count: 161), encoding: .gsm7, units: [153, 8]),
        Case(name: "306 GSM in two", text: String(repeating: "a", count: 306), encoding: .gsm7, units: [153, 153]),
        Case(name: "307 GSM in three", text: String(repeating: "a", count: 307), encoding: .gsm7, units: [153, 153, 1]),
        Case(name: "80 euros = 160 septets", text: String(repeating: "€", count: 80), encoding: .gsm7, units: [160]),
        Case(name: "81 euros", text: String(repeating: "€", count: 81), encoding: .gsm7, units: [152, 10]),
        Case(name: "escape not split at 153", text: String(repeating: "a", count: 152) + "€b" + String(repeating: "c", count: 10),
             encoding: .gsm7, units: [152, 13]),
        Case(name: "70 UCS-2 in one", text: String(repeating: "ê", count: 70), encoding: .ucs2, units: [70]),
        Case(name: "71 UCS-2 in two", text: String(repeating: "ê", count: 71), encoding: .ucs2, units: [67, 4]),
        Case(name: "35 emoji in one", text: String(repeating: "😀", count: 35), encoding: .ucs2, units: [70]),
        Case(name: "surrogate pair not split at 67", text: String(repeating: "a", count: 66) + "😀" + "b" + String(repeating: "c", count: 10),
             encoding: .ucs2, units: [66, 13]),
        Case(name: "ç forces UCS-2", text: "Ça va", encoding: .ucs2, units: [5]),
        Case(name: "CRLF is GSM", text: "a\r\nb", encoding: .gsm7, units: [4]),
    ]

    @Test(arguments: cases)
    func plan(_ c: Case) {
        let plan = SegmentPlanner.plan(c.text)
        #expect(plan.encoding == c.encoding)
        #expect(plan.unitsPerPart == c.units)
        #expect(plan.segmentCount == c.units.count)
        #expect(plan.parts.joined() == c.text)
        for units in plan.unitsPerPart { #expect(units <= plan.capacityPerPart) }
    }

    @Test("names the characters that forced UCS-2, once each, in order")
    func nonGSMCharacters() {
        let plan = SegmentPlanner.plan("Bientôt l’été… l’hiver 👍🏽")
        #expect(plan.nonGSMCharacters == ["ô", "’", "…", "👍🏽"])
        #expect(plan.encoding == .ucs2)
    }

    @Test("names extension characters that cost two septets")
    func extensionCharacters() {
        let plan = SegmentPlanner.plan("5€ [promo] 5€")
        #expect(plan.extensionCharacters == ["€", "[", "]"])
        #expect(plan.unitsPerPart == [17])
    }

    @Test("smart encoding: typographic characters replaced, reported, GSM kept")
    func smartTypographic() {
        let plan = SegmentPlanner.plan("« Soldes » – l’été… à\u{00A0}50 %", smartEncoding: true)
        #expect(plan.encoding == .gsm7)
        #expect(plan.text == "\" Soldes \" - l'été... à 50 %")
        #expect(plan.replacements.contains(Replacement(original: "«", replacement: "\"", count: 1)))
        #expect(plan.replacements.contains(Replacement(original: "’", replacement: "'", count: 1)))
        #expect(plan.replacements.contains(Replacement(original: "…", replacement: "...", count: 1)))
        #expect(plan.replacements.contains(Replacement(original: "\u{00A0}", replacement: " ", count: 1)))
        #expect(plan.nonGSMCharacters.isEmpty)
    }

    @Test("smart encoding: accents only when they make the text GSM")
    func smartAccents() {
        let plan = SegmentPlanner.plan("Bientôt Noël, ça c’est sûr", smartEncoding: true)
        #expect(plan.encoding == .gsm7)
        #expect(plan.text == "Bientot Noel, ca c'est sur")
        #expect(plan.replacements.map(\.original) == ["ô", "ë", "ç", "’", "û"])
    }

    @Test("smart encoding: nothing replaced when UCS-2 is unavoidable")
    func smartUseless() {
        let plan = SegmentPlanner.plan("Merci ! 👍 l’équipe", smartEncoding: true)
        #expect(plan.encoding == .ucs2)
        #expect(plan.text == "Merci ! 👍 l’équipe")
        #expect(plan.replacements.isEmpty)
        #expect(plan.nonGSMCharacters == ["👍", "’"])
    }

    @Test("smart encoding: a decomposed é becomes the GSM é")
    func smartCanonical() {
        let plan = SegmentPlanner.plan("e\u{301}te\u{301}", smartEncoding: true)
        #expect(plan.encoding == .gsm7)
        #expect(plan.text.unicodeScalars.map(\.value) == [0xE9, 0x74, 0xE9])
    }

    @Test("without smart encoding the text is sent as given")
    func noSmart() {
        let plan = SegmentPlanner.plan("l’été")
        #expect(plan.encoding == .ucs2)
        #expect(plan.text == "l’été")
        #expect(plan.replacements.isEmpty)
    }

    @Test("a plan survives JSON")
    func codable() throws {
        let plan = SegmentPlanner.plan("Bientôt 👍 " + String(repeating: "x", count: 80), smartEncoding: true)
        let data = try JSONEncoder().encode(plan)
        #expect(try JSONDecoder().decode(SegmentPlan.self, from: data) == plan)
    }
}

import Foundation
