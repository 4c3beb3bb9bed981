import Compliance
import Foundation
import Records

/// Marketing only through modems whose STOP number reaches a SIM the agent reads (issue 10 item 6,
/// `MarketingRoute`). A modem that may not carry marketing never gets a marketing job: what it
/// claims is handed to a modem that may (woken at once), or — when none can take work — held in
/// the queue with the reason in the log and in `status`, never failed.
extension Dispatcher {
    /// How long marketing that no modem can carry waits before it is looked at again (a modem that
    /// can carry it may have joined or come back meanwhile).
    static let marketingHoldInterval: TimeInterval = 60

    // MARK: - The workers tell

    /// Modem `modemID` is set up: whether replies to its SIM can be read, and its own number.
    public func joinRoute(modemID: String, repliesReadable: Bool, ownNumber: String?, knowsStopNumber: Bool = true, doorbell: Doorbell) {
        let available = route.modems[modemID]?.available ?? false
        route.join(modemID, MarketingRoute.Modem(repliesReadable: repliesReadable, ownNumber: ownNumber, available: available,
                                                 knowsStopNumber: knowsStopNumber))
        doorbells[modemID] = doorbell
        if let refusal = route.refusal(for: modemID) {
            logger.warning("marketing does not go through this modem", metadata: ["modem": "\(modemID)", "reason": "\(refusal)"])
        }
        routeChanged()
    }

    /// Modem `modemID` takes work now (ready or sending), or stopped taking it.
    public func setRouteAvailable(modemID: String, _ available: Bool) {
        guard route.setAvailable(modemID, available) else { return }
        routeChanged()
    }

    /// Modem `modemID` left the pool.
    public func leaveRoute(modemID: String) {
        route.leave(modemID)
        doorbells[modemID] = nil
        routeChanged()
    }

    /// Whether modem `modemID` may be given marketing.
    public func carriesMarketing(modemID: String) -> Bool { route.carries(modemID) }

    /// What `status` shows about marketing: the modems it does not go through, and why it is held.
    public func marketingWarnings() -> [String] {
        var warnings = route.refusers.map { "marketing does not go through \($0): \(route.refusal(for: $0) ?? "")" }
        if let marketingHeld { warnings.append(marketingHeld) }
        return warnings
    }

    // MARK: - Claims

    var handoffIsFull: Bool { handoff.count >= max(1, route.availableCarriers.count) }

    /// A message handed off to a carrier, decided with the carrier's own policy (its footer).
    func takeHandedOff(modemID: String, policy: SendPolicy) -> SendJob? {
        while !handoff.isEmpty {
            let message = handoff.removeFirst()
            ringRefusers()   // room in the hand-off: they may claim again
            if let job = decide(message, modemID: modemID, policy: policy) { return job }
            if waitingForCredits { return nil }
        }
        return nil
    }

    /// A marketing message claimed by `modemID`, which may not carry it.
    func routeMarketing(_ message: OutboxMessage, claimedBy modemID: String) {
        let carriers = route.availableCarriers
        guard carriers.isEmpty else {
            handoff.append(message)
            for id in carriers { doorbells[id]?.ring() }
            logger.debug("marketing handed to a modem whose STOP number is read", metadata: [
                "id": "\(message.id)", "from": "\(modemID)", "to": "\(carriers.joined(separator: ","))"])
            return
        }
        hold([message], refusedBy: modemID)
    }

    /// Back to the queue until `marketingHoldInterval` has passed, with the reason.
    private func hold(_ messages: [OutboxMessage], refusedBy modemID: String?) {
        let until = clock.now().addingTimeInterval(Self.marketingHoldInterval)
        let reason = holdReason(refusedBy: modemID)
        for message in messages {
            requeue(message.id, notBefore: until)
            record(.held(id: message.id, until: until, reason: reason))
        }
        if marketingHeld != reason {
            marketingHeld = reason
            logger.warning("marketing held; it stays queued", metadata: ["reason": "\(reason)"])
        }
    }

    private func holdReason(refusedBy modemID: String?) -> String {
        var why: [String] = []
        if let modemID, let refusal = route.refusal(for: modemID) { why.append("\(modemID): \(refusal)") }
        let waiting = route.modems.filter { !$0.value.available && route.carries($0.key) }.map(\.key).sorted()
        if !waiting.isEmpty {
            why.append("the modems that can carry it (\(waiting.joined(separator: ", "))) are not ready")
        }
        return "marketing held (it stays queued): no modem that can carry it takes work now"
            + (why.isEmpty ? "" : " — " + why.joined(separator: "; "))
    }

    private func ringRefusers() {
        for id in route.refusers { doorbells[id]?.ring() }
    }

    /// After a modem joined, left, or started or stopped taking work.
    private func routeChanged() {
        let carriers = route.availableCarriers
        if carriers.isEmpty {
            // Nobody left to take the hand-off: those messages wait in the queue.
            if !handoff.isEmpty {
                let messages = handoff
                handoff = []
                hold(messages, refusedBy: nil)
                ringRefusers()
            }
            return
        }
        if marketingHeld != nil {
            marketingHeld = nil
            logger.notice("marketing goes out again", metadata: ["through": "\(carriers.joined(separator: ","))"])
        }
        if !handoff.isEmpty { for id in carriers { doorbells[id]?.ring() } }
    }
}
