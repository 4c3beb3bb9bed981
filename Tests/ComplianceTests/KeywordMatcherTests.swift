import Testing
@testable import Compliance

@Suite("KeywordMatcher")
struct KeywordMatcherTests {
    let matcher = KeywordMatcher()

    @Test("opt-outs: whole message or first word(s), any case, accents, punctuation, emoji", arguments: [
        ("Stop !", "STOP"), ("stop svp", "STOP"), ("ARRÊT", "ARRET"), ("Désabonner", "DESABONNER"),
        ("STOP SMS", "STOP SMS"), ("STOP", "STOP"), ("  stop  ", "STOP"), ("Stop.", "STOP"), ("STOP!!!", "STOP"),
        ("🛑 STOP 🛑", "STOP"), ("STOP🙏", "STOP"), ("ＳＴＯＰ", "STOP"), ("Arrêter", "ARRETER"), ("arrete", "ARRETE"),
        ("ARRÊT.", "ARRET"), ("désinscription", "DESINSCRIPTION"), ("Unsubscribe", "UNSUBSCRIBE"),
        ("opt-out", "OPTOUT"), ("Opt out please", "OPT OUT"), ("STOPALL", "STOPALL"), ("stop all", "STOP ALL"),
        ("Stop, merci", "STOP"), ("STOP\nMerci beaucoup", "STOP"), ("stop sms merci", "STOP SMS"),
        ("«Stop»", "STOP"), ("S\u{0301}top", "STOP"), ("Stop 👍🏽", "STOP"), ("stopsms", "STOPSMS"),
        ("Désinscrire", "DESINSCRIRE"), ("quit", "QUIT"), ("REVOKE", "REVOKE"), ("Cancel", "CANCEL"),
    ])
    func optOut(text: String, keyword: String) {
        #expect(matcher.classify(text) == .optOut(keyword: keyword))
    }

    @Test("a keyword elsewhere goes to review, never to opt-out", arguments: [
        ("don't stop", "STOP"), ("STOPPED by the shop?", "STOP"), ("Please stop sending", "STOP"),
        ("je veux me désabonner", "DESABONNER"), ("Arrêtez de m'écrire", "ARRET"), ("Don’t STOP me now", "STOP"),
        ("Merci, stop", "STOP"), ("Aide: stop", "STOP"), ("Yes STOP", "STOP"), ("how do I opt out", "OPT OUT"),
        ("Stopper les envois", "STOP"),
    ])
    func review(text: String, keyword: String) {
        #expect(matcher.classify(text) == .review(keyword: keyword))
    }

    @Test("ordinary messages match nothing", arguments: [
        "Bonjour, à quelle heure ouvrez-vous ?", "See you at the weekend", "quite good", "Yes see you tomorrow",
        "start again please", "", "   ", "🙂", "!!!", "Friendly reminder", "Calendar",
    ])
    func nothing(text: String) {
        #expect(matcher.classify(text) == .none)
    }

    @Test("opt-in only as the whole message", arguments: [
        ("START", "START"), ("start!", "START"), ("Activer", "ACTIVER"), ("Yes", "YES"), ("UNSTOP", "UNSTOP"),
    ])
    func optIn(text: String, keyword: String) {
        #expect(matcher.classify(text) == .optIn(keyword: keyword))
    }

    @Test("help keywords", arguments: [
        ("HELP", "HELP"), ("Aide ?", "AIDE"), ("info", "INFO"), ("Contact", "CONTACT"), ("aide svp", "AIDE"),
        ("Help me please", "HELP"),
    ])
    func help(text: String, keyword: String) {
        #expect(matcher.classify(text) == .help(keyword: keyword))
    }

    @Test("locales select the tables", arguments: [
        (["en"], "ARRET", KeywordMatch.none),
        (["en"], "ACTIVER", .none),
        (["en"], "AIDE", .none),
        (["en"], "STOP", .optOut(keyword: "STOP")),
        (["fr"], "YES", .none),
        (["fr"], "UNSUBSCRIBE", .optOut(keyword: "UNSUBSCRIBE")),
        (["fr"], "HELP", .help(keyword: "HELP")),
        (["fr-FR"], "ARRET", .optOut(keyword: "ARRET")),
        (["de"], "STOP", .none),
    ])
    func locales(locales: [String], text: String, expected: KeywordMatch) {
        #expect(KeywordMatcher(locales: locales).classify(text) == expected)
    }

    @Test("extra keywords of the installation")
    func extra() {
        let matcher = KeywordMatcher(extra: KeywordTable(optOut: ["ne plus recevoir"], help: ["Horaires"]))
        #expect(matcher.classify("Ne plus recevoir, merci") == .optOut(keyword: "NE PLUS RECEVOIR"))
        #expect(matcher.classify("je voudrais ne plus recevoir") == .review(keyword: "NE PLUS RECEVOIR"))
        #expect(matcher.classify("horaires ?") == .help(keyword: "HORAIRES"))
        #expect(matcher.classify("STOP") == .optOut(keyword: "STOP"))
    }

    @Test("whole-message rule sends first-word matches to review", arguments: [
        ("stop svp", KeywordMatch.review(keyword: "STOP")),
        ("STOP", .optOut(keyword: "STOP")),
        ("Stop !", .optOut(keyword: "STOP")),
        ("aide svp", .none),
    ])
    func wholeMessageRule(text: String, expected: KeywordMatch) {
        #expect(KeywordMatcher(rule: .wholeMessage).classify(text) == expected)
    }

    @Test("normalisation", arguments: [
        ("  Arrêt ! 🛑", "ARRET"), ("Stop   svp", "STOP SVP"), ("«désabonner»", "DESABONNER"),
        ("ＳＴＯＰ\tＳＭＳ", "STOP SMS"), ("...", ""), ("Ça\u{00A0}va", "CA VA"),
    ])
    func normalisation(text: String, expected: String) {
        #expect(KeywordNormaliser.normalise(text) == expected)
    }
}
