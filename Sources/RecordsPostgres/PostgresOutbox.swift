import Foundation
import Logging
import PostgresNIO
import Records
import Synchronization

/// The outbox as one table shared by every agent (`smsagent_outbox`, docs/postgres.md).
///
/// - Claim: one `UPDATE … WHERE id = (SELECT … ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)`:
///   two agents never claim the same message and never wait for each other.
/// - Lease: a claimed message carries its agent (`lease_owner`) and an expiry (`lease_expires`,
///   the database's clock), renewed by every write about the message and by a timer every third
///   of the lease while the agent runs. Every write checks the lease: an agent that lost its
///   message (it was partitioned for longer than the lease) hears `leaseLost` instead of writing.
/// - Takeover: a message whose lease expired is settled by `OutboxRecovery` — the same
///   ambiguous-window rules as a crash on files (a part whose PDU was written with no answer is
///   settled by the policy, never blindly resent) — before any claim, by any agent.
/// - Parts of one message stay on one modem: a message given back with parts accepted keeps an
///   affinity to its agent for one lease, so the agent that holds its first parts sends the rest.
/// - `NOTIFY smsagent_outbox` on every enqueue and requeue wakes idle agents at once.
public final class PostgresOutbox: LedgerAwareOutbox, RequestImporting, Sendable {
    let pool: PostgresPool
    let agentID: String
    let lease: Int
    let ledger: PostgresCreditLedger?
    let logger: Logger
    /// The ambiguous-window policy used when this agent takes over another agent's expired message.
    let policy: Mutex<AmbiguousSendPolicy>
    /// The messages this process claimed and has not yet completed or given back — those its
    /// modems hold. Only these leases are renewed and only these are spared by this agent's own
    /// takeovers: a message whose completion or requeue could not be written (the database away)
    /// leaves the set, its lease runs out, and the next claim settles it by the recovery rules
    /// instead of it staying `sending` for ever.
    let inHand = Mutex<Set<String>>([])
    /// The ledger row of each charged part of a message settled by a takeover (nil: no row).
    let charge: (@Sendable (OutboxMessage, SendAttempt) -> LedgerRow?)?

    public static let channel = "smsagent_outbox"

    public init(pool: PostgresPool, ledger: PostgresCreditLedger? = nil, policy: AmbiguousSendPolicy = .assumeSent,
                charge: (@Sendable (OutboxMessage, SendAttempt) -> LedgerRow?)? = nil,
                logger: Logger = Logger(label: "smsagent.records.outbox")) {
        self.pool = pool
        agentID = pool.settings.agentID
        lease = pool.settings.leaseSeconds
        self.ledger = ledger
        self.policy = Mutex(policy)
        self.charge = charge
        self.logger = logger
    }

    // MARK: Intake

    public func enqueue(_ message: OutboxMessage) throws {
        try FileOutbox.validateID(message.id)
        if message.to.trimmingCharacters(in: .whitespaces).isEmpty { throw RecordsError.invalidRecord("\(message.id): \"to\" is empty") }
        if message.text.isEmpty { throw RecordsError.invalidRecord("\(message.id): \"text\" is empty") }
        let folder = message.isAgentMessage ? OutboxFolder.queued : .new
        let document = try Self.encode(message)
        try pool.transaction { connection in
            let inserted = try connection.run("""
                INSERT INTO smsagent_outbox (id, folder, message, not_before, campaign, created_at)
                VALUES (\(message.id), \(folder.rawValue), \(document)::jsonb, \(message.notBefore), \(message.campaign), \(message.createdAt))
                ON CONFLICT (id) DO NOTHING
                """, operation: "enqueue \(message.id)")
            if inserted == 0 {
                let rows = try connection.rows("SELECT folder FROM smsagent_outbox WHERE id = \(message.id)", operation: "enqueue \(message.id)")
                let existing = try rows.first?.decode(String.self) ?? "?"
                throw RecordsError.duplicateMessageID(id: message.id, folder: "outbox (\(existing))")
            }
            try connection.run("SELECT pg_notify(\(Self.channel), \(message.id))", operation: "notify")
        }
    }

    /// Queues a request a producer dropped in an agent's `outbox/new/` (`DropBoxImporter`): like
    /// `enqueue`, and a request already stored under its id — the same recipient, text, class,
    /// campaign and creation time — is `.alreadyQueued` (the agent stopped after the commit and
    /// before removing the file), not an error.
    public func importRequest(_ message: OutboxMessage) throws -> RequestImportOutcome {
        do {
            try enqueue(message)
            return .queued
        } catch let RecordsError.duplicateMessageID(id, folder) {
            let rows = try pool.withConnection { connection in
                try connection.rows("SELECT message::text FROM smsagent_outbox WHERE id = \(id)", operation: "find \(id)")
            }
            guard let document = try rows.first?.decode(String.self), let stored = try? Self.decode(document),
                  Self.isSameRequest(stored, message) else {
                throw RecordsError.duplicateMessageID(id: id, folder: folder)
            }
            return .alreadyQueued
        }
    }

    static func isSameRequest(_ a: OutboxMessage, _ b: OutboxMessage) -> Bool {
        a.to == b.to && a.text == b.text && a.messageClass == b.messageClass && a.campaign == b.campaign
            && abs(a.createdAt.timeIntervalSince(b.createdAt)) < 0.001
    }

    /// Inserts a message with its full record straight into `folder` (`smsagent records import`).
    public func store(_ message: OutboxMessage, in folder: OutboxFolder) throws {
        try FileOutbox.validateID(message.id)
        let target = folder == .sending ? OutboxFolder.queued : folder   // nobody holds it any more
        let settled: Date? = target == .sent || target == .failed ? (message.result?.finishedAt ?? Date()) : nil
        let inserted = try pool.withConnection { connection in
            try connection.run("""
                INSERT INTO smsagent_outbox (id, folder, message, not_before, campaign, created_at, settled_at)
                VALUES (\(message.id), \(target.rawValue), \(try Self.encode(message))::jsonb, \(message.notBefore), \(message.campaign),
                        \(message.createdAt), \(settled))
                ON CONFLICT (id) DO NOTHING
                """, operation: "store \(message.id)")
        }
        if inserted == 0 { throw RecordsError.duplicateMessageID(id: message.id, folder: "outbox") }
    }

    // MARK: Claim

    public func claimNext(now: Date) throws -> ClaimedMessage? {
        try takeOverExpired()
        return try pool.withConnection { connection -> ClaimedMessage? in
            while true {
                let rows = try connection.rows("""
                    UPDATE smsagent_outbox SET folder = 'sending', lease_owner = \(agentID),
                           lease_expires = now() + make_interval(secs => \(lease)), updated_at = now()
                    WHERE id = (
                        SELECT id FROM smsagent_outbox
                        WHERE folder IN ('new', 'queued') AND (not_before IS NULL OR not_before <= \(now))
                          AND (affinity_owner IS NULL OR affinity_owner = \(agentID) OR affinity_until <= now())
                        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
                    RETURNING id, message::text
                    """, operation: "claim")
                guard let row = rows.first else { return nil }
                let (id, document) = try row.decode((String, String).self)
                do {
                    var message = try Self.decode(document)
                    message.id = id
                    inHand.withLock { _ = $0.insert(id) }
                    return ClaimedMessage(claimed: message)
                } catch {
                    // Only a hand edit can make a stored document unreadable: failed, with the reason.
                    let reason = "unreadable message document: \(error)"
                    try connection.run("""
                        UPDATE smsagent_outbox SET folder = 'failed', settled_at = now(), lease_owner = NULL, lease_expires = NULL,
                               message = jsonb_set(message, '{result}', jsonb_build_object('status', 'failed', 'reason', \(reason)::text))
                        WHERE id = \(id)
                        """, operation: "reject \(id)")
                    logger.error("unreadable outbox row moved to failed", metadata: ["message.id": "\(id)", "reason": "\(reason)"])
                }
            }
        }
    }

    public func earliestHeldUntil() throws -> Date? {
        try pool.withConnection { connection in
            let rows = try connection.rows("""
                SELECT (SELECT min(not_before) FROM smsagent_outbox WHERE folder IN ('new', 'queued') AND not_before IS NOT NULL),
                       (SELECT extract(epoch FROM min(lease_expires) - now())::float8 FROM smsagent_outbox
                         WHERE folder = 'sending' AND NOT (lease_owner = \(agentID) AND id = ANY(\(heldIDs()))))
                """, operation: "earliest held")
            guard let row = rows.first else { return nil }
            let (held, leaseLeft) = try row.decode((Date?, Double?).self)
            // Another agent's lease: look again when it expires (to take its message over).
            let takeover = leaseLeft.map { Date().addingTimeInterval(max(0, $0) + 0.05) }
            return [held, takeover].compactMap { $0 }.min()
        }
    }

    // MARK: Progress of a claimed message

    public func recordAttempt(_ id: String, _ attempt: SendAttempt) throws {
        try OutboxMessage.checkPart(of: attempt, id: id)
        try updateSending(id, operation: "record attempt") { message, _ in message.attempts.append(attempt) }
    }

    public func recordPartAccepted(_ id: String, part: Int, reference: Int, at: Date, next: SendAttempt?) throws {
        try updateSending(id, operation: "record accepted part") { message, _ in
            try message.noteAccepted(part: part, reference: reference, at: at, next: next)
        }
    }

    public func recordPartAccepted(_ id: String, part: Int, reference: Int, at: Date, charging row: LedgerRow) throws -> Bool {
        var isNew = false
        try updateSending(id, operation: "record accepted part") { message, connection in
            try message.noteAccepted(part: part, reference: reference, at: at, next: nil)
            isNew = try PostgresCreditLedger.insert(row, agent: agentID, openingBalance: ledger?.openingBalance ?? 0, on: connection)
        }
        if isNew { ledger?.consumeReservation(messageID: row.messageID, credits: row.credits) }
        return isNew
    }

    public func recordPartRejected(_ id: String, part: Int, reason: String, at: Date) throws {
        try recordPartOutcome(id, part: part, status: .rejected, reason: reason, at: at)
    }

    public func recordPartOutcome(_ id: String, part: Int, status: SendAttempt.Status, reason: String, at: Date) throws {
        try recordPartOutcome(id, part: part, status: status, reason: reason, at: at, charging: nil)
    }

    public func recordPartOutcome(_ id: String, part: Int, status: SendAttempt.Status, reason: String, at: Date,
                                  charging row: LedgerRow?) throws {
        var isNew = false
        try updateSending(id, operation: "record part outcome") { message, connection in
            try message.noteOutcome(part: part, status: status, reason: reason, at: at)
            if let row { isNew = try PostgresCreditLedger.insert(row, agent: agentID, openingBalance: ledger?.openingBalance ?? 0, on: connection) }
        }
        if isNew, let row { ledger?.consumeReservation(messageID: row.messageID, credits: row.credits) }
    }

    public func complete(_ id: String, result: SendResult) throws {
        try complete(id, result: result, sentText: nil)
    }

    public func complete(_ id: String, result: SendResult, sentText: String?) throws {
        defer { inHand.withLock { _ = $0.remove(id) } }
        try pool.transaction { connection in
            var message = try loadSending(id, on: connection)
            message.result = result
            if let sentText { message.sentText = sentText }
            let folder: OutboxFolder = result.status == .sent ? .sent : .failed
            try connection.run("""
                UPDATE smsagent_outbox SET folder = \(folder.rawValue), message = \(try Self.encode(message))::jsonb,
                       settled_at = now(), lease_owner = NULL, lease_expires = NULL, affinity_owner = NULL,
                       affinity_until = NULL, updated_at = now()
                WHERE id = \(id)
                """, operation: "complete \(id)")
        }
    }

    public func requeue(_ id: String, notBefore: Date?) throws {
        defer { inHand.withLock { _ = $0.remove(id) } }
        try pool.transaction { connection in
            var message = try loadSending(id, on: connection)
            message.notBefore = notBefore
            // Parts already accepted on this agent's modem: the rest should follow them (one lease long).
            let keep = message.attempts.contains { $0.status == .accepted || $0.status == .assumedSent }
            let affinityOwner: String? = keep ? agentID : nil
            let affinitySeconds: Int? = keep ? lease : nil
            try connection.run("""
                UPDATE smsagent_outbox SET folder = 'queued', message = \(try Self.encode(message))::jsonb, not_before = \(notBefore),
                       lease_owner = NULL, lease_expires = NULL, affinity_owner = \(affinityOwner),
                       affinity_until = now() + make_interval(secs => \(affinitySeconds)), updated_at = now()
                WHERE id = \(id)
                """, operation: "requeue \(id)")
            try connection.run("SELECT pg_notify(\(Self.channel), \(id))", operation: "notify")
        }
    }

    // MARK: Recovery

    /// Settles this agent's own messages left in `sending` (it stopped without finishing them)
    /// and any other agent's whose lease expired, with `policy` (also kept for later takeovers).
    public func recoverAfterCrash(policy: AmbiguousSendPolicy) throws -> RecoveryReport {
        self.policy.withLock { $0 = policy }
        return try settle(includingOwn: true, policy: policy)
    }

    /// Settles the messages whose lease expired: another agent's (a `kill -9`, a lost host), or
    /// this agent's own that no modem of it holds any more (`inHand`). A message a modem holds —
    /// perhaps with an answer to write once the database is back — is never settled under it.
    @discardableResult
    public func takeOverExpired() throws -> RecoveryReport {
        try settle(includingOwn: false, policy: policy.withLock { $0 })
    }

    private func settle(includingOwn: Bool, policy: AmbiguousSendPolicy) throws -> RecoveryReport {
        var report = RecoveryReport()
        while true {
            let entry = try pool.transaction { connection -> RecoveryReport.Entry? in
                let rows = includingOwn
                    ? try connection.rows("""
                        SELECT id, message::text, lease_owner FROM smsagent_outbox
                        WHERE folder = 'sending' AND (lease_owner = \(agentID) OR lease_expires < now())
                        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
                        """, operation: "find messages to settle")
                    : try connection.rows("""
                        SELECT id, message::text, lease_owner FROM smsagent_outbox
                        WHERE folder = 'sending' AND lease_expires < now()
                          AND NOT (lease_owner = \(agentID) AND id = ANY(\(heldIDs())))
                        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
                        """, operation: "find expired leases")
                guard let row = rows.first else { return nil }
                let (id, document, owner) = try row.decode((String, String, String?).self)
                var message: OutboxMessage
                do {
                    message = try Self.decode(document)
                } catch {
                    let reason = "unreadable message document: \(error)"
                    try connection.run("""
                        UPDATE smsagent_outbox SET folder = 'failed', settled_at = now(), lease_owner = NULL, lease_expires = NULL,
                               message = jsonb_set(message, '{result}', jsonb_build_object('status', 'failed', 'reason', \(reason)::text))
                        WHERE id = \(id)
                        """, operation: "reject \(id)")
                    return .unreadable(id: id, reason: reason)
                }
                message.id = id
                let settlement = OutboxRecovery.settle(message, policy: policy)
                try connection.run("""
                    UPDATE smsagent_outbox SET folder = \(settlement.destination.rawValue),
                           message = \(try Self.encode(settlement.message))::jsonb, lease_owner = NULL, lease_expires = NULL,
                           settled_at = \(settlement.destination == .queued ? nil : Date()), updated_at = now()
                    WHERE id = \(id)
                    """, operation: "settle \(id)")
                if let charge {
                    for attempt in OutboxRecovery.chargedAttempts(of: settlement.message) {
                        if let row = charge(settlement.message, attempt) {
                            try PostgresCreditLedger.insert(row, agent: agentID, openingBalance: ledger?.openingBalance ?? 0, on: connection)
                        }
                    }
                }
                if settlement.destination == .queued {
                    try connection.run("SELECT pg_notify(\(Self.channel), \(id))", operation: "notify")
                }
                logger.notice("settled a message left in sending", metadata: [
                    "message.id": "\(id)", "lease_owner": "\(owner ?? "")", "action": "\(settlement.entry.action.rawValue)",
                    "ambiguous_parts": "\(settlement.entry.ambiguousParts)", "reason": "\(settlement.entry.reason ?? "")",
                ])
                return settlement.entry
            }
            guard let entry else { return report }
            report.entries.append(entry)
        }
    }

    /// Extends this agent's leases (the timer of `PostgresRecords`).
    public func renewLeases() throws -> Int {
        let held = heldIDs()
        return try pool.withConnection { connection in
            let renewed = try connection.run("""
                UPDATE smsagent_outbox SET lease_expires = now() + make_interval(secs => \(lease))
                WHERE folder = 'sending' AND lease_owner = \(agentID) AND id = ANY(\(held))
                """, operation: "renew leases")
            try PostgresCreditLedger.renewReservations(of: held, agent: agentID, lease: lease, on: connection)
            return renewed
        }
    }

    // MARK: Queries

    public func counts() throws -> OutboxCounts {
        try pool.withConnection { connection in
            var counts = OutboxCounts()
            for row in try connection.rows("SELECT folder, count(*)::bigint FROM smsagent_outbox GROUP BY folder", operation: "count") {
                let (folder, count) = try row.decode((String, Int).self)
                switch OutboxFolder(rawValue: folder) {
                case .new?, .queued?: counts.new += count
                case .sending?: counts.sending += count
                case .sent?: counts.sent += count
                case .failed?: counts.failed += count
                case .tmp?, nil: break
                }
            }
            return counts
        }
    }

    public func find(_ id: String) throws -> (folder: OutboxFolder, message: OutboxMessage)? {
        try pool.withConnection { connection in
            let rows = try connection.rows("SELECT folder, message::text FROM smsagent_outbox WHERE id = \(id)", operation: "find \(id)")
            guard let row = rows.first else { return nil }
            let (folder, document) = try row.decode((String, String).self)
            var message = try Self.decode(document)
            message.id = id
            return (OutboxFolder(rawValue: folder) ?? .failed, message)
        }
    }

    /// Every message of a folder (`queued` and `new` apart), oldest first.
    public func messages(in folder: OutboxFolder) throws -> [OutboxMessage] {
        try pool.withConnection { connection in
            try connection.rows("SELECT id, message::text FROM smsagent_outbox WHERE folder = \(folder.rawValue) ORDER BY id",
                                operation: "list \(folder.rawValue)").compactMap { row in
                let (id, document) = try row.decode((String, String).self)
                guard var message = try? Self.decode(document) else { return nil }
                message.id = id
                return message
            }
        }
    }

    /// The newest `limit` messages of a folder (to match a status report).
    public func recentMessages(in folder: OutboxFolder, limit: Int) throws -> [OutboxMessage] {
        try pool.withConnection { connection in
            try connection.rows("""
                SELECT id, message::text FROM smsagent_outbox WHERE folder = \(folder.rawValue) ORDER BY id DESC LIMIT \(limit)
                """, operation: "list \(folder.rawValue)").compactMap { row in
                let (id, document) = try row.decode((String, String).self)
                guard var message = try? Self.decode(document) else { return nil }
                message.id = id
                return message
            }
        }
    }

    /// Deletes settled messages settled before `cutoff`; returns how many.
    @discardableResult
    public func prune(settledBefore cutoff: Date) throws -> Int {
        try pool.withConnection { connection in
            try connection.run("DELETE FROM smsagent_outbox WHERE folder IN ('sent', 'failed') AND settled_at < \(cutoff)",
                               operation: "prune")
        }
    }

    // MARK: Internals

    private func loadSending(_ id: String, on connection: PostgresConnection) throws -> OutboxMessage {
        let rows = try connection.rows("""
            SELECT folder, message::text, lease_owner FROM smsagent_outbox WHERE id = \(id) FOR UPDATE
            """, operation: "load \(id)")
        guard let row = rows.first else { throw RecordsError.messageNotFound(id: id, folder: "outbox (sending)") }
        let (folder, document, owner) = try row.decode((String, String, String?).self)
        // Settled or claimed by another agent after this one's lease expired.
        guard folder == OutboxFolder.sending.rawValue, owner == agentID else { throw PostgresRecordsError.leaseLost(id: id, agent: agentID) }
        var message = try Self.decode(document)
        message.id = id
        return message
    }

    private func updateSending(_ id: String, operation: String,
                               _ change: (inout OutboxMessage, PostgresConnection) throws -> Void) throws {
        try pool.transaction { connection in
            var message = try loadSending(id, on: connection)
            try change(&message, connection)
            try connection.run("""
                UPDATE smsagent_outbox SET message = \(try Self.encode(message))::jsonb,
                       lease_expires = now() + make_interval(secs => \(lease)), updated_at = now()
                WHERE id = \(id)
                """, operation: "\(operation) \(id)")
        }
    }

    /// The ids of `inHand`, for a statement.
    func heldIDs() -> [String] { inHand.withLock { Array($0) } }

    static func encode(_ message: OutboxMessage) throws -> String {
        String(decoding: try RecordCoding.encoder().encode(message), as: UTF8.self)
    }

    static func decode(_ document: String) throws -> OutboxMessage {
        try RecordCoding.decoder().decode(OutboxMessage.self, from: Data(document.utf8))
    }
}
