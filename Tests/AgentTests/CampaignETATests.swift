import Compliance
import Foundation
import Records
import Testing
@testable import Agent

/// Issue 14: the ETA of the dry run, `campaign status` and the API counts what each SIM already
/// sent today (the ledger), not a fresh daily cap.
@Suite(.serialized) struct CampaignETATests {
    /// Tuesday 1 December 2026, 10:00 in Paris.
    static let now = Date(timeIntervalSince1970: 1_796_115_600)

    static func configuration(root: String) -> AgentConfiguration {
        var c = AgentConfiguration()
        c.dataDirectory = root
        c.sender.brand = "Test"
        c.sender.stopNumber = "+33612345600"
        c.compliance.quietHours = .none
        c.modems.discovery = false
        var sim = SimulatedModemSettings(name: "a")
        sim.throttle = ThrottleSettings(minInterval: .seconds(1), dailyCap: 200)
        c.modems.simulated = [sim]
        return c
    }

    static func recipients(_ count: Int) -> [(line: Int?, to: String, text: String)] {
        (0..<count).map { (nil, "+3361234\(String(format: "%04d", $0))", "Bonjour") }
    }

    @Test func aSIMThatSentMostOfItsCapTodayFinishesTomorrow() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("eta-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let configuration = Self.configuration(root: root)
        let data = try DataDirectory(path: root, options: .init(openingBalance: 1000))

        // Nothing sent today: 100 messages at 1 s each leave before 10:02.
        let fresh = try #require(MessagePreview.etaSIMs(configuration, dataDirectory: data, now: Self.now))
        #expect(fresh.map(\.sentToday) == [0])
        let before = try MessagePreview.compute(messages: Self.recipients(100), messageClass: .notification,
                                                configuration: configuration, now: Self.now, sims: fresh) { _ in false }
        guard case .finishes(let early)? = before.summary.eta else { Issue.record("no estimate: \(String(describing: before.summary.eta))"); return }
        #expect(early.timeIntervalSince(Self.now) < 120)

        // 150 SMS went out from SIM "a" this morning (and 40 yesterday, which do not count).
        for i in 0..<150 {
            _ = try data.ledger.commit(row: LedgerRow(time: Self.now.addingTimeInterval(-3600 + Double(i)), messageID: "m\(i)",
                                                      recipient: "+33612340000", messageClass: "notification", credits: 1,
                                                      modem: "a", part: 1))
        }
        for i in 0..<40 {
            _ = try data.ledger.commit(row: LedgerRow(time: Self.now.addingTimeInterval(-86400 + Double(i)), messageID: "y\(i)",
                                                      recipient: "+33612340000", messageClass: "notification", credits: 1,
                                                      modem: "a", part: 1))
        }
        let sims = try #require(MessagePreview.etaSIMs(configuration, dataDirectory: data, now: Self.now))
        #expect(sims.map(\.sentToday) == [150])
        let after = try MessagePreview.compute(messages: Self.recipients(100), messageClass: .notification,
                                               configuration: configuration, now: Self.now, sims: sims) { _ in false }
        guard case .finishes(let late)? = after.summary.eta else { Issue.record("no estimate: \(String(describing: after.summary.eta))"); return }
        // 50 left today, the other 50 after midnight (Paris).
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = configuration.compliance.zone
        let midnight = try #require(calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: Self.now)))
        #expect(late > midnight)
        #expect(late < midnight.addingTimeInterval(120))

        // The same through the outbox, as `campaign status` and the API ask it.
        let pending = Self.recipients(100).map { OutboxMessage(to: $0.to, text: $0.text, messageClass: .notification, campaign: "c") }
        let estimate = try #require(MessagePreview.estimate(pending: pending, configuration: configuration, dataDirectory: data, now: Self.now))
        #expect(estimate.eta == after.summary.eta)
        #expect(estimate.sims == 1)
    }

    @Test func withoutConfiguredModemsTheRunningAgentsModemsCount() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("eta-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var configuration = Self.configuration(root: root)
        configuration.modems.simulated = []
        let data = try DataDirectory(path: root, options: .init(openingBalance: 1000))
        #expect(MessagePreview.etaSIMs(configuration, dataDirectory: data, now: Self.now) == nil, "nothing to go on")
        var status = StatusSnapshot(updatedAt: Self.now, pid: 1, startedAt: Self.now, state: "running", modems: [],
                                    queue: QueueStatus(), credits: CreditStatus(), optOuts: 0)
        for id in ["usb-1", "usb-2"] {
            var modem = ModemStatus(id: id, port: "/dev/ttyUSB0", state: "ready")
            modem.throttle.sentToday = 7
            status.modems.append(modem)
        }
        try status.write(dataDirectory: root)
        let sims = try #require(MessagePreview.etaSIMs(configuration, dataDirectory: data, now: Self.now))
        #expect(sims.count == 2)
        #expect(sims.map(\.sentToday) == [7, 7])
    }
}
