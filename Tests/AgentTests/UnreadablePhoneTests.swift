import Foundation
import Records
import Simulator
import Testing
@testable import Agent

/// Issue 10 item 6: a phone used as a modem (`nokia-phone`: no SMS storage over AT, every
/// `AT+CNMI` refused) sends, but a STOP sent to its SIM is never seen. The agent says so (log,
/// `status`), and marketing never goes out with that SIM as its STOP number: in a mixed pool a
/// readable modem carries it, alone the phone holds it in the queue with the reason — never fails it.
@Suite struct UnreadablePhoneTests {
    static func status(_ f: RuntimeFixture) -> StatusSnapshot? { try? StatusSnapshot.read(dataDirectory: f.root.path) }

    static func phone() -> SimulatedModem { RuntimeFixture.simulator("phone", number: "+33600000009", profile: .nokiaPhone) }

    @Test func alonePhoneSendsNotificationsAndHoldsMarketingWithTheReason() async throws {
        let f = RuntimeFixture()
        defer { f.remove() }
        let phone = Self.phone()
        try await f.run([.simulated(phone, id: "phone", throttle: f.configuration.modems.throttle)]) { data in
            for i in 0..<2 {
                try data.outbox.enqueue(OutboxMessage(id: "promo-\(i)", to: "+3361234560\(i)", text: "Promo \(i)", messageClass: .marketing))
                try data.outbox.enqueue(OutboxMessage(id: "order-\(i)", to: "+3361234561\(i)", text: "Commande \(i)", messageClass: .notification))
            }
            try await eventually("the notifications are sent") { try data.outbox.counts().sent == 2 }
            try await eventually("the status says marketing is held, and why") {
                Self.status(f)?.warnings?.contains { $0.hasPrefix("marketing held") && $0.contains("replies to its SIM cannot be read") } == true
            }
            let modem = try #require(Self.status(f)?.modems.first)
            #expect(modem.inbound == "unreadable")
            #expect(modem.warnings?.contains { $0.contains("replies to this SIM cannot be read") } == true)
            #expect(Self.status(f)?.warnings?.contains { $0.hasPrefix("marketing does not go through phone") } == true)
            // Held in the queue, not failed, not sent.
            for i in 0..<2 {
                let found = try #require(try data.outbox.find("promo-\(i)"))
                #expect(found.folder != .sent && found.folder != .failed, "\(found.folder)")
                #expect(found.message.attempts.isEmpty)
                #expect(found.message.notBefore != nil, "held, to be looked at again")
            }
            #expect(try data.outbox.counts().failed == 0)
        }
        #expect(await phone.submitted.map(\.number).sorted() == ["+33612345610", "+33612345611"])
        #expect(f.log.count(.warning, containing: "replies to this SIM cannot be read") == 1)
        #expect(f.log.count(.warning, containing: "marketing held") == 1, "said once, not per message")
    }

    @Test func inAMixedPoolMarketingGoesThroughTheModemThatReadsItsReplies() async throws {
        let f = RuntimeFixture()
        defer { f.remove() }
        let phone = Self.phone()
        let stick = RuntimeFixture.simulator("stick", number: "+33600000001")
        let throttle = f.configuration.modems.throttle
        // The stick waits between two messages: the phone, free, claims marketing in the meantime
        // and must hand it over.
        let slowStick = ThrottleSettings(minInterval: .milliseconds(150), dailyCap: 0)
        try await f.run([.simulated(phone, id: "phone", throttle: throttle), .simulated(stick, id: "stick", throttle: slowStick)]) { data in
            try await eventually("both modems are set up") { Self.status(f)?.modems.allSatisfy { $0.inbound != nil } == true }
            for i in 0..<12 {
                try data.outbox.enqueue(OutboxMessage(id: String(format: "m%02d", i), to: "+336123456\(String(format: "%02d", i))",
                                                      text: "Message \(i)", messageClass: i % 2 == 0 ? .marketing : .notification))
            }
            try await eventually("every message is sent") { try data.outbox.counts().sent == 12 }
            for i in stride(from: 0, to: 12, by: 2) {
                let message = try #require(try data.outbox.find(String(format: "m%02d", i))?.message)
                #expect(message.result?.modem == "stick", "marketing \(message.id) went through \(message.result?.modem ?? "?")")
                #expect(message.sentText?.contains("STOP au 0600000001") == true, "\(message.sentText ?? "")")
            }
            #expect(Self.status(f)?.warnings?.contains { $0.hasPrefix("marketing held") } != true)
        }
        let viaPhone = await phone.submitted.map(\.number)
        for i in stride(from: 0, to: 12, by: 2) {
            #expect(!viaPhone.contains("+336123456\(String(format: "%02d", i))"), "no marketing through the phone")
        }
        #expect(f.log.count(.warning, containing: "marketing held") == 0)
        #expect(f.log.count(.debug, containing: "marketing handed to a modem whose STOP number is read") >= 1,
                "the phone claimed marketing and handed it over")
    }

    @Test func withStopNumberOnAReadableSIMThePhoneCarriesMarketingToo() async throws {
        let f = RuntimeFixture { $0.sender.stopNumber = "+33600000001" }
        defer { f.remove() }
        let phone = Self.phone()
        let stick = RuntimeFixture.simulator("stick", number: "+33600000001")
        let throttle = f.configuration.modems.throttle
        try await f.run([.simulated(phone, id: "phone", throttle: throttle), .simulated(stick, id: "stick", throttle: throttle)]) { data in
            try await eventually("both modems are set up") { Self.status(f)?.modems.allSatisfy { $0.inbound != nil } == true }
            try data.outbox.enqueue(OutboxMessage(id: "promo", to: "+33612345600", text: "Promo", messageClass: .marketing))
            try await eventually("the promo is sent") { try data.outbox.counts().sent == 1 }
            #expect(try data.outbox.find("promo")?.message.sentText?.contains("STOP au 0600000001") == true)
            try await eventually("the status is current") { Self.status(f)?.queue.sent == 1 }
            #expect(Self.status(f)?.warnings == nil, "\(Self.status(f)?.warnings ?? [])")
        }
    }
}
