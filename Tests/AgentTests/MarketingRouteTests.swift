import Foundation
import Testing
@testable import Agent

/// Which modems may carry marketing (issue 10 item 6): the STOP number in the footer must reach a
/// SIM whose replies the agent reads.
@Suite struct MarketingRouteTests {
    static let phone = "+33600000009"
    static let stick = "+33600000001"

    /// A pool of a readable stick and a phone whose SMS cannot be read, with `stopNumber`.
    static func pool(stopNumber: String?) -> MarketingRoute {
        var route = MarketingRoute(stopNumber: stopNumber)
        route.join("stick", .init(repliesReadable: true, ownNumber: stick, available: true))
        route.join("phone", .init(repliesReadable: false, ownNumber: phone, available: true))
        return route
    }

    struct Case: Sendable, CustomStringConvertible {
        let stopNumber: String?
        let stickCarries: Bool
        let phoneCarries: Bool
        let description: String
    }

    @Test(arguments: [
        Case(stopNumber: nil, stickCarries: true, phoneCarries: false, description: "each SIM its own STOP number"),
        Case(stopNumber: stick, stickCarries: true, phoneCarries: true, description: "sender.stop_number is the readable stick"),
        Case(stopNumber: phone, stickCarries: false, phoneCarries: false, description: "sender.stop_number is the phone"),
        Case(stopNumber: "+33611111111", stickCarries: true, phoneCarries: false, description: "sender.stop_number is a SIM we do not know"),
    ])
    func whoCarriesMarketing(_ c: Case) {
        let route = Self.pool(stopNumber: c.stopNumber)
        #expect(route.carries("stick") == c.stickCarries)
        #expect(route.carries("phone") == c.phoneCarries)
        #expect((route.refusal(for: "phone") == nil) == c.phoneCarries)
        let refusing = ["phone", "stick"].filter { !route.carries($0) }
        #expect(route.refusers == refusing)
    }

    @Test func theRefusalSaysTheFix() {
        #expect(Self.pool(stopNumber: nil).refusal(for: "phone")?.contains("set sender.stop_number") == true)
        #expect(Self.pool(stopNumber: Self.phone).refusal(for: "stick")?.contains("the SIM of phone, whose replies cannot be read") == true)
    }

    @Test func aModemTheRouteDoesNotKnowCarriesMarketing() {
        #expect(MarketingRoute(stopNumber: nil).carries("anything"))
    }

    @Test func onlyCarriersThatTakeWorkAreAvailable() {
        var route = Self.pool(stopNumber: nil)
        #expect(route.availableCarriers == ["stick"])
        let changed = route.setAvailable("stick", false)
        let changedAgain = route.setAvailable("stick", false)
        #expect(changed)
        #expect(!changedAgain, "no change")
        #expect(route.availableCarriers.isEmpty)
        route.leave("stick")
        #expect(route.modems["stick"] == nil)
    }
}
