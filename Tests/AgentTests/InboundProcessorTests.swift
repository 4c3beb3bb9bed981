import Compliance
import Foundation
import Records
import SMSCodec
import Testing
@testable import Agent
@testable import Simulator

@Suite("Inbound: keywords, opt-outs and confirmations")
struct InboundKeywordTests {
    static let sender = "+33612345678"

    @Test("an opt-out reply is recorded once, confirmed once, and leaves the SIM",
          arguments: ["Stop !", "stop svp", "ARRÊT", "Désabonner", "STOP SMS"])
    func optOut(text: String) async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        try await f.inbound(Self.sender, text)

        let report = try await f.drain(f.processor())

        #expect(report.optOuts == 1)
        #expect(try f.isOptedOut(Self.sender))
        let events = try f.optOutEvents()
        #expect(events.count == 1)
        #expect(events.first?.modem == f.modemID)
        #expect(events.first?.source.hasPrefix("sms:") == true)
        let confirmations = try f.replies(kind: "confirmation")
        #expect(confirmations.count == 1)
        #expect(confirmations.first?.to == Self.sender)
        #expect(confirmations.first?.messageClass == .notification)
        #expect(confirmations.first?.text.hasPrefix(InboundFixture.brand) == true)
        #expect(try f.archive().map(\.keywordResult).first?.hasPrefix("optout:") == true)
        #expect(await f.simCount() == 0)
    }

    @Test("a message that mentions a keyword without matching goes to review, not to the opt-out list",
          arguments: ["don't stop", "STOPPED by the shop?"])
    func review(text: String) async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        try await f.inbound(Self.sender, text)

        let report = try await f.drain(f.processor())

        #expect(report.review == 1)
        #expect(try f.optOutEvents().isEmpty)
        #expect(try f.replies(kind: "confirmation").isEmpty)
        #expect(try f.dataDirectory.inbox.review().map(\.text) == [text])
        #expect(await f.simCount() == 0)
    }

    @Test("a two-part STOP delivered out of order is reassembled and opts out once")
    func twoPartStopOutOfOrder() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        let text = "STOP " + String(repeating: "je ne veux plus recevoir vos messages. ", count: 5)
        try await f.inbound(Self.sender, text, partOrder: [2, 1])

        let report = try await f.drain(f.processor())

        #expect(report.optOuts == 1)
        #expect(try f.optOutEvents().count == 1)
        #expect(try f.replies(kind: "confirmation").count == 1)
        let archived = try f.archive()
        #expect(archived.count == 1)
        #expect(archived.first?.parts == 2)
        #expect(archived.first?.text == text)
        #expect(await f.simCount() == 0)
    }

    @Test("the same STOP twice is one opt-out and one confirmation")
    func sameStopTwice() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        let processor = f.processor()
        try await f.inbound(Self.sender, "STOP")
        try await f.drain(processor)
        try await f.inbound(Self.sender, "STOP")
        let second = try await f.drain(processor)

        #expect(second.optOuts == 0)
        #expect(second.confirmationsQueued == 0)
        #expect(try f.optOutEvents().count == 1)
        #expect(try f.replies(kind: "confirmation").count == 1)
        #expect(await f.simCount() == 0)
    }

    @Test("an opt-out applies to every way of writing the number and across modems")
    func numberFormsAndModems() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        let other = try await InboundFixture.make(modemID: "sim1", root: f.root)
        defer { Task { await other.modem.close() } }
        try await f.inbound("0612345678", "STOP")
        try await f.drain(f.processor())
        try await other.inbound("+33612345678", "Stop")
        let second = try await other.drain(other.processor())

        for form in ["0612345678", "+33612345678", "0033612345678", "06 12 34 56 78"] {
            #expect(try f.isOptedOut(form), "\(form)")
        }
        #expect(second.optOuts == 0)
        #expect(try f.optOutEvents().count == 1)
        #expect(try f.replies(kind: "confirmation").count == 1)
    }

    @Test("START after an opt-out re-subscribes; START from a subscribed number records nothing")
    func optIn() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        let processor = f.processor()
        try await f.inbound("+33699999999", "START")
        try await f.drain(processor)
        #expect(try f.optOutEvents().isEmpty)

        try await f.inbound(Self.sender, "STOP")
        try await f.drain(processor)
        try await f.inbound(Self.sender, "start")
        let report = try await f.drain(processor)

        #expect(report.optIns == 1)
        #expect(try f.optOutEvents().map(\.event) == [.optout, .optin])
        #expect(try !f.isOptedOut(Self.sender))
    }

    @Test("HELP, INFO, AIDE and CONTACT get one reply with the brand and how to stop",
          arguments: ["HELP", "info", "Aide", "CONTACT"])
    func help(text: String) async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        try await f.inbound(Self.sender, text)
        try await f.drain(f.processor())

        let replies = try f.replies(kind: "help")
        #expect(replies.count == 1)
        #expect(replies.first?.messageClass == .notification)
        #expect(replies.first?.text.contains(InboundFixture.brand) == true)
        #expect(replies.first?.text.uppercased().contains("STOP") == true)
        #expect(try f.optOutEvents().isEmpty)
    }

    @Test("a sender repeating HELP gets one reply per 24 h")
    func helpOncePerDay() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        let processor = f.processor()
        for text in ["HELP", "AIDE", "info ?"] {
            try await f.inbound(Self.sender, text)
            try await f.drain(processor)
        }
        #expect(try f.replies(kind: "help").count == 1)

        try await f.inbound(Self.sender, "help please")
        try await f.drain(f.processor(now: f.clock.now().addingTimeInterval(25 * 3600)))
        #expect(try f.replies(kind: "help").count == 2)
    }

    @Test("hashed mode: no number in optouts.csv, key file 0600, and everything still works")
    func hashedMode() async throws {
        let f = try await InboundFixture.make(hashOptOuts: true)
        defer { Task { await f.close() } }
        try await f.inbound(Self.sender, "Stop !")
        try await f.drain(f.processor())
        try await f.inbound(Self.sender, "STOP")
        try await f.drain(f.processor())

        let file = try String(contentsOfFile: f.root.path + "/optouts.csv", encoding: .utf8)
        #expect(!file.contains("612345678"))
        #expect(file.contains("hmac:"))
        let mode = try FileManager.default.attributesOfItem(atPath: f.root.path + "/optout.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let inbox = try String(contentsOfFile: f.root.path + "/inbox.csv", encoding: .utf8)
        #expect(!inbox.contains("612345678"), "the archive does not list the opted-out number in clear")
        #expect(try f.isOptedOut("06 12 34 56 78"))
        #expect(try f.optOutEvents().count == 1)
        #expect(try f.replies(kind: "confirmation").count == 1)
    }
}

@Suite("Inbound: durability and the SIM")
struct InboundDurabilityTests {
    static let sender = "+33612345678"

    @Test("a crash after the opt-out write and before the reply: a new agent confirms exactly once")
    func crashAfterOptOutWrite() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        try await f.inbound(Self.sender, "STOP")
        let broken = InboundStores(f.dataDirectory).replacing(outbox: FailingEnqueueOutbox(base: f.dataDirectory.outbox))
        let first = try await f.drain(f.processor(stores: broken))
        #expect(first.optOuts == 1)
        #expect(first.kept.count == 1)
        #expect(await f.simCount() == 1)

        let second = try await f.drain(f.processor())

        #expect(second.optOuts == 0)
        #expect(try f.optOutEvents().count == 1)
        #expect(try f.replies(kind: "confirmation").count == 1)
        #expect(await f.simCount() == 0)
    }

    @Test("a crash before the SIM delete: the re-listed STOP adds no opt-out and no confirmation")
    func crashBeforeDelete() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        try await f.inbound(Self.sender, "STOP")
        await f.simulator.inject(fault: .cms(500), command: "+CMGD")
        let first = try await f.drain(f.processor())
        #expect(first.optOuts == 1 && first.confirmationsQueued == 1)
        #expect(await f.simCount() == 1)

        let second = try await f.drain(f.processor())

        #expect(second.alreadyArchived == 1)
        #expect(second.optOuts == 0 && second.confirmationsQueued == 0)
        #expect(try f.optOutEvents().count == 1)
        #expect(try f.replies(kind: "confirmation").count == 1)
        #expect(await f.simCount() == 0)
    }

    @Test("the SIM delete never happens before the archive is on disk")
    func archiveFailureKeepsMessage() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        try await f.inbound(Self.sender, "STOP")
        let broken = InboundStores(f.dataDirectory).replacing(archive: FailingArchive())

        let report = try await f.drain(f.processor(stores: broken))

        #expect(report.deleted.isEmpty)
        #expect(report.failures.count == 1)
        #expect(await f.simCount() == 1)
        #expect(try f.optOutEvents().isEmpty)
        #expect(try f.replies(kind: "confirmation").isEmpty)

        try await f.drain(f.processor())
        #expect(try f.optOutEvents().count == 1)
        #expect(await f.simCount() == 0)
    }

    @Test("a full SIM storage is drained, and what waited at the SMSC comes in")
    func fullStorage() async throws {
        let f = try await InboundFixture.make(storageCapacity: 5)
        defer { Task { await f.close() } }
        for n in 0..<7 { try await f.inbound("+3361234560\(n)", "Bonjour \(n)") }
        #expect(await f.simCount() == 5)

        let processor = f.processor()
        let first = try await f.drain(processor)
        #expect(first.deleted.count == 5)
        try await f.drain(processor)

        #expect(await f.simCount() == 0)
        #expect(try f.archive().count == 7)
    }

    @Test("half a message survives a restart: its part is in the store, not lost with the SIM slot")
    func partSurvivesRestart() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        let text = "STOP " + String(repeating: "merci de ne plus m'écrire. ", count: 8)
        let pdus = try SMSDeliverEncoder.encode(from: Self.sender, text: text, timestamp: Date(timeIntervalSince1970: 1_790_000_000),
                                                timeZoneOffsetMinutes: 60, smsc: "+33689004000", concatReference: 7)
        #expect(pdus.count >= 2)
        await f.simulator.deliverRaw(pdus[1])
        let first = try await f.drain(f.processor())
        #expect(first.pendingParts == 1)
        #expect(await f.simCount() == 0)
        #expect(try f.dataDirectory.reassembly.all().count == 1)

        for pdu in [pdus[0]] + pdus.dropFirst(2) { await f.simulator.deliverRaw(pdu) }
        let second = try await f.drain(f.processor())   // a new instance: loads the part from the store

        #expect(second.optOuts == 1)
        #expect(try f.archive().first?.text == text)
        #expect(try f.dataDirectory.reassembly.all().isEmpty)
        #expect(await f.simCount() == 0)
    }

    @Test("an incomplete message is archived as incomplete after the timeout")
    func incompleteAfterTimeout() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        let pdus = try SMSDeliverEncoder.encode(from: Self.sender, text: String(repeating: "Bonjour, ", count: 30),
                                                timestamp: Date(timeIntervalSince1970: 1_790_000_000), timeZoneOffsetMinutes: 60,
                                                smsc: nil, concatReference: 9)
        await f.simulator.deliverRaw(pdus[1])
        try await f.drain(f.processor())

        let later = f.clock.now().addingTimeInterval(25 * 3600)
        let report = try await f.drain(f.processor(now: later))

        #expect(report.expiredIncomplete == 1)
        #expect(try f.archive().map(\.status) == ["incomplete"])
        #expect(try f.dataDirectory.reassembly.all().isEmpty)
    }

    @Test("an undecodable PDU is archived raw with its error, then deleted")
    func undecodable() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        await f.simulator.deliverRaw("07913396050046F0040B913316325476F80000")

        let report = try await f.drain(f.processor())

        #expect(report.malformed == 1)
        #expect(await f.simCount() == 0)
        let record = try #require(try f.archive().first)
        #expect(record.status == "undecodable")
        #expect(record.text == "07913396050046F0040B913316325476F80000")
        #expect(record.keywordResult.hasPrefix("undecodable:"))
    }

    @Test("a status report is matched to the sent message by modem and reference")
    func statusReport() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        let outbox = f.dataDirectory.outbox
        try outbox.enqueue(OutboxMessage(id: "m1", to: Self.sender, text: "Promo", messageClass: .marketing))
        _ = try outbox.claimNext(now: Date())
        try outbox.recordAttempt("m1", SendAttempt(part: 1, parts: 1, modem: f.modemID))
        try outbox.recordPartAccepted("m1", part: 1, reference: 42, at: Date())
        try outbox.complete("m1", result: SendResult(status: .sent, refs: [42], modem: f.modemID, segments: 1, credits: 1))
        let pdu = try StatusReportEncoder.encode(reference: 42, recipient: Self.sender, submitted: Date(),
                                                 discharged: Date(), status: 0, smsc: "+33689004000")
        await f.simulator.deliverRaw(pdu)

        let report = try await f.drain(f.processor())

        #expect(report.statusReports == 1)
        #expect(await f.simCount() == 0)
        let lines = try InboundStores(f.dataDirectory).deliveries.lines()
        #expect(lines.count == 1)
        #expect(lines.first?[1] == "m1")
        #expect(lines.first?[8] == "yes")
    }

    @Test("a STOP and a status report routed to the host (+CMT, +CDS) go through the same pipeline")
    func routedPDUs() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        let processor = f.processor()
        let stop = try SMSDeliverEncoder.encode(from: Self.sender, text: "STOP", timestamp: Date(timeIntervalSince1970: 1_790_000_000),
                                                timeZoneOffsetMinutes: 60, smsc: nil, concatReference: 0)
        let report = await processor.receiveRouted(pduHex: try #require(stop.first), modemID: f.modemID)
        let statusReport = try StatusReportEncoder.encode(reference: 7, recipient: Self.sender, submitted: Date(),
                                                          discharged: Date(), status: 0, smsc: nil)
        let second = await processor.receiveRouted(pduHex: statusReport, modemID: f.modemID)

        #expect(report.optOuts == 1 && report.confirmationsQueued == 1 && report.failures.isEmpty)
        #expect(second.statusReports == 1)
        #expect(try f.isOptedOut(Self.sender))
        #expect(try InboundStores(f.dataDirectory).deliveries.lines().count == 1)
    }

    @Test("two drains of one modem at once (a +CMTI during a poll) never delete what they did not process")
    func overlappingDrains() async throws {
        let f = try await InboundFixture.make()
        defer { Task { await f.close() } }
        let processor = f.processor()
        for n in 0..<6 { try await f.inbound("+3361234561\(n)", n == 0 ? "STOP" : "Bonjour \(n)") }

        async let first = f.drain(processor)
        async let second = f.drain(processor)
        let reports = try await [first, second]

        #expect(reports.flatMap(\.failures).isEmpty)
        #expect(reports.reduce(0) { $0 + $1.deleted.count } == 6)
        #expect(reports.reduce(0) { $0 + $1.archived } == 6)
        #expect(try f.optOutEvents().count == 1)
        #expect(await f.simCount() == 0)
    }
}
