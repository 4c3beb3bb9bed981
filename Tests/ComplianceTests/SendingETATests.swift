import Foundation
import Testing
@testable import Compliance

/// Issue 14, item 4: the ETA of a batch from SIMs, throttles, daily caps and quiet hours.
@Suite("SendingETA")
struct SendingETATests {
    let paris = TimeZone(identifier: "Europe/Paris") ?? .gmt

    func finish(_ estimate: SendingETA.Estimate) -> Date? {
        if case .finishes(let date) = estimate { return date }
        return nil
    }

    @Test("500 recipients on 1 SIM at 200/day, one every 3 s, fr window: three working days")
    func dailyCapAndWindow() {
        // Monday 2026-11-30 10:00 Paris; 200 on Monday, 200 on Tuesday, 100 on Wednesday from 08:00.
        let estimate = SendingETA.estimate(segments: Array(repeating: 1, count: 500),
                                           sims: [SendingETA.SIM(minimumInterval: 3, dailyCap: 200)],
                                           window: .fr, recipientZones: [paris], dayZone: paris,
                                           start: local("2026-11-30 10:00"))
        #expect(finish(estimate) == local("2026-12-02 08:04:57"))
    }

    @Test("two SIMs share the batch")
    func twoSIMs() {
        let sims = Array(repeating: SendingETA.SIM(minimumInterval: 3, dailyCap: 0), count: 2)
        let estimate = SendingETA.estimate(segments: Array(repeating: 1, count: 10), sims: sims, window: nil,
                                           recipientZones: [paris], dayZone: paris, start: local("2026-11-30 10:00"))
        #expect(finish(estimate) == local("2026-11-30 10:00:12"))
    }

    @Test("what was sent today counts against the cap; a multi-part message costs its parts")
    func sentTodayAndSegments() {
        let sim = SendingETA.SIM(minimumInterval: 0, dailyCap: 10, sentToday: 9)
        let estimate = SendingETA.estimate(segments: [2], sims: [sim], window: nil, recipientZones: [paris],
                                           dayZone: paris, start: local("2026-11-30 10:00"))
        #expect(finish(estimate) == local("2026-12-01 00:00"))
    }

    @Test("a Sunday start under the fr preset waits for Monday 08:00")
    func quietHours() {
        let estimate = SendingETA.estimate(segments: [1], sims: [SendingETA.SIM(minimumInterval: 3, dailyCap: 200)],
                                           window: .fr, recipientZones: [paris], dayZone: paris,
                                           start: local("2026-11-29 12:00"))
        #expect(finish(estimate) == local("2026-11-30 08:00"))
    }

    @Test("no SIM, or a message longer than every cap, never finishes; nothing to send finishes at once")
    func never() {
        let start = local("2026-11-30 10:00")
        #expect(SendingETA.estimate(segments: [1], sims: [], window: nil, recipientZones: [paris], dayZone: paris, start: start)
                == .never(reason: "no SIM to send from"))
        guard case .never = SendingETA.estimate(segments: [3], sims: [SendingETA.SIM(minimumInterval: 0, dailyCap: 2)], window: nil,
                                                recipientZones: [paris], dayZone: paris, start: start) else {
            Issue.record("expected never")
            return
        }
        #expect(SendingETA.estimate(segments: [], sims: [], window: nil, recipientZones: [paris], dayZone: paris, start: start)
                == .finishes(at: start))
    }

    @Test("each message waits for its own recipient's window")
    func perMessageWindows() {
        let newYork = TimeZone(identifier: "America/New_York") ?? .gmt
        let messages = [
            SendingETA.Message(segments: 1, window: .fr, zones: [paris]),
            SendingETA.Message(segments: 1, window: .us, zones: [newYork]),
        ]
        // 10:00 in Paris is 04:00 in New York: the second message waits for 09:00 there.
        let estimate = SendingETA.estimate(messages, sims: [SendingETA.SIM(minimumInterval: 3, dailyCap: 200)],
                                           dayZone: paris, start: local("2026-11-30 10:00"))
        #expect(finish(estimate) == local("2026-11-30 09:00", "America/New_York"))
    }
}
