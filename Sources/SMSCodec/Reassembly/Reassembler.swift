#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A whole inbound message: one SMS-DELIVER or every part of a concatenated one.
public struct InboundMessage: Sendable, Equatable, Codable {
    public var originator: String
    public var text: String
    /// SCTS of the first part (by sequence number) and its offset.
    public var timestamp: Date
    public var timeZoneOffsetMinutes: Int
    /// When the first part to arrive was received.
    public var receivedAt: Date
    /// nil for a single SMS.
    public var reference: Int?
    /// The parts in sequence order.
    public var parts: [SMSDeliver]
    public var smsc: String?
}

/// A concatenated message given up on: some parts never came.
public struct IncompleteMessage: Sendable, Equatable, Codable {
    public var originator: String
    public var reference: Int
    public var totalParts: Int
    /// The parts received, in sequence order.
    public var parts: [SMSDeliver]
    /// 1-based sequence numbers never received.
    public var missing: [Int]
    public var firstReceivedAt: Date
    /// The received text, with "[…]" where parts are missing.
    public var partialText: String
}

public enum ReassemblyOutcome: Sendable, Equatable {
    case complete(InboundMessage)
    /// The part was stored; these sequence numbers are still missing.
    case pending(missing: [Int])
    /// This part was already received (or its message already completed recently); nothing changed.
    case duplicate
}

/// Puts concatenated SMS back together (TS 23.040 §9.2.3.24.1/.8).
///
/// Parts are grouped by (originator, reference, total), accepted in any order; a part seen before
/// is a `.duplicate`. A completed message's key is remembered for `timeout`, so a part listed again
/// after completion (e.g. re-read from the SIM after a crash) is a duplicate, not a new message.
/// Groups older than `timeout` (counted from their first part) are handed back by `expire(now:)`.
/// The whole state is `Codable`, so a caller can persist it between runs.
public struct Reassembler: Sendable, Codable, Equatable {
    struct Key: Hashable, Codable, Sendable {
        var originator: String
        var reference: Int
        var total: Int
    }

    struct Group: Codable, Equatable, Sendable {
        var key: Key
        var firstReceivedAt: Date
        var parts: [Int: SMSDeliver]
    }

    struct Completed: Codable, Equatable, Sendable {
        var key: Key
        var completedAt: Date
        /// Text per sequence number: a reused reference with different content is a new message.
        var texts: [Int: String]
    }

    public var timeout: Duration
    private(set) var groups: [Group] = []
    private(set) var completed: [Completed] = []

    public init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Number of messages waiting for parts.
    public var pendingCount: Int { groups.count }

    public mutating func add(_ deliver: SMSDeliver, receivedAt: Date) -> ReassemblyOutcome {
        guard let concat = deliver.concatenation, concat.total > 1 else {
            return .complete(InboundMessage(
                originator: deliver.originator, text: deliver.text, timestamp: deliver.timestamp,
                timeZoneOffsetMinutes: deliver.timeZoneOffsetMinutes, receivedAt: receivedAt, reference: nil,
                parts: [deliver], smsc: deliver.smsc))
        }
        let key = Key(originator: deliver.originator, reference: concat.reference, total: concat.total)
        if !groups.contains(where: { $0.key == key }),
            completed.contains(where: { $0.key == key && $0.texts[concat.sequence] == deliver.text })
        {
            return .duplicate
        }
        let index: Int
        if let existing = groups.firstIndex(where: { $0.key == key }) {
            index = existing
        } else {
            groups.append(Group(key: key, firstReceivedAt: receivedAt, parts: [:]))
            index = groups.count - 1
        }
        guard groups[index].parts[concat.sequence] == nil else { return .duplicate }
        groups[index].parts[concat.sequence] = deliver
        let group = groups[index]
        let missing = (1...concat.total).filter { group.parts[$0] == nil }
        guard missing.isEmpty else { return .pending(missing: missing) }

        groups.remove(at: index)
        completed.removeAll { $0.key == key }
        completed.append(Completed(
            key: key, completedAt: receivedAt, texts: group.parts.mapValues(\.text)))
        let ordered = (1...concat.total).compactMap { group.parts[$0] }
        let first = ordered[0]
        return .complete(InboundMessage(
            originator: deliver.originator, text: Self.join(ordered), timestamp: first.timestamp,
            timeZoneOffsetMinutes: first.timeZoneOffsetMinutes, receivedAt: group.firstReceivedAt,
            reference: concat.reference, parts: ordered, smsc: first.smsc))
    }

    /// Removes and returns the groups whose first part arrived `timeout` or more before `now`;
    /// forgets completed keys older than `timeout`.
    public mutating func expire(now: Date) -> [IncompleteMessage] {
        let limit = Self.seconds(timeout)
        var expired = [IncompleteMessage]()
        groups.removeAll { group in
            guard now.timeIntervalSince(group.firstReceivedAt) >= limit else { return false }
            let total = group.key.total
            let parts = (1...total).compactMap { group.parts[$0] }
            let partial = (1...total).map { group.parts[$0]?.text ?? "[…]" }.joined()
            expired.append(IncompleteMessage(
                originator: group.key.originator, reference: group.key.reference, totalParts: total, parts: parts,
                missing: (1...total).filter { group.parts[$0] == nil }, firstReceivedAt: group.firstReceivedAt,
                partialText: partial))
            return true
        }
        completed.removeAll { now.timeIntervalSince($0.completedAt) >= limit }
        return expired
    }

    /// Joins parts; UCS-2 parts are joined as UTF-16 units so that a surrogate pair a sender
    /// split across parts is restored.
    static func join(_ parts: [SMSDeliver]) -> String {
        if parts.allSatisfy({ $0.encoding == .ucs2 }) {
            return UCS2.decode(parts.flatMap(\.payload))
        }
        return parts.map(\.text).joined()
    }

    static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
