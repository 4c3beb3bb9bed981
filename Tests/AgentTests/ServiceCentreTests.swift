import Foundation
import Records
import Simulator
import Testing
@testable import Agent

/// Issue 10 item 4: a SIM without SMS centre is a configuration problem, not a modem fault. The
/// agent says so once at start with the fix, and when the network refuses a message for it
/// (`+CMS ERROR: 330`) the modem is parked with the fix in `status`, the message stays queued
/// with its attempts intact, and the modem is neither re-initialised nor reset.
@Suite struct ServiceCentreTests {
    static func withoutSMSC(_ name: String, number: String) -> SimulatedModem {
        RuntimeFixture.simulator(name, number: number) { $0.serviceCentre = nil }
    }

    static func status(_ f: RuntimeFixture) -> StatusSnapshot? { try? StatusSnapshot.read(dataDirectory: f.root.path) }

    @Test func aSIMWithoutSMSCentreIsWarnedOnceThenParkedOnItsFirst330AndTheQueueIsKept() async throws {
        let f = RuntimeFixture { $0.sending.retry.maxAttemptsPerMessage = 2 }
        defer { f.remove() }
        let modem = Self.withoutSMSC("a", number: "+33600000001")
        try await f.run([.simulated(modem, id: "a", throttle: f.configuration.modems.throttle)]) { data in
            try await eventually("the status warns about the SMS centre") {
                Self.status(f)?.modems.first?.warnings?.contains { $0.contains("no SMS centre") && $0.contains("modems.smsc") } == true
            }
            for i in 0..<3 {
                try data.outbox.enqueue(OutboxMessage(id: "m\(i)", to: "+3361234560\(i)", text: "Votre commande \(i)", messageClass: .notification))
            }
            try await eventually("the modem is parked with the fix") {
                let m = Self.status(f)?.modems.first
                return m?.state == "parked" && m?.lastError == "the SIM has no SMS centre: set modems.smsc"
            }
            // Parked after the first refusal: every message is back in the queue, none failed.
            try await eventually("the refused message is back in the queue") { try data.outbox.counts().sending == 0 }
            let counts = try data.outbox.counts()
            #expect(counts.failed == 0)
            #expect(counts.sent == 0)
            #expect(counts.new == 3)
            // Not one of its 2 attempts used: it would read "after N attempts" in failed/ otherwise,
            // and a refused attempt is recorded as not sent.
            for attempt in try data.outbox.find("m0")?.message.attempts ?? [] {
                #expect(attempt.status == .rejected)
            }
        }
        #expect(f.log.count(.warning, containing: "the SIM has no SMS centre") == 1, "warned once")
        #expect(f.log.count(.warning, containing: "resetting the modem") == 0)
        #expect(f.log.count(.notice, containing: "re-initialising the modem") == 0)
        #expect(await modem.submitted.isEmpty)
    }

    @Test func withModemsSMSCTheSameSIMSendsAndNothingIsSaid() async throws {
        let f = RuntimeFixture()
        defer { f.remove() }
        let modem = Self.withoutSMSC("a", number: "+33600000001")
        try await f.run([.simulated(modem, id: "a", smsc: "+33609001390", throttle: f.configuration.modems.throttle)]) { data in
            try data.outbox.enqueue(OutboxMessage(id: "m", to: "+33612345600", text: "Votre commande", messageClass: .notification))
            try await eventually("the message is sent") { try data.outbox.counts().sent == 1 }
            try await eventually("the status is written") { Self.status(f)?.modems.first?.inbound != nil }
            #expect(Self.status(f)?.modems.first?.warnings == nil)
        }
        #expect(f.log.count(.warning, containing: "no SMS centre") == 0)
    }
}
