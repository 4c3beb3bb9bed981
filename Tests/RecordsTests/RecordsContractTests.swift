import Compliance
import Foundation
import Testing
@testable import Records

/// What every `Records` backend promises (the protocols' contract), each test run on the files
/// and on PostgreSQL (`SMSAGENT_TEST_POSTGRES_URL`; see `TestDatabase`).
@Suite struct RecordsContractTests {
    static let number = "+33612345678"
    static func phone(_ e164: String = number) throws -> PhoneNumber { try PhoneNumber.parse(e164, defaultCountry: "FR") }

    // MARK: Outbox

    @Test(arguments: RecordsBackend.allCases)
    func aQueuedMessageIsClaimedWhole(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend)
        let message = OutboxMessage(id: "20261129T100000000Z-00000001", to: Self.number, text: "Soldes d’hiver, 20 % !",
                                    messageClass: .marketing, campaign: "winter", createdAt: .fixed())
        try records.outbox.enqueue(message)
        #expect(try records.outbox.counts() == OutboxCounts(new: 1))
        let claimed = try #require(try records.outbox.claimNext(now: .fixed()))
        #expect(claimed.message == message)
        #expect(try records.outbox.counts() == OutboxCounts(sending: 1))
        #expect(try records.outbox.claimNext(now: .fixed()) == nil)
        #expect(try records.outbox.find(message.id)?.folder == .sending)
    }

    @Test(arguments: RecordsBackend.allCases)
    func claimsOldestFirst(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend)
        let ids = (0..<5).map { OutboxMessage.makeID(now: .fixed(Double($0))) }
        for id in ids.reversed() { try records.outbox.enqueue(OutboxMessage(id: id, to: Self.number, text: id, createdAt: .fixed())) }
        var claimed: [String] = []
        while let next = try records.outbox.claimNext(now: .fixed(60)) { claimed.append(next.message.id) }
        #expect(claimed == ids)
    }

    @Test(arguments: RecordsBackend.allCases)
    func aHeldMessageWaitsForItsTime(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend)
        try records.outbox.enqueue(OutboxMessage(id: "a", to: Self.number, text: "later", createdAt: .fixed(), notBefore: .fixed(3600)))
        try records.outbox.enqueue(OutboxMessage(id: "b", to: Self.number, text: "now", createdAt: .fixed()))
        #expect(try records.outbox.claimNext(now: .fixed())?.message.id == "b")
        #expect(try records.outbox.claimNext(now: .fixed()) == nil)
        #expect(try records.outbox.earliestHeldUntil() == .fixed(3600))
        #expect(try records.outbox.claimNext(now: .fixed(3600))?.message.id == "a")
    }

    @Test(arguments: RecordsBackend.allCases)
    func anIDNamesOneMessageForEver(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend)
        try records.outbox.enqueue(OutboxMessage(id: "once", to: Self.number, text: "a", createdAt: .fixed()))
        _ = try records.outbox.claimNext(now: .fixed())
        #expect(throws: RecordsError.self) {
            try records.outbox.enqueue(OutboxMessage(id: "once", to: Self.number, text: "again", createdAt: .fixed()))
        }
        #expect(throws: RecordsError.self) {
            try records.outbox.enqueue(OutboxMessage(id: "../escape", to: Self.number, text: "x", createdAt: .fixed()))
        }
    }

    @Test(arguments: RecordsBackend.allCases)
    func aSentMessageKeepsItsAttemptsAndResult(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend)
        try records.outbox.enqueue(OutboxMessage(id: "m", to: Self.number, text: "two parts", createdAt: .fixed()))
        _ = try #require(try records.outbox.claimNext(now: .fixed()))
        try records.outbox.recordAttempt("m", SendAttempt(part: 1, parts: 2, modem: "sim1", startedAt: .fixed(1), concatReference: 7, promptSeenAt: .fixed(1)))
        try records.outbox.recordPartAccepted("m", part: 1, reference: 41, at: .fixed(2),
                                              next: SendAttempt(part: 2, parts: 2, modem: "sim1", startedAt: .fixed(2), concatReference: 7, promptSeenAt: .fixed(2)))
        try records.outbox.recordPartAccepted("m", part: 2, reference: 42, at: .fixed(3), next: nil)
        try records.outbox.recordPartAccepted("m", part: 2, reference: 42, at: .fixed(3), next: nil)   // idempotent
        try records.outbox.complete("m", result: SendResult(status: .sent, refs: [41, 42], modem: "sim1", segments: 2, credits: 2,
                                                            finishedAt: .fixed(4)), sentText: "two parts. STOP au 06")
        let found = try #require(try records.outbox.find("m"))
        #expect(found.folder == .sent)
        #expect(found.message.attempts.map(\.status) == [.accepted, .accepted])
        #expect(found.message.acceptedReferences == [41, 42])
        #expect(found.message.result?.refs == [41, 42])
        #expect(found.message.sentText == "two parts. STOP au 06")
        #expect(try records.outbox.counts() == OutboxCounts(sent: 1))
        #expect(throws: (any Error).self) { try records.outbox.recordAttempt("m", SendAttempt(part: 1, parts: 1, modem: "sim1")) }
    }

    @Test(arguments: RecordsBackend.allCases)
    func anAnswerWithoutAnAttemptIsRefused(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend)
        try records.outbox.enqueue(OutboxMessage(id: "m", to: Self.number, text: "x", createdAt: .fixed()))
        _ = try records.outbox.claimNext(now: .fixed())
        #expect(throws: RecordsError.self) { try records.outbox.recordPartAccepted("m", part: 1, reference: 1, at: .fixed(), next: nil) }
        #expect(throws: RecordsError.self) { try records.outbox.recordPartOutcome("m", part: 1, status: .rejected, reason: "x", at: .fixed()) }
        #expect(throws: RecordsError.self) { try records.outbox.recordAttempt("m", SendAttempt(part: 3, parts: 2, modem: "sim1")) }
    }

    @Test(arguments: RecordsBackend.allCases)
    func aRequeuedMessageComesBackAtItsTime(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend)
        try records.outbox.enqueue(OutboxMessage(id: "m", to: Self.number, text: "x", createdAt: .fixed()))
        _ = try records.outbox.claimNext(now: .fixed())
        try records.outbox.recordAttempt("m", SendAttempt(part: 1, parts: 1, modem: "sim1", startedAt: .fixed()))
        try records.outbox.recordPartRejected("m", part: 1, reason: "+CMS ERROR: 500", at: .fixed(1))
        try records.outbox.requeue("m", notBefore: .fixed(30))
        #expect(try records.outbox.claimNext(now: .fixed(10)) == nil)
        let again = try #require(try records.outbox.claimNext(now: .fixed(30)))
        #expect(again.message.attempts.map(\.status) == [.rejected])
        #expect(again.message.notBefore == .fixed(30))
    }

    /// After a stop with a part written and unanswered (the ambiguous window), a restart settles
    /// the message by the policy — the same rule on both backends.
    @Test(arguments: RecordsBackend.allCases, [AmbiguousSendPolicy.assumeSent, .resend, .fail])
    func aRestartSettlesTheAmbiguousWindowByThePolicy(_ backend: RecordsBackend, _ policy: AmbiguousSendPolicy) throws {
        let records = try RecordsUnderTest(backend)
        for id in ["written", "not-written", "untouched"] {
            try records.outbox.enqueue(OutboxMessage(id: id, to: Self.number, text: id, createdAt: .fixed()))
        }
        for _ in 0..<3 { _ = try records.outbox.claimNext(now: .fixed()) }
        try records.outbox.recordAttempt("written", SendAttempt(part: 1, parts: 2, modem: "sim1", startedAt: .fixed(), concatReference: 9, promptSeenAt: .fixed()))
        try records.outbox.recordPartAccepted("written", part: 1, reference: 10, at: .fixed(1),
                                              next: SendAttempt(part: 2, parts: 2, modem: "sim1", startedAt: .fixed(1), concatReference: 9, promptSeenAt: .fixed(1)))
        try records.outbox.recordAttempt("not-written", SendAttempt(part: 1, parts: 1, modem: "sim1", startedAt: .fixed()))

        let restarted = try records.reopened()
        let report = try restarted.outbox.recoverAfterCrash(policy: policy)
        let entries = Dictionary(uniqueKeysWithValues: report.entries.map { ($0.id, $0) })
        #expect(entries["untouched"]?.action == .requeued)
        #expect(entries["not-written"]?.action == .requeued)
        #expect(entries["not-written"]?.ambiguousParts == [])
        let written = try #require(entries["written"])
        #expect(written.ambiguousParts == [2])
        #expect(written.acceptedParts.map(\.part) == [1])
        let stored = try #require(try restarted.outbox.find("written"))
        switch policy {
        case .assumeSent:
            #expect(written.action == .sent)
            #expect(stored.folder == .sent)
            #expect(stored.message.attempts.last?.status == .assumedSent)
        case .resend:
            #expect(written.action == .requeued)
            #expect(stored.message.attempts.last?.status == .interrupted)
        case .fail:
            #expect(written.action == .failed)
            #expect(stored.folder == .failed)
        }
        #expect(try restarted.outbox.find("not-written")?.message.attempts.map(\.status) == [.rejected])
        #expect(try restarted.outbox.counts().sending == 0)
    }

    // MARK: Opt-outs

    @Test(arguments: RecordsBackend.allCases)
    func theLatestEventDecides(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend)
        let number = try Self.phone()
        #expect(try records.optOuts.isOptedOut(number) == false)
        #expect(try records.optOuts.state(of: number) == nil)
        try records.optOuts.optOut(number, keyword: "STOP", modem: "sim1", source: "sms:abc", at: .fixed())
        #expect(try records.optOuts.isOptedOut(number))
        #expect(try records.optOuts.optedOutCount() == 1)
        try records.optOuts.optIn(number, keyword: "START", source: "cli", at: .fixed(60))
        #expect(try records.optOuts.isOptedOut(number) == false)
        #expect(try records.optOuts.state(of: number)?.lastEvent.keyword == "START")
        // An older event recorded later (an import of history) does not decide.
        try records.optOuts.optOut(number, source: "import:old.csv:2", at: .fixed(-3600))
        #expect(try records.optOuts.isOptedOut(number) == false)
        #expect(try records.optOuts.events().map(\.event) == [.optout, .optin, .optout])
        #expect(try records.optOuts.current().map(\.optedOut) == [false])
        #expect(try records.optOuts.optedOutCount() == 0)
    }

    @Test(arguments: RecordsBackend.allCases)
    func theSameSTOPProcessedTwiceIsOneEvent(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend)
        let number = try Self.phone()
        #expect(try records.optOuts.optOut(number, keyword: "STOP", source: "sms:f00d", at: .fixed()))
        #expect(try records.optOuts.optOut(number, keyword: "STOP", source: "sms:f00d", at: .fixed(5)) == false)
        #expect(try records.optOuts.optOut(number, keyword: "STOP", source: "cli", at: .fixed(6)))
        #expect(try records.optOuts.events().count == 2)
        #expect(throws: RecordsError.self) {
            try records.optOuts.record(OptOutEvent(number: "0612", event: .optout, source: "cli"))
        }
    }

    @Test(arguments: RecordsBackend.allCases)
    func theHashedListKeepsNoNumberInClear(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend, hashed: true)
        let number = try Self.phone()
        try records.optOuts.optOut(number, keyword: "STOP", text: "STOP merci", source: "sms:1", at: .fixed())
        #expect(try records.optOuts.isOptedOut(number))
        #expect(try records.optOuts.isOptedOut(try Self.phone("+33698765432")) == false)
        let events = try records.optOuts.events()
        #expect(events.count == 1)
        #expect(events.allSatisfy { $0.number.hasPrefix("hmac:") && $0.text.isEmpty })
        #expect(events.first?.number == Self.testKeyIdentifier(Self.number))
    }

    static func testKeyIdentifier(_ e164: String) -> String { RecordsUnderTest.testKey.identifier(forE164: e164) }

    @Test(arguments: RecordsBackend.allCases)
    func oneConfirmationPerNumberPerWindow(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend)
        let number = try Self.phone()
        #expect(try records.confirmations.wasSent(to: number, within: 86_400, now: .fixed()) == false)
        #expect(try records.confirmations.claim(for: number, messageID: "c1", within: 86_400, now: .fixed()))
        #expect(try records.confirmations.claim(for: number, messageID: "c2", within: 86_400, now: .fixed(3600)) == false)
        #expect(try records.confirmations.wasSent(to: number, within: 86_400, now: .fixed(3600)))
        #expect(try records.confirmations.claim(for: number, messageID: "c3", within: 86_400, now: .fixed(86_401)))
        #expect(try records.confirmations.claim(for: try Self.phone("+33698765432"), messageID: "c4", within: 86_400, now: .fixed()))
    }

    // MARK: Ledger

    @Test(arguments: RecordsBackend.allCases)
    func aPartIsChargedOnce(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend, openingBalance: 10)
        let row = LedgerRow(time: .fixed(), messageID: "m", recipient: Self.number, messageClass: "marketing", credits: 1,
                            modem: "sim1", refs: [41], part: 1)
        #expect(try records.ledger.commit(row: row))
        #expect(try records.ledger.commit(row: row) == false)
        var second = row
        second.part = 2
        second.refs = [42]
        #expect(try records.ledger.commit(row: second))
        #expect(try records.ledger.balance() == 8)
        #expect(try records.ledger.isCommitted(messageID: "m", part: 2))
        #expect(try records.ledger.isCommitted(messageID: "m", part: 3) == false)
        let rows = try records.ledger.rows()
        #expect(rows.map(\.part) == [1, 2])
        #expect(rows.map(\.balance) == [9, 8])
        #expect(rows.map(\.refs) == [[41], [42]])
        #expect(rows.allSatisfy { $0.kind == .message })
        #expect(try records.ledger.summary(by: .class, timeZone: TimeZone(identifier: "UTC") ?? .current)
                == [LedgerSummary(key: "marketing", messages: 1, segments: 2, credits: 2)])
        #expect(throws: RecordsError.self) {
            try records.ledger.commit(row: LedgerRow(messageID: "m", recipient: "", messageClass: "", credits: 1, modem: "", part: 0))
        }
    }

    @Test(arguments: RecordsBackend.allCases)
    func reservationsHoldCreditsBack(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend, openingBalance: 3)
        try records.ledger.reserve(messageID: "a", credits: 2)
        #expect(try records.ledger.available() == 1)
        #expect(throws: RecordsError.insufficientCredits(available: 1, requested: 2)) {
            try records.ledger.reserve(messageID: "b", credits: 2)
        }
        try records.ledger.commit(row: LedgerRow(messageID: "a", recipient: Self.number, messageClass: "notification", credits: 1, modem: "sim1", part: 1))
        #expect(try records.ledger.balance() == 2)
        #expect(try records.ledger.available() == 1)   // one of a's two credits still reserved
        records.ledger.release(messageID: "a")
        #expect(try records.ledger.available() == 2)
    }

    // MARK: Inbox and reassembly

    @Test(arguments: RecordsBackend.allCases)
    func anInboundSMSIsArchivedOnce(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend)
        let record = InboundRecord(receivedAt: .fixed(), from: Self.number, text: "=1+1, STOP", modem: "sim1", keywordResult: "review:STOP",
                                   simIndices: [3, 4], sentAt: .fixed(-5))
        #expect(try records.inbox.append(record))
        #expect(try records.inbox.append(record) == false)
        #expect(try records.inbox.contains(fingerprint: record.fingerprint))
        #expect(try records.inbox.all() == [record])
        #expect(try records.inbox.review() == [record])
    }

    @Test(arguments: RecordsBackend.allCases)
    func partsWaitForTheRestOfTheirMessage(_ backend: RecordsBackend) throws {
        let records = try RecordsUnderTest(backend)
        let first = StoredInboundPart(modem: "sim1", originator: Self.number, reference: 200, total: 2, sequence: 1, pduHex: "0011",
                                      receivedAt: .fixed(), simIndex: 1)
        try records.reassembly.save(first)
        try records.reassembly.save(first)
        let other = StoredInboundPart(modem: "sim1", originator: "+33698765432", reference: 7, total: 3, sequence: 2, pduHex: "0022",
                                      receivedAt: .fixed(100))
        try records.reassembly.save(other)
        #expect(try records.reassembly.all() == [first, other])
        #expect(try records.reassembly.expired(before: .fixed(50)) == [first.group: [first]])
        try records.reassembly.remove(first.group)
        #expect(try records.reassembly.all() == [other])
        #expect(throws: RecordsError.self) {
            try records.reassembly.save(StoredInboundPart(modem: "sim1", originator: "x", reference: 1, total: 2, sequence: 3, pduHex: ""))
        }
    }
}
