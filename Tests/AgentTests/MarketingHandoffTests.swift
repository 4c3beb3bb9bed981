import Foundation
import Records
import Testing
@testable import Agent

/// The dispatcher's side of issue 10 item 6: a modem whose STOP replies cannot be read is never
/// given a marketing job. What it claims goes to a modem that may carry it, or — when none takes
/// work — back to the queue, held with the reason. Claims and outcomes on a real outbox.
@Suite struct MarketingHandoffTests {
    /// "phone" cannot read its replies; "stick" can.
    static func fixture() async throws -> (DispatcherFixture, phoneBell: Doorbell, stickBell: Doorbell) {
        let f = try DispatcherFixture()
        let phoneBell = Doorbell(), stickBell = Doorbell()
        await f.dispatcher.joinRoute(modemID: "phone", repliesReadable: false, ownNumber: "+33600000009", doorbell: phoneBell)
        await f.dispatcher.joinRoute(modemID: "stick", repliesReadable: true, ownNumber: "+33600000001", doorbell: stickBell)
        await f.dispatcher.setRouteAvailable(modemID: "phone", true)
        return (f, phoneBell, stickBell)
    }

    /// True when `bell` was rung (a remembered ring returns at once).
    static func rang(_ bell: Doorbell) async -> Bool {
        let start = ContinuousClock.now
        await bell.wait(upTo: .milliseconds(200))
        return ContinuousClock.now - start < .milliseconds(150)
    }

    @Test func marketingClaimedByTheRefusingModemGoesToTheCarrierAndTheRestToBoth() async throws {
        let (f, _, stickBell) = try await Self.fixture()
        defer { f.remove() }
        await f.dispatcher.setRouteAvailable(modemID: "stick", true)
        try f.enqueue("a-promo")
        try f.enqueue("b-order", text: "Votre commande est prête", class: .notification)
        _ = await Self.rang(stickBell)   // the ring of setRouteAvailable, if any

        #expect(await f.dispatcher.nextJob(modemID: "phone", policy: f.policy) == nil, "the promo is not the phone's")
        #expect(await Self.rang(stickBell), "the carrier is woken for the hand-off")
        #expect(try f.data.outbox.find("a-promo")?.folder == .sending)

        let stickJob = try #require(await f.dispatcher.nextJob(modemID: "stick", policy: f.policy))
        #expect(stickJob.id == "a-promo")
        #expect(stickJob.text.hasSuffix("STOP au 0600000001"), "the carrier's own footer")
        let phoneJob = try #require(await f.dispatcher.nextJob(modemID: "phone", policy: f.policy))
        #expect(phoneJob.id == "b-order")
        #expect(!phoneJob.footerAdded)
    }

    @Test func whileTheHandOffIsFullTheRefusingModemClaimsNothing() async throws {
        let (f, phoneBell, _) = try await Self.fixture()
        defer { f.remove() }
        await f.dispatcher.setRouteAvailable(modemID: "stick", true)
        try f.enqueue("a-promo")
        try f.enqueue("b-promo")
        try f.enqueue("c-order", text: "Votre commande est prête", class: .notification)
        #expect(await f.dispatcher.nextJob(modemID: "phone", policy: f.policy) == nil)
        #expect(try f.data.outbox.counts().sending == 1, "one hand-off per carrier; the rest stays in the queue")
        _ = await Self.rang(phoneBell)
        _ = try #require(await f.dispatcher.nextJob(modemID: "stick", policy: f.policy))
        #expect(await Self.rang(phoneBell), "room again: the phone may claim")
    }

    @Test func withoutACarrierMarketingIsHeldInTheQueueWithTheReason() async throws {
        let (f, _, _) = try await Self.fixture()   // the stick is not ready
        defer { f.remove() }
        try f.enqueue("a-promo")
        try f.enqueue("b-order", text: "Votre commande est prête", class: .notification)
        let job = try #require(await f.dispatcher.nextJob(modemID: "phone", policy: f.policy))
        #expect(job.id == "b-order")
        let held = try #require(try f.data.outbox.find("a-promo"))
        #expect(held.folder != .sending && held.folder != .failed)
        #expect(held.message.notBefore == DispatcherFixture.openTime.addingTimeInterval(Dispatcher.marketingHoldInterval))
        let warnings = await f.dispatcher.marketingWarnings()
        #expect(warnings.contains { $0.hasPrefix("marketing held") && $0.contains("(stick) are not ready") }, "\(warnings)")
        #expect(f.log.count(.warning, containing: "marketing held") == 1)

        await f.dispatcher.setRouteAvailable(modemID: "stick", true)
        #expect(await f.dispatcher.marketingWarnings().allSatisfy { !$0.hasPrefix("marketing held") })
    }

    @Test func aHandOffWhoseCarrierStopsGoesBackToTheQueue() async throws {
        let (f, _, _) = try await Self.fixture()
        defer { f.remove() }
        await f.dispatcher.setRouteAvailable(modemID: "stick", true)
        try f.enqueue("a-promo")
        #expect(await f.dispatcher.nextJob(modemID: "phone", policy: f.policy) == nil)
        #expect(try f.data.outbox.find("a-promo")?.folder == .sending)
        await f.dispatcher.leaveRoute(modemID: "stick")
        let back = try #require(try f.data.outbox.find("a-promo"))
        #expect(back.folder != .sending && back.folder != .failed, "\(back.folder)")
        #expect(back.message.attempts.isEmpty)
    }
}
