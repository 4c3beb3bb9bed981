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
/// Reservations stay in this agent's memory, as on files: each agent sets aside what its own
/// messages in flight need, and the balance they all share is the database's.
public final class PostgresCreditLedger: CreditLedger, Sendable {
    let pool: PostgresPool
    public let openingBalance: Int
    private let reserved = Mutex<[String: Int]>([:])

    public init(pool: PostgresPool, openingBalance: Int) {
        self.pool = pool
        self.openingBalance = openingBalance
    }

    public func balance() throws -> Int {
        try openingBalance - spent()
    }

    public func available() throws -> Int {
        let balance = try balance()
        return balance - reserved.withLock { $0.values.reduce(0, +) }
    }

    public func reserve(messageID: String, credits: Int) throws {
        guard credits >= 0 else { throw RecordsError.invalidRecord("cannot reserve \(credits) credits") }
        let balance = try balance()
        try reserved.withLock { reserved in
            let free = balance - reserved.values.reduce(0, +) + (reserved[messageID] ?? 0)
            guard credits <= free else { throw RecordsError.insufficientCredits(available: max(0, free), requested: credits) }
            reserved[messageID] = credits
        }
    }

    public func release(messageID: String) {
        reserved.withLock { $0[messageID] = nil }
    }

    /// What a committed row used of its message's reservation.
    func consumeReservation(messageID: String, credits: Int) {
        reserved.withLock { reserved in
            if let left = reserved[messageID] { reserved[messageID] = left - credits > 0 ? left - credits : nil }
        }
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
        return !rows.isEmpty
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
