import Foundation
import SMSCodec
import Testing
@testable import Compliance

@Suite("SendPolicy")
struct SendPolicyTests {
    let policy = SendPolicy(footer: FooterPolicy(brand: "Chez Léa", stopNumber: number("+33612345678")),
                            quietHoursByRegion: SendPolicy.suggestedQuietHoursByRegion)
    let mondayMorning = local("2026-11-30 10:00")
    let sunday = local("2026-11-29 12:00")

    func request(_ text: String = "Soldes ce week-end", to recipient: PhoneNumber = frenchRecipient,
                 class messageClass: MessageClass? = nil, optedOut: Bool = false, confirmation: Bool = false) -> SendRequest {
        SendRequest(recipient: recipient, text: text, class: messageClass, optedOut: optedOut, isConfirmation: confirmation)
    }

    @Test("marketing in the window: sent with the footer")
    func marketingSent() {
        let decision = policy.decide(request(class: .marketing), now: mondayMorning)
        guard case .send(let text, let plan, let footerAdded) = decision else {
            Issue.record("expected send, got \(decision)")
            return
        }
        #expect(text == "Soldes ce week-end\nChez Léa. STOP au 0612345678")
        #expect(plan.text == text)
        #expect(footerAdded)
    }

    @Test("the installation mode gives the class of a message without one")
    func defaultClass() {
        #expect(policy.decide(request(), now: sunday)
                == .hold(until: local("2026-11-30 08:00"), reason: .quietHours(preset: "fr", timeZones: ["Europe/Paris"])))
        var notifications = policy
        notifications.mode = .notification
        guard case .send(_, _, let footerAdded) = notifications.decide(request(), now: sunday) else {
            Issue.record("a notification installation sends at once")
            return
        }
        #expect(!footerAdded)
    }

    @Test("marketing in quiet hours is held until the recipient's next opening", arguments: [
        ("2026-11-29 12:00", "2026-11-30 08:00"), ("2026-11-28 20:00", "2026-11-30 08:00"),
        ("2026-04-05 10:00", "2026-04-07 08:00"), ("2026-11-30 07:00", "2026-11-30 08:00"),
    ])
    func marketingHeld(now: String, until: String) {
        #expect(policy.decide(request(class: .marketing), now: local(now))
                == .hold(until: local(until), reason: .quietHours(preset: "fr", timeZones: ["Europe/Paris"])))
    }

    @Test("notifications go at any hour, without footer")
    func notificationAnyHour() {
        let decision = policy.decide(request("Votre commande est prête", class: .notification), now: sunday)
        #expect(decision == .send(text: "Votre commande est prête",
                                  plan: SegmentPlanner.plan("Votre commande est prête"), footerAdded: false))
    }

    @Test("the footer switch puts the footer on notifications")
    func footerOnNotifications() {
        var switched = policy
        switched.footerOnNotifications = true
        guard case .send(let text, _, true) = switched.decide(request(class: .notification), now: sunday) else {
            Issue.record("expected a footed notification")
            return
        }
        #expect(text.hasSuffix("STOP au 0612345678"))
    }

    @Test("confirmations: at once, no footer, even to an opted-out number in quiet hours")
    func confirmation() {
        let text = ConfirmationTexts().text(locale: "fr", brand: "Chez Léa")
        let decision = policy.decide(request(text, class: .marketing, optedOut: true, confirmation: true), now: sunday)
        #expect(decision == .send(text: text, plan: SegmentPlanner.plan(text), footerAdded: false))
    }

    @Test("opted out: marketing suppressed; notifications go, except where a STOP revokes all (US)", arguments: [
        ("+33698765432", MessageClass.marketing, true),
        ("+33698765432", .notification, false),
        ("+447700900123", .notification, false),
        ("+14155550123", .notification, true),
        ("+14155550123", .marketing, true),
    ])
    func optedOut(recipient: String, messageClass: MessageClass, suppressed: Bool) {
        let decision = policy.decide(request(to: number(recipient), class: messageClass, optedOut: true), now: mondayMorning)
        if suppressed {
            #expect(decision == .suppress(reason: .optedOut(class: messageClass)))
        } else if case .suppress = decision {
            Issue.record("\(recipient) \(messageClass) should not be suppressed")
        }
    }

    @Test("empty text, invalid numbers and runaway lengths are rejected")
    func rejections() {
        #expect(policy.decide(request(""), now: mondayMorning) == .reject(reason: .emptyText))
        #expect(policy.decide(request(" \n "), now: mondayMorning) == .reject(reason: .emptyText))
        let invalid = policy.decide(to: "06 12 AB", defaultCountry: "FR", text: "Hello", now: mondayMorning) { _ in false }
        #expect(invalid == .reject(reason: .invalidNumber(.containsLetters(input: "06 12 AB"))))
        let long = String(repeating: "x", count: 153 * 11)
        #expect(policy.decide(request(long, class: .notification), now: mondayMorning)
                == .reject(reason: .tooManySegments(count: 11, maximum: 10)))
    }

    @Test("the raw-number entry point asks the registry with the E.164 number")
    func rawEntryPoint() {
        let optedOut: Set<PhoneNumber> = [frenchRecipient]
        for raw in ["06 98 76 54 32", "+33 6 98 76 54 32", "0033698765432"] {
            let decision = policy.decide(to: raw, defaultCountry: "FR", text: "Promo", class: .marketing,
                                         now: mondayMorning) { optedOut.contains($0) }
            #expect(decision == .suppress(reason: .optedOut(class: .marketing)), "\(raw)")
        }
    }

    @Test("quiet hours are the recipient's: a US number waits until 09:00 in every US zone")
    func usRecipient() {
        // 14:00 UTC = 09:00 New York, 06:00 Los Angeles → opens 09:00 Los Angeles = 17:00 UTC.
        let decision = policy.decide(request(to: number("+14155550123"), class: .marketing), now: utc("2026-11-30 14:00"))
        guard case .hold(let until, .quietHours(let preset, let zones)) = decision else {
            Issue.record("expected hold, got \(decision)")
            return
        }
        #expect(until == utc("2026-11-30 17:00"))
        #expect(preset == "us")
        #expect(zones.contains("America/Los_Angeles"))
        // Hawaii numbers follow Honolulu only: 19:00 UTC = 09:00 HST.
        let hawaii = policy.decide(request(to: number("+18085550123"), class: .marketing), now: utc("2026-11-30 14:00"))
        #expect(hawaii == .hold(until: utc("2026-11-30 19:00"), reason: .quietHours(preset: "us", timeZones: ["Pacific/Honolulu"])))
    }

    @Test("a Réunion recipient follows Réunion time with the French preset")
    func reunion() {
        // 10:00 Paris = 13:00 Réunion (UTC+4): open. 18:00 Paris = 21:00 Réunion: closed until 08:00 Réunion.
        let recipient = number("+262692123456")
        guard case .send = policy.decide(request(to: recipient, class: .marketing), now: mondayMorning) else {
            Issue.record("expected send")
            return
        }
        #expect(policy.decide(request(to: recipient, class: .marketing), now: local("2026-11-30 18:00"))
                == .hold(until: local("2026-12-01 08:00", "Indian/Reunion"),
                         reason: .quietHours(preset: "fr", timeZones: ["Indian/Reunion"])))
    }
}

@Suite("ConfirmationTexts")
struct ConfirmationTextsTests {
    @Test("defaults per locale, brand filled, fallback to English", arguments: [
        ("fr", "Chez Léa : désinscription prise en compte. Vous ne recevrez plus de SMS de notre part."),
        ("fr-FR", "Chez Léa : désinscription prise en compte. Vous ne recevrez plus de SMS de notre part."),
        ("en", "Chez Léa: you are unsubscribed and will receive no further messages. Reply START to resubscribe."),
        ("de", "Chez Léa: you are unsubscribed and will receive no further messages. Reply START to resubscribe."),
    ])
    func confirmation(locale: String, expected: String) {
        #expect(ConfirmationTexts().text(locale: locale, brand: "Chez Léa") == expected)
    }

    @Test("help replies name the brand and how to stop", arguments: ["fr", "en"])
    func help(locale: String) {
        let text = ConfirmationTexts().helpText(locale: locale, brand: "Chez Léa")
        #expect(text.hasPrefix("Chez Léa"))
        #expect(text.contains("STOP"))
        #expect(KeywordMatcher().classify(text) == .review(keyword: "STOP"))
    }

    @Test("the default texts are GSM 7-bit and fit one SMS")
    func gsm() {
        for locale in ["fr", "en"] {
            for text in [ConfirmationTexts().text(locale: locale, brand: "Chez Léa"),
                         ConfirmationTexts().helpText(locale: locale, brand: "Chez Léa")] {
                let plan = SegmentPlanner.plan(text)
                #expect(plan.encoding == .gsm7, "\(text)")
                #expect(plan.segmentCount == 1, "\(text)")
            }
        }
    }
}
