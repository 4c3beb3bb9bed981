import Foundation
import PostgresNIO
import Records
import Synchronization

/// The credit ledger shared by every agent (`smsagent_ledger`): one row per accepted part,
/// unique on (message, part), written in the transaction of the part's state change when the
/// outbox is the database's too (`PostgresOutbox.recordPartAccepted(…charging:)`). The running
/// total sits in `smsagent_ledger_total`, updated in the row's transaction, so a balance is one
/// row read whatever the ledger's length. Every agent sees every other's spending at once.
///
/// Reservations are shared too (`smsagent_reservations`, one row per message in flight): an
/// agent reserves under an advisory lock, against the balance less every other
/// agent's live reservation, so two sites can never both count on the same last credits. A
/// reservation lives one lease (renewed with the leases of the messages in hand); a row charged
/// uses it up in the row's transaction; a dead agent's reservations lapse with its leases.
public final class PostgresCreditLedger: CreditLedger, Sendable {
    let pool: PostgresPool
    public let openingBalance: Int

    public init(pool: PostgresPool, openingBalance: Int) {
        self.pool = pool
        self.openingBalance = openingBalance
    }

    public func balance() throws -> Int {
        try openingBalance - spent()
    }

    public func available() throws -> Int {
        try pool.withConnection { connection in
            let row = try connection.rows("""
                SELECT (SELECT spent FROM smsagent_ledger_total WHERE id = 1),
                       (SELECT coalesce(sum(credits), 0)::bigint FROM smsagent_reservations WHERE expires_at > now())
                """, operation: "available credits").first
            let (spent, reserved) = try row?.decode((Int, Int).self) ?? (0, 0)
            return openingBalance - spent - reserved
        }
    }

    public func reserve(messageID: String, credits: Int) throws {
        guard credits >= 0 else { throw RecordsError.invalidRecord("cannot reserve \(credits) credits") }
        let agent = pool.settings.agentID
        let lease = pool.settings.leaseSeconds
        try pool.transaction { connection in
            // Reservations take turns (a transaction-scoped advisory lock); charges need not wait
            // for them: a charge moves credits from reserved to spent in one transaction, and the
            // two sums are read in one statement (one snapshot), so spent + reserved is exact.
            try connection.run("SELECT pg_advisory_xact_lock(\(Self.reservationLock))", operation: "reserve credits")
            let row = try connection.rows("""
                SELECT (SELECT spent FROM smsagent_ledger_total WHERE id = 1),
                       (SELECT coalesce(sum(credits), 0)::bigint FROM smsagent_reservations
                         WHERE expires_at > now() AND message_id <> \(messageID))
                """, operation: "reserve credits").first
            let (spent, others) = try row?.decode((Int, Int).self) ?? (0, 0)
            let free = openingBalance - spent - others
            guard credits <= free else { throw RecordsError.insufficientCredits(available: max(0, free), requested: credits) }
            try connection.run("""
                INSERT INTO smsagent_reservations (message_id, agent, credits, expires_at)
                VALUES (\(messageID), \(agent), \(credits), now() + make_interval(secs => \(lease)))
                ON CONFLICT (message_id) DO UPDATE SET agent = EXCLUDED.agent, credits = EXCLUDED.credits, expires_at = EXCLUDED.expires_at
                """, operation: "reserve credits")
        }
    }

    /// `pg_advisory_xact_lock` key of the reservations ("smsreser" in ASCII).
    static let reservationLock: Int = 0x736D_7372_6573_6572

    /// Gives a reservation back; if the database cannot be reached it lapses with its lease.
    public func release(messageID: String) {
        _ = try? pool.withConnection { connection in
            try connection.run("DELETE FROM smsagent_reservations WHERE message_id = \(messageID)", operation: "release credits")
        }
    }

    /// Kept for the outbox's calls: a charged row uses its reservation up in its own transaction (`insert`).
    func consumeReservation(messageID: String, credits: Int) {}

    /// Extends the reservations of the messages in hand (with their leases).
    static func renewReservations(of ids: [String], agent: String, lease: Int, on connection: PostgresConnection) throws {
        try connection.run("""
            UPDATE smsagent_reservations SET expires_at = now() + make_interval(secs => \(lease))
            WHERE agent = \(agent) AND message_id = ANY(\(ids))
            """, operation: "renew reservations")
    }

    @discardableResult
    public func commit(row: LedgerRow) throws -> Bool {
        let inserted = try pool.transaction { connection in
            try Self.insert(row, agent: pool.settings.agentID, openingBalance: openingBalance, on: connection)
        }
        if inserted { consumeReservation(messageID: row.messageID, credits: row.credits) }
        return inserted
    }

    /// Adds credits (a negative-credit row with message id `topup`).
    public func topUp(credits: Int, note: String = "", at date: Date = Date()) throws {
        guard credits > 0 else { throw RecordsError.invalidRecord("a top-up adds a positive number of credits") }
        try commit(row: LedgerRow(time: date, messageID: "topup", recipient: note, messageClass: "", segments: 0,
                                  credits: -credits, modem: "", part: nil, kind: .topup))
    }

    /// Inserts a row in the caller's transaction unless (message, part) is there; keeps the total.
    @discardableResult
    static func insert(_ row: LedgerRow, agent: String, openingBalance: Int, on connection: PostgresConnection) throws -> Bool {
        if let part = row.part, part < 1 { throw RecordsError.invalidRecord("ledger part \(part) of \(row.messageID)") }
        if row.messageID.isEmpty { throw RecordsError.invalidRecord("ledger row without message id") }
        let refs = row.refs
        let kind = row.effectiveKind.rawValue
        let rows = try connection.rows("""
            WITH total AS (SELECT spent FROM smsagent_ledger_total WHERE id = 1 FOR UPDATE),
                 inserted AS (
                    INSERT INTO smsagent_ledger (time, message_id, recipient, class, segments, credits, balance, modem, refs, part, kind, agent)
                    SELECT \(row.time), \(row.messageID), \(row.recipient), \(row.messageClass), \(row.segments), \(row.credits),
                           \(openingBalance) - total.spent - \(row.credits), \(row.modem), \(refs), \(row.part), \(kind), \(agent)
                    FROM total
                    ON CONFLICT (message_id, part) WHERE part IS NOT NULL DO NOTHING
                    RETURNING credits)
            UPDATE smsagent_ledger_total SET spent = spent + inserted.credits FROM inserted WHERE id = 1 RETURNING spent
            """, operation: "ledger row of \(row.messageID)")
        guard !rows.isEmpty else { return false }
        // What the row charged is no longer set aside: it is spent.
        try connection.run("""
            UPDATE smsagent_reservations SET credits = credits - least(credits, \(max(0, row.credits)))
            WHERE message_id = \(row.messageID)
            """, operation: "ledger row of \(row.messageID)")
        return true
    }

    public func isCommitted(messageID: String, part: Int) throws -> Bool {
        try pool.withConnection { connection in
            try connection.rows("SELECT 1 FROM smsagent_ledger WHERE message_id = \(messageID) AND part = \(part)",
                                operation: "ledger lookup").isEmpty == false
        }
    }

    public func rows() throws -> [LedgerRow] {
        try pool.withConnection { connection in
            try connection.rows("""
                SELECT time, message_id, recipient, class, segments, credits, balance, modem, refs, part, kind
                FROM smsagent_ledger ORDER BY seq
                """, operation: "read the ledger").map { row in
                let (time, id, recipient, messageClass, segments, credits, balance, modem, refs, part, kind) =
                    try row.decode((Date, String, String, String, Int, Int, Int, String, [Int], Int?, String).self)
                return LedgerRow(time: time, messageID: id, recipient: recipient, messageClass: messageClass, segments: segments,
                                 credits: credits, balance: balance, modem: modem, refs: refs, part: part,
                                 kind: LedgerKind(rawValue: kind) ?? LedgerKind.inferred(messageID: id))
            }
        }
    }

    public func summary(by grouping: LedgerGrouping, timeZone: TimeZone) throws -> [LedgerSummary] {
        LedgerSummary.summarize(try rows(), by: grouping, timeZone: timeZone)
    }

    private func spent() throws -> Int {
        try pool.withConnection { connection in
            try connection.rows("SELECT spent FROM smsagent_ledger_total WHERE id = 1", operation: "read the balance")
                .first?.decode(Int.self) ?? 0
        }
    }
}
