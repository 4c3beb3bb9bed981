import Compliance
import Foundation
import Logging
import Records
import Synchronization
@testable import Agent

/// Log lines captured for assertions (one box per test).
final class CapturedLog: Sendable {
    let lines = Mutex<[(Logger.Level, String)]>([])

    var logger: Logger {
        Logger(label: "test") { _ in CapturingHandler(box: self) }
    }

    func count(_ level: Logger.Level, containing text: String) -> Int {
        lines.withLock { $0.filter { $0.0 == level && $0.1.contains(text) }.count }
    }
}

struct CapturingHandler: LogHandler {
    let box: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        box.lines.withLock { $0.append((event.level, event.message.description)) }
    }
}

/// A dispatcher over a temporary data directory, with a fixed clock.
struct DispatcherFixture {
    let root: URL
    let data: DataDirectory
    let dispatcher: Dispatcher
    let configuration: AgentConfiguration
    let log = CapturedLog()
    let policy: SendPolicy

    /// Tuesday 3 March 2026, 10:00 in Paris: the fr sending window is open.
    static let openTime = Date(timeIntervalSince1970: 1_772_528_400)
    /// Sunday 1 March 2026, 15:00 in Paris: closed for marketing.
    static let sunday = Date(timeIntervalSince1970: 1_772_373_600)

    /// `advancing`: the clock starts at `now` and moves on in real time (for backoffs).
    init(now: Date = DispatcherFixture.openTime, advancing: Bool = false, openingBalance: Int = 100, configure: (inout AgentConfiguration) -> Void = { _ in }) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("dispatcher-\(UUID().uuidString)")
        var configuration = AgentConfiguration()
        configuration.dataDirectory = root.path
        configuration.sender.brand = "Boulangerie Martin"
        configuration.credits.openingBalance = openingBalance
        configure(&configuration)
        self.configuration = configuration
        data = try DataDirectory(path: root.path, options: .init(openingBalance: openingBalance))
        dispatcher = Dispatcher(outbox: data.outbox, ledger: data.ledger, optOuts: data.optOuts, configuration: configuration,
                                clock: advancing ? OffsetClock(startingAt: now) : FixedClock(now), logger: log.logger)
        policy = configuration.sendPolicy(stopNumber: try PhoneNumber.parse("+33600000001", defaultCountry: "FR"))
    }

    func enqueue(_ id: String, to: String = "0612345678", text: String = "Promo -20% ce week-end", class messageClass: MessageClass? = .marketing,
                 kind: String? = nil) throws {
        try data.outbox.enqueue(OutboxMessage(id: id, to: to, text: text, messageClass: messageClass, kind: kind))
    }

    func result(_ id: String) throws -> (OutboxFolder, SendResult?)? {
        try data.outbox.find(id).map { ($0.folder, $0.message.result) }
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

import Testing

@Suite struct DispatcherTests {
    @Test func marketingGetsTheFrenchFooterWithTheSIMNumber() async throws {
        let f = try DispatcherFixture()
        defer { f.remove() }
        try f.enqueue("m1")
        let job = try #require(await f.dispatcher.nextJob(modemID: "a", policy: f.policy))
        #expect(job.text == "Promo -20% ce week-end\nBoulangerie Martin. STOP au 0600000001")
        #expect(job.footerAdded)
        #expect(job.recipient.e164 == "+33612345678")
        #expect(job.reservedCredits == 1)
    }

    @Test func aBritishNumberGetsTheEnglishFooter() async throws {
        let f = try DispatcherFixture()
        defer { f.remove() }
        try f.enqueue("m1", to: "+447700900123")
        let job = try #require(await f.dispatcher.nextJob(modemID: "a", policy: f.policy))
        #expect(job.text.hasSuffix("Boulangerie Martin. Reply STOP to opt out"))
    }

    @Test func aNotificationHasNoFooter() async throws {
        let f = try DispatcherFixture()
        defer { f.remove() }
        try f.enqueue("n1", text: "Votre commande est prête", class: .notification)
        let job = try #require(await f.dispatcher.nextJob(modemID: "a", policy: f.policy))
        #expect(job.text == "Votre commande est prête")
        #expect(!job.footerAdded)
    }

    @Test func anOptedOutNumberIsSuppressedWithoutCredit() async throws {
        let f = try DispatcherFixture()
        defer { f.remove() }
        _ = try f.data.optOuts.record(OptOutEvent(number: "+33612345678", event: .optout, keyword: "STOP", source: "test"))
        try f.enqueue("m1", to: "06 12 34 56 78")
        #expect(await f.dispatcher.nextJob(modemID: "a", policy: f.policy) == nil)
        let (folder, result) = try #require(try f.result("m1"))
        #expect(folder == .failed)
        #expect(result?.status == .suppressed)
        #expect(try f.data.ledger.available() == 100)
        #expect(try f.data.ledger.rows().isEmpty)
    }

    @Test func aConfirmationReachesAnOptedOutNumberAtOnceWithoutFooter() async throws {
        let f = try DispatcherFixture(now: DispatcherFixture.sunday)
        defer { f.remove() }
        _ = try f.data.optOuts.record(OptOutEvent(number: "+33612345678", event: .optout, keyword: "STOP", source: "test"))
        try f.enqueue("c1", text: "Boulangerie Martin : désinscription prise en compte.", class: .notification, kind: "confirmation")
        let job = try #require(await f.dispatcher.nextJob(modemID: "a", policy: f.policy))
        #expect(!job.footerAdded)
    }

    @Test func anInvalidNumberFailsWithTheReason() async throws {
        let f = try DispatcherFixture()
        defer { f.remove() }
        try f.enqueue("bad", to: "06 12 34")
        try f.enqueue("good")
        let job = try #require(await f.dispatcher.nextJob(modemID: "a", policy: f.policy))
        #expect(job.id == "good", "the claim goes on past the invalid one")
        let (folder, result) = try #require(try f.result("bad"))
        #expect(folder == .failed)
        #expect(result?.status == .failed)
        #expect(result?.reason?.contains("invalid number") == true)
    }

    @Test func marketingOnASundayIsHeldUntilMondayMorningButNotificationsGo() async throws {
        let f = try DispatcherFixture(now: DispatcherFixture.sunday, configure: { $0.compliance.quietHours = .fr })
        defer { f.remove() }
        try f.enqueue("1-marketing")
        try f.enqueue("2-notification", class: .notification)
        let job = try #require(await f.dispatcher.nextJob(modemID: "a", policy: f.policy))
        #expect(job.id == "2-notification")
        let held = try #require(try f.data.outbox.find("1-marketing"))
        #expect(held.folder == .queued)   // put back by the agent: its own queue, not the drop box
        // Monday 2 March 2026, 08:00 in Paris.
        #expect(held.message.notBefore == Date(timeIntervalSince1970: 1_772_434_800))
        #expect(await f.dispatcher.nextJob(modemID: "a", policy: f.policy) == nil)
    }

    @Test func exhaustedCreditsKeepMessagesQueuedAndWarnOnce() async throws {
        let f = try DispatcherFixture(openingBalance: 1)
        defer { f.remove() }
        let long = String(repeating: "Une offre exceptionnelle. ", count: 8)   // two segments
        try f.enqueue("1-long", text: long)
        try f.enqueue("2-long", text: long)
        #expect(await f.dispatcher.nextJob(modemID: "a", policy: f.policy) == nil)
        #expect(await f.dispatcher.waitingForCredits)
        #expect(await f.dispatcher.nextJob(modemID: "b", policy: f.policy) == nil)
        #expect(try f.data.outbox.counts() == OutboxCounts(new: 2))
        #expect(f.log.count(.warning, containing: "credits exhausted") == 1)
        #expect(try f.data.ledger.rows().isEmpty)
    }

    @Test func anAcceptedPartIsOneLedgerRowAndTheMessageEndsInSent() async throws {
        let f = try DispatcherFixture()
        defer { f.remove() }
        try f.enqueue("m1")
        let job = try #require(await f.dispatcher.nextJob(modemID: "a", policy: f.policy))
        try await f.dispatcher.willSubmit(job, part: 1, modem: "a", concatReference: 7)
        try await f.dispatcher.accepted(job, part: 1, reference: 42, modem: "a")
        try await f.dispatcher.sent(job, modem: "a", references: [42], assumed: false)
        let rows = try f.data.ledger.rows()
        #expect(rows.count == 1)
        #expect(rows.first?.refs == [42])
        #expect(try f.data.ledger.balance() == 99)
        #expect(try f.result("m1")?.0 == .sent)
    }

    @Test func aMessageThatKeepsFailingEndsInFailedAfterTheConfiguredAttempts() async throws {
        let f = try DispatcherFixture(configure: { $0.sending.retry.maxAttemptsPerMessage = 2 })
        defer { f.remove() }
        try f.enqueue("m1")
        for _ in 0..<2 {
            let job = try #require(await f.dispatcher.nextJob(modemID: "a", policy: f.policy))
            try await f.dispatcher.retryLater(job, modem: "a", reason: "+CMS ERROR 500", backoff: .zero)
        }
        let (folder, result) = try #require(try f.result("m1"))
        #expect(folder == .failed)
        #expect(result?.reason?.contains("after 2 attempts") == true)
        #expect(try f.data.ledger.available() == 100, "reservations released")
    }
}

/// Issue 11 (group commit): the last part's acceptance is written with the message's result (one
/// write of the spool, its ledger row flushed meanwhile and before the message is filed) — or, if
/// the message takes another way, by whatever settles it: never dropped. A middle part's acceptance is written at once (a stop
/// while the next prompt is awaited must not leave it unanswered: `PromptMarkerCrashTests`).
@Suite struct AcceptanceWithTheResultTests {
    let long = String(repeating: "Une offre exceptionnelle. ", count: 8)   // two segments

    @Test func theLastAcceptanceGoesWithTheResult() async throws {
        let f = try DispatcherFixture()
        defer { f.remove() }
        try f.enqueue("m1", text: long, class: .notification)
        let job = try #require(await f.dispatcher.nextJob(modemID: "a", policy: f.policy))
        try await f.dispatcher.willSubmit(job, part: 1, modem: "a", concatReference: 3)
        try await f.dispatcher.accepted(job, part: 1, reference: 10, modem: "a")
        #expect(try f.data.outbox.find("m1")?.message.attempts.map(\.status) == [.accepted], "a middle part: at once")
        try await f.dispatcher.willSubmit(job, part: 2, modem: "a", concatReference: 3)
        try await f.dispatcher.accepted(job, part: 2, reference: 11, modem: "a", completesMessage: true)
        #expect(try !f.data.ledger.isCommitted(messageID: "m1", part: 2), "the row goes with the result")
        #expect(try f.data.outbox.find("m1")?.message.attempts.map(\.status) == [.accepted, nil], "the acceptance waits for the result")
        try await f.dispatcher.sent(job, modem: "a", references: [10, 11], assumed: false)
        let (folder, message) = try #require(try f.data.outbox.find("m1"))
        #expect(folder == .sent)
        #expect(message.attempts.map(\.status) == [.accepted, .accepted])
        #expect(message.acceptedReferences == [10, 11])
        #expect(try f.data.ledger.rows().map(\.part) == [1, 2])
        #expect(try f.data.ledger.balance() == 100 - f.data.ledger.rows().reduce(0) { $0 + $1.credits })
        #expect(try f.data.ledger.available() == f.data.ledger.balance(), "the reservation released")
    }

    @Test func theLastAcceptanceIsWrittenWhenTheMessageGoesBackToTheQueue() async throws {
        let f = try DispatcherFixture()
        defer { f.remove() }
        try f.enqueue("m1", text: long, class: .notification)
        let job = try #require(await f.dispatcher.nextJob(modemID: "a", policy: f.policy))
        for part in 1...2 {
            try await f.dispatcher.willSubmit(job, part: part, modem: "a", concatReference: 3)
            try await f.dispatcher.accepted(job, part: part, reference: 9 + part, modem: "a", completesMessage: part == 2)
        }
        try await f.dispatcher.giveBack(job)
        let (folder, message) = try #require(try f.data.outbox.find("m1"))
        #expect(folder == .queued)
        #expect(message.partsDone == [1, 2], "no part is sent twice")
        #expect(message.acceptedReferences == [10, 11])
        #expect(try f.data.ledger.rows().map(\.part) == [1, 2], "both parts charged")
    }
}

@Suite struct LedgerOnModemSwitchTests {
    @Test func aPartSentAgainByAnotherModemIsChargedAgain() async throws {
        let f = try DispatcherFixture()
        defer { f.remove() }
        let long = String(repeating: "Une offre exceptionnelle. ", count: 8)   // two segments
        try f.enqueue("m1", text: long, class: .notification)
        // Modem a sends part 1, then disappears.
        let first = try #require(await f.dispatcher.nextJob(modemID: "a", policy: f.policy))
        try await f.dispatcher.willSubmit(first, part: 1, modem: "a", concatReference: 1)
        try await f.dispatcher.accepted(first, part: 1, reference: 10, modem: "a")
        try await f.dispatcher.retryLater(first, modem: "a", reason: "port closed", backoff: .zero)
        // Modem b takes it and sends it whole (a phone reassembles parts of one sender only).
        let second = try #require(await f.dispatcher.nextJob(modemID: "b", policy: f.policy))
        #expect(second.doneParts.isEmpty)
        for part in 1...2 {
            try await f.dispatcher.willSubmit(second, part: part, modem: "b", concatReference: 2)
            try await f.dispatcher.accepted(second, part: part, reference: 20 + part, modem: "b")
        }
        try await f.dispatcher.sent(second, modem: "b", references: [21, 22], assumed: false)
        let rows = try f.data.ledger.rows()
        #expect(rows.reduce(0) { $0 + $1.segments } == 3, "three segments left the modems")
        #expect(try f.data.ledger.balance() == 97)
    }
}
