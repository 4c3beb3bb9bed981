import Testing
@testable import Compliance

/// Issue 14, item 2: French elisions, the US "any reasonable means" rule, the opt-in acknowledgement.
@Suite("Keyword wording (elisions, per-region opt-out rule)")
struct KeywordWordingTests {
    let matcher = KeywordMatcher()

    @Test("French elisions are split at ' and ’; English contractions stay whole", arguments: [
        ("Merci d'arrêter", ["MERCI", "D", "ARRETER"]),
        ("Merci d’arrêter", ["MERCI", "D", "ARRETER"]),
        ("j'arrête", ["J", "ARRETE"]),
        ("qu’on arrête", ["QU", "ON", "ARRETE"]),
        ("jusqu'à lundi", ["JUSQU", "A", "LUNDI"]),
        ("lorsqu'il", ["LORSQU", "IL"]),
        ("puisqu'elle", ["PUISQU", "ELLE"]),
        ("c'est, s'il, t'as, n'est, m'envoyer, l'arrêt", ["C", "EST", "S", "IL", "T", "AS", "N", "EST", "M", "ENVOYER", "L", "ARRET"]),
        ("don't stop", ["DONT", "STOP"]),
        ("Don’t, can't, it's, I'm", ["DONT", "CANT", "ITS", "IM"]),
        ("opt-out", ["OPTOUT"]),
    ])
    func words(text: String, expected: [String]) {
        #expect(KeywordNormaliser.words(text) == expected)
    }

    @Test("a stop verb after an elision is at least reviewed", arguments: [
        ("Merci d'arrêter de m'envoyer des SMS", "ARRETER"),
        ("Merci d’arrêter", "ARRETER"),
        ("j'arrête", "ARRETE"),
        ("J’arrête là", "ARRETE"),
        ("Il faut qu'on arrête", "ARRETE"),
        ("Je voudrais qu’on m'désinscrive", "DESINSCRI"),
    ])
    func elidedStopVerbIsReviewed(text: String, keyword: String) {
        #expect(matcher.classify(text) == .review(keyword: keyword))
        // The French rule stays strict whatever the sender's region is.
        #expect(matcher.classify(text, region: "FR") == .review(keyword: keyword))
    }

    @Test("an elided article before a keyword never makes an opt-out", arguments: [
        "l'arrêt de bus", "L’arrêt", "l'arrêt", "d'arrêt", "Je suis à l'arrêt de bus",
    ])
    func elisionIsNeverAnOptOut(text: String) {
        for region in [nil, "FR", "US"] as [String?] {
            let match = matcher.classify(text, region: region)
            if case .optOut = match { Issue.record("\"\(text)\" (\(region ?? "no region")) opted out") }
        }
    }

    @Test("US: any reasonable opt-out wording opts out (FCC 24-24)", arguments: [
        ("Please stop texting me", "PLEASE STOP"),
        ("Stop texting me", "STOP"),
        ("I said stop texting me", "STOP TEXTING"),
        ("unsubscribe me", "UNSUBSCRIBE"),
        ("remove me from your list", "REMOVE"),
        ("no more texts", "NO MORE TEXTS"),
        ("No more texts please!", "NO MORE TEXTS"),
        ("Hi, please don't text me again", "DONT TEXT"),
        ("I want to unsubscribe", "UNSUBSCRIBE"),
        ("how do I opt out", "OPT OUT"),
        ("Okay, please stop", "PLEASE STOP"),
        ("Help, stop sending these", "STOP SENDING"),
    ])
    func usReasonableMeans(text: String, keyword: String) {
        #expect(matcher.classify(text, region: "US") == .optOut(keyword: keyword))
    }

    @Test("France keeps keyword + review for the same wording", arguments: [
        ("Please stop texting me", KeywordMatch.review(keyword: "STOP")),
        ("no more texts", .none),
        ("I want to unsubscribe", .review(keyword: "UNSUBSCRIBE")),
        ("how do I opt out", .review(keyword: "OPT OUT")),
    ])
    func franceStaysStrict(text: String, expected: KeywordMatch) {
        #expect(matcher.classify(text, region: "FR") == expected)
        #expect(matcher.classify(text, region: nil) == expected)
        #expect(matcher.classify(text) == expected)
    }

    @Test("US: a negated wording or ordinary words do not opt out", arguments: [
        ("don't stop", KeywordMatch.review(keyword: "STOP")),
        ("Don't stop texting me, I love the deals", .review(keyword: "STOP")),
        ("See you at the end of May", .review(keyword: "END")),
        ("I need to cancel my appointment", .review(keyword: "CANCEL")),
        ("START", .optIn(keyword: "START")),
        ("HELP", .help(keyword: "HELP")),
        ("Thanks, see you soon", .none),
    ])
    func usNegationsAndOrdinaryWords(text: String, expected: KeywordMatch) {
        #expect(matcher.classify(text, region: "US") == expected)
    }

    @Test("the region rule is a table the installation can change")
    func regionRulesAreConfigurable() {
        let strictEverywhere = KeywordMatcher(regionRules: [:])
        #expect(strictEverywhere.classify("no more texts", region: "US") == .none)
        let canada = KeywordMatcher(regionRules: ["ca": .anyReasonableMeans])
        #expect(canada.classify("no more texts", region: "CA") == .optOut(keyword: "NO MORE TEXTS"))
        #expect(KeywordMatcher.defaultRegionRules == ["US": .anyReasonableMeans])
    }
}

@Suite("OptInAcknowledgement")
struct OptInAcknowledgementTests {
    let us = (try? PhoneNumber(e164: "+12025550143"))
    let fr = (try? PhoneNumber(e164: "+33612345678"))

    @Test("US: START after an opt-out is answered once; FR off by default")
    func defaults() throws {
        let us = try #require(us), fr = try #require(fr)
        let policy = OptInAcknowledgement()
        let text = policy.decide(.optIn(keyword: "START"), from: us, wasOptedOut: true, locale: "en", brand: "Crêperie Bleue")
        #expect(text == "Crêperie Bleue: you are subscribed again. Reply STOP to opt out.")
        #expect(policy.decide(.optIn(keyword: "UNSTOP"), from: us, wasOptedOut: false, locale: "en", brand: "B") == nil)
        #expect(policy.decide(.optOut(keyword: "STOP"), from: us, wasOptedOut: true, locale: "en", brand: "B") == nil)
        #expect(policy.decide(.optIn(keyword: "START"), from: fr, wasOptedOut: true, locale: "fr", brand: "B") == nil)
    }

    @Test("FR when the installation lists it, in French")
    func franceConfigured() throws {
        let fr = try #require(fr)
        let policy = OptInAcknowledgement(regions: ["us", "fr"])
        let text = try #require(policy.decide(.optIn(keyword: "START"), from: fr, wasOptedOut: true, locale: "fr-FR", brand: "B"))
        #expect(text.hasPrefix("B : réinscription"))
        #expect(text.contains("STOP"))
    }
}
