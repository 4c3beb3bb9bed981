import Foundation
import Testing
@testable import Agent

@Suite struct SIMThrottleTests {
    let paris = TimeZone(identifier: "Europe/Paris") ?? .current
    let t0 = Date(timeIntervalSince1970: 1_772_528_400)   // Tuesday 10:00 Paris

    @Test func theMinimumIntervalSpacesMessages() {
        var throttle = SIMThrottle(settings: ThrottleSettings(minInterval: .seconds(3), dailyCap: 0), timeZone: paris, now: t0)
        #expect(throttle.verdict(now: t0) == .go)
        throttle.recordSend(at: t0)
        #expect(throttle.verdict(now: t0.addingTimeInterval(1)) == .waitUntil(t0.addingTimeInterval(3)))
        #expect(throttle.verdict(now: t0.addingTimeInterval(3)) == .go)
    }

    @Test func theDailyCapStopsTheSIMUntilMidnightLocalTime() {
        var throttle = SIMThrottle(settings: ThrottleSettings(minInterval: .zero, dailyCap: 2), timeZone: paris, now: t0)
        throttle.recordSend(at: t0)
        throttle.recordSend(at: t0.addingTimeInterval(1))
        let midnight = Date(timeIntervalSince1970: 1_772_578_800)   // Wednesday 00:00 Paris
        #expect(throttle.verdict(now: t0.addingTimeInterval(2)) == .capReached(until: midnight))
        #expect(throttle.verdict(now: midnight) == .go)
        #expect(throttle.sentToday == 0)
    }

    @Test func aMultipartMessageCountsEachSMS() {
        var throttle = SIMThrottle(settings: ThrottleSettings(minInterval: .seconds(3), dailyCap: 200), timeZone: paris, now: t0)
        throttle.recordSend(at: t0, segments: 3)
        #expect(throttle.sentToday == 3)
        #expect(throttle.verdict(now: t0.addingTimeInterval(8)) == .waitUntil(t0.addingTimeInterval(9)))
    }

    @Test func zeroMeansOff() {
        var throttle = SIMThrottle(settings: ThrottleSettings(minInterval: .zero, dailyCap: 0), timeZone: paris, now: t0)
        for i in 0..<1000 { throttle.recordSend(at: t0.addingTimeInterval(Double(i) * 0.001)) }
        #expect(throttle.verdict(now: t0.addingTimeInterval(1)) == .go)
    }

    @Test func aRestartKeepsTodaysCount() {
        var throttle = SIMThrottle(settings: ThrottleSettings(minInterval: .zero, dailyCap: 200), timeZone: paris, sentToday: 200, now: t0)
        if case .capReached = throttle.verdict(now: t0) {} else { Issue.record("cap not kept across a restart") }
    }
}

@Suite struct ModemHealthTests {
    @Test func failuresClimbTheLadderAndASuccessClearsIt() {
        var settings = RetrySettings()
        settings.attemptsBeforeReinitialise = 2
        settings.reinitialisationsBeforeReset = 1
        settings.resetsBeforeUnhealthy = 1
        settings.initialBackoff = .seconds(1)
        settings.maxBackoff = .seconds(60)
        settings.unhealthyRetryInterval = .seconds(300)
        var health = ModemHealth(settings: settings)
        let ladder = (0..<6).map { _ in health.failed() }
        #expect(ladder == [.retry(after: .seconds(1)), .reinitialise, .retry(after: .seconds(1)), .reset,
                           .retry(after: .seconds(1)), .markUnhealthy(retryAfter: .seconds(300))])
        #expect(health.state == .unhealthy)
        health.succeeded()
        #expect(health.state == .healthy)
        #expect(health.failed() == .retry(after: .seconds(1)))
    }

    @Test func backoffDoublesUpToTheMaximum() {
        var settings = RetrySettings()
        settings.initialBackoff = .seconds(1)
        settings.maxBackoff = .seconds(5)
        let health = ModemHealth(settings: settings)
        #expect((1...5).map { health.backoff($0) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
    }
}

@Suite struct CampaignFileTests {
    @Test func thePhoneColumnIsFoundAndOtherColumnsAreValues() throws {
        let file = try CampaignFile.parse("Name,Mobile,City\nMarie,0612345678,\"Lyon, 3e\"\n\nPaul,+33612345679,Paris\n")
        #expect(file.phoneColumn == "Mobile")
        #expect(file.rows.map(\.phone) == ["0612345678", "+33612345679"])
        #expect(file.rows.map(\.line) == [2, 4])
        #expect(file.rows.first?.values["City"] == "Lyon, 3e")
    }

    @Test func semicolonSeparatedFilesFromSpreadsheetsAreRead() throws {
        let file = try CampaignFile.parse("\u{FEFF}téléphone;prénom\n0612345678;Léa\n")
        #expect(file.rows.first?.values["prénom"] == "Léa")
    }

    @Test func aFileWithoutPhoneColumnSaysWhatToDo() {
        #expect(throws: CampaignError.self) { try CampaignFile.parse("name,city\nMarie,Lyon\n") }
    }

    @Test func aRowWithTooManyFieldsNamesItsLine() {
        do {
            _ = try CampaignFile.parse("phone\n0612345678\n0612345679,extra\n", file: "x.csv")
            Issue.record("accepted")
        } catch let error as CampaignError {
            #expect(error.description.hasPrefix("x.csv:3:"))
        } catch { Issue.record("\(error)") }
    }

    @Test func templatesFillPlaceholdersAndRejectUnknownColumns() throws {
        let template = try MessageTemplate("Bonjour {name}, {{code}} {city}!")
        #expect(template.render(["name": "Marie", "city": "Lyon"]) == "Bonjour Marie, {code} Lyon!")
        #expect(throws: TemplateError.self) { try template.validate(columns: ["name", "phone"]) }
        #expect(throws: TemplateError.self) { try MessageTemplate("Bonjour {name") }
    }
}

@Suite struct MessagePreviewTests {
    func configuration() -> AgentConfiguration {
        var configuration = AgentConfiguration()
        configuration.sender.brand = "Boulangerie Martin"
        configuration.sender.stopNumber = "+33600000001"
        configuration.compliance.quietHours = .none
        return configuration
    }

    @Test func countsSuppressedAndInvalidBeforeSpendingAnything() throws {
        let optedOut = "+33612345679"
        let preview = try MessagePreview.compute(
            messages: [(2, "0612345678", "Promo"), (3, optedOut, "Promo"), (4, "06 12", "Promo")],
            messageClass: .marketing, configuration: configuration(), now: Date()) { $0.e164 == optedOut }
        #expect(preview.summary.willSend == 1)
        #expect(preview.summary.optedOut == 1)
        #expect(preview.summary.invalid == 1)
        #expect(preview.summary.credits == 1)
        #expect(preview.recipients.map(\.verdict) == ["send", "suppressed", "invalid"])
    }

    @Test func showsTheCostOfTheFooterAndTheCharactersThatForceUCS2() throws {
        let text = String(repeating: "a", count: 150)
        let preview = try MessagePreview.compute(messages: [(nil, "0612345678", text), (nil, "0612345679", "Croissants frais 🥐")],
                                                 messageClass: .marketing, configuration: configuration(), now: Date()) { _ in false }
        #expect(preview.recipients[0].segmentsWithoutFooter == 1)
        #expect(preview.recipients[0].segments == 2, "the footer costs a segment")
        #expect(preview.recipients[1].encoding == "ucs2")
        #expect(preview.recipients[1].nonGSMCharacters == ["🥐"])
        #expect(preview.summary.creditsWithoutFooter == 2)
    }
}
