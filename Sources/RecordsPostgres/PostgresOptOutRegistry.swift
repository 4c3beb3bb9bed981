import Compliance
import Foundation
import PostgresNIO
import Records

/// The opt-out list shared by every agent: `smsagent_optout_events` keeps every event (who, when,
/// which keyword, from which modem and agent); `smsagent_optouts` holds one row per number — its
/// HMAC identifier when a key is set — with the event that decides its state, updated in the
/// event's transaction.
///
/// Every check reads the committed state (a primary-key lookup): a STOP committed by any agent
/// suppresses the next marketing message of every other agent, with no cache to go stale, and a
/// database that cannot be reached makes the check throw — the dispatcher then keeps the message
/// queued instead of sending it blind (invariant 4). `NOTIFY smsagent_optouts` tells listeners
/// (the dashboard's event feed, tests) that the list changed.
public final class PostgresOptOutRegistry: OptOutRegistry, Sendable {
    let pool: PostgresPool
    public let storeHashed: Bool
    public let textLimit: Int
    private let key: HMACKey?

    public static let channel = "smsagent_optouts"

    public init(pool: PostgresPool, key: HMACKey? = nil, storeHashed: Bool = false, textLimit: Int = 0) throws {
        if storeHashed && key == nil {
            throw RecordsError.invalidFile(path: "optout.key", reason: "hashed mode needs the key file (optout.key)")
        }
        self.pool = pool
        self.key = key
        self.storeHashed = storeHashed
        self.textLimit = storeHashed ? 0 : max(0, textLimit)
    }

    public func isOptedOut(_ number: PhoneNumber) throws -> Bool {
        let identity = try self.identity(of: number.e164)
        return try pool.withConnection { connection in
            try connection.rows("SELECT opted_out FROM smsagent_optouts WHERE identity = \(identity)", operation: "opt-out check")
                .first?.decode(Bool.self) ?? false
        }
    }

    @discardableResult
    public func record(_ event: OptOutEvent) throws -> Bool {
        let stored = try event.storable(key: key, storeHashed: storeHashed, textLimit: textLimit)
        let identity = try self.identity(of: event.number)
        let optedOut = stored.event == .optout
        let agent = pool.settings.agentID
        return try pool.transaction { connection in
            // The same STOP processed twice (another agent, a restart) is one event (unique index).
            let inserted = try connection.rows("""
                INSERT INTO smsagent_optout_events (recorded_at, number, identity, event, keyword, text, modem, source, agent)
                VALUES (\(stored.recordedAt), \(stored.number), \(identity), \(stored.event.rawValue), \(stored.keyword), \(stored.text),
                        \(stored.modem), \(stored.source), \(agent))
                ON CONFLICT (identity, event, source) WHERE source LIKE 'sms:%' DO NOTHING
                RETURNING seq
                """, operation: "record an opt-out event")
            guard let seq = try inserted.first?.decode(Int.self) else { return false }
            // The latest event decides; an older one imported later does not (equal times: the later row).
            try connection.run("""
                INSERT INTO smsagent_optouts (identity, opted_out, recorded_at, event_seq)
                VALUES (\(identity), \(optedOut), \(stored.recordedAt), \(seq))
                ON CONFLICT (identity) DO UPDATE SET opted_out = EXCLUDED.opted_out, recorded_at = EXCLUDED.recorded_at,
                                                     event_seq = EXCLUDED.event_seq
                WHERE smsagent_optouts.recorded_at <= EXCLUDED.recorded_at
                """, operation: "record an opt-out state")
            try connection.run("SELECT pg_notify(\(Self.channel), \(identity))", operation: "notify")
            return true
        }
    }

    public func events() throws -> [OptOutEvent] {
        try pool.withConnection { connection in
            try connection.rows("""
                SELECT recorded_at, number, event, keyword, text, modem, source FROM smsagent_optout_events ORDER BY seq
                """, operation: "read opt-out events").map(Self.event)
        }
    }

    public func current() throws -> [OptOutState] {
        try pool.withConnection { connection in
            try connection.rows("""
                SELECT e.recorded_at, e.number, e.event, e.keyword, e.text, e.modem, e.source
                FROM smsagent_optouts s JOIN smsagent_optout_events e ON e.seq = s.event_seq ORDER BY s.event_seq
                """, operation: "read opt-out states").map { row in
                let event = try Self.event(row)
                return OptOutState(deciding: event)
            }
        }
    }

    public func state(of number: PhoneNumber) throws -> OptOutState? {
        let identity = try self.identity(of: number.e164)
        return try pool.withConnection { connection in
            try connection.rows("""
                SELECT e.recorded_at, e.number, e.event, e.keyword, e.text, e.modem, e.source
                FROM smsagent_optouts s JOIN smsagent_optout_events e ON e.seq = s.event_seq WHERE s.identity = \(identity)
                """, operation: "read an opt-out state").first.map { row in
                let event = try Self.event(row)
                return OptOutState(deciding: event)
            }
        }
    }

    public func optedOutCount() throws -> Int {
        try pool.withConnection { connection in
            try connection.rows("SELECT count(*)::bigint FROM smsagent_optouts WHERE opted_out", operation: "count opt-outs")
                .first?.decode(Int.self) ?? 0
        }
    }

    /// How a number is written in the list (`hmac:…` in hashed mode).
    public func storedIdentifier(for number: PhoneNumber) -> String {
        OptOutEvent.storedIdentifier(for: number, key: key, storeHashed: storeHashed)
    }

    private func identity(of number: String) throws -> String {
        if HMACKey.isIdentifier(number) {
            guard key != nil else {
                throw RecordsError.invalidRecord("the list holds hashed numbers but the key file (optout.key) is missing")
            }
            return number
        }
        let e164 = try E164.validated(number)
        return key?.identifier(forE164: e164) ?? e164
    }

    private static func event(_ row: PostgresRow) throws -> OptOutEvent {
        let (recordedAt, number, event, keyword, text, modem, source) =
            try row.decode((Date, String, String, String, String, String, String).self)
        return OptOutEvent(recordedAt: recordedAt, number: number, event: OptOutEvent.Kind(rawValue: event) ?? .optout,
                           keyword: keyword, text: text, modem: modem, source: source)
    }
}

/// "At most one confirmation per number per 24 h" across every agent (`smsagent_confirmations`;
/// `log` tells opt-out confirmations from HELP replies). A claim takes a transaction-scoped
/// advisory lock on the number, so two agents answering the same STOP send one confirmation.
public final class PostgresConfirmationLog: ConfirmationLog, Sendable {
    let pool: PostgresPool
    let log: String
    private let key: HMACKey?

    public init(pool: PostgresPool, log: String = "confirmation", key: HMACKey? = nil) {
        self.pool = pool
        self.log = log
        self.key = key
    }

    public func wasSent(to number: PhoneNumber, within window: TimeInterval, now: Date) throws -> Bool {
        let identity = self.identity(of: number)
        return try pool.withConnection { connection in
            try !connection.rows("""
                SELECT 1 FROM smsagent_confirmations WHERE log = \(log) AND number = \(identity)
                  AND sent_at > \(now.addingTimeInterval(-window)) LIMIT 1
                """, operation: "confirmation lookup").isEmpty
        }
    }

    public func claim(for number: PhoneNumber, messageID: String, within window: TimeInterval, now: Date) throws -> Bool {
        let identity = self.identity(of: number)
        return try pool.transaction { connection in
            try connection.run("SELECT pg_advisory_xact_lock(hashtext(\(log + "|" + identity)))", operation: "lock a confirmation")
            let recent = try connection.rows("""
                SELECT 1 FROM smsagent_confirmations WHERE log = \(log) AND number = \(identity)
                  AND sent_at > \(now.addingTimeInterval(-window)) LIMIT 1
                """, operation: "confirmation lookup")
            if !recent.isEmpty { return false }
            try connection.run("""
                INSERT INTO smsagent_confirmations (sent_at, number, message_id, log) VALUES (\(now), \(identity), \(messageID), \(log))
                """, operation: "record a confirmation")
            return true
        }
    }

    /// Numbers are kept like in the opt-out list: `hmac:` identifiers when a key is set.
    private func identity(of number: PhoneNumber) -> String {
        key?.identifier(forE164: number.e164) ?? number.e164
    }
}
