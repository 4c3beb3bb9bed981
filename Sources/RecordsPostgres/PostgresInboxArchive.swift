import Foundation
import PostgresNIO
import Records

/// The inbound archive shared by every agent (`smsagent_inbox`), unique on the fingerprint: an
/// SMS re-listed after a crash, or read by two agents, is archived once. An append returns
/// after its commit, so the SIM's copy is deleted only once the record is in the database
/// (invariant 1); a database that cannot be reached makes the append throw, and the SMS stays
/// on the SIM.
public final class PostgresInboxArchive: InboxArchive, Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    @discardableResult
    public func append(_ record: InboundRecord) throws -> Bool {
        try pool.withConnection { connection in
            try connection.run("""
                INSERT INTO smsagent_inbox (received_at, sender, text, modem, parts, keyword_result, sim_indices, sent_at, fingerprint, status)
                VALUES (\(record.receivedAt), \(record.from), \(record.text), \(record.modem), \(record.parts), \(record.keywordResult),
                        \(record.simIndices), \(record.sentAt), \(record.fingerprint), \(record.status))
                ON CONFLICT (fingerprint) DO NOTHING
                """, operation: "archive an inbound SMS") == 1
        }
    }

    public func contains(fingerprint: String) throws -> Bool {
        try pool.withConnection { connection in
            try !connection.rows("SELECT 1 FROM smsagent_inbox WHERE fingerprint = \(fingerprint)", operation: "inbox lookup").isEmpty
        }
    }

    public func all() throws -> [InboundRecord] {
        try pool.withConnection { connection in
            try connection.rows("""
                SELECT received_at, sender, text, modem, parts, keyword_result, sim_indices, sent_at, fingerprint, status
                FROM smsagent_inbox ORDER BY seq
                """, operation: "read the inbox").map { row in
                let (receivedAt, from, text, modem, parts, keywordResult, indices, sentAt, fingerprint, status) =
                    try row.decode((Date, String, String, String, Int, String, [Int], Date?, String, String).self)
                return InboundRecord(receivedAt: receivedAt, from: from, text: text, modem: modem, parts: parts,
                                     keywordResult: keywordResult, simIndices: indices, sentAt: sentAt,
                                     fingerprint: fingerprint, status: status)
            }
        }
    }

    public func review() throws -> [InboundRecord] { try all().filter(\.needsReview) }
}

/// Parts of multi-part inbound SMS waiting for the rest (`smsagent_reassembly`), one row per
/// part; a part stored twice is kept once.
public final class PostgresReassemblyStore: ReassemblyStore, Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    public func save(_ part: StoredInboundPart) throws {
        guard part.total >= 1, (1...part.total).contains(part.sequence) else {
            throw RecordsError.invalidRecord("part \(part.sequence) of \(part.total) from \(part.originator)")
        }
        try pool.withConnection { connection in
            try connection.run("""
                INSERT INTO smsagent_reassembly (modem, originator, reference, total, sequence, pdu, received_at, sim_index)
                VALUES (\(part.modem), \(part.originator), \(part.reference), \(part.total), \(part.sequence), \(part.pduHex),
                        \(part.receivedAt), \(part.simIndex))
                ON CONFLICT DO NOTHING
                """, operation: "store an inbound part")
        }
    }

    public func all() throws -> [StoredInboundPart] {
        try pool.withConnection { connection in
            try connection.rows("""
                SELECT modem, originator, reference, total, sequence, pdu, received_at, sim_index
                FROM smsagent_reassembly ORDER BY received_at, sequence
                """, operation: "read inbound parts").map { row in
                let (modem, originator, reference, total, sequence, pdu, receivedAt, simIndex) =
                    try row.decode((String, String, Int, Int, Int, String, Date, Int?).self)
                return StoredInboundPart(modem: modem, originator: originator, reference: reference, total: total,
                                         sequence: sequence, pduHex: pdu, receivedAt: receivedAt, simIndex: simIndex)
            }
        }
    }

    public func remove(_ group: ReassemblyGroupKey) throws {
        try pool.withConnection { connection in
            try connection.run("""
                DELETE FROM smsagent_reassembly WHERE modem = \(group.modem) AND originator = \(group.originator)
                  AND reference = \(group.reference) AND total = \(group.total)
                """, operation: "forget inbound parts")
        }
    }

    public func expired(before cutoff: Date) throws -> [ReassemblyGroupKey: [StoredInboundPart]] {
        let groups = Dictionary(grouping: try all(), by: \.group)
        return groups.filter { _, parts in (parts.map(\.receivedAt).min() ?? cutoff) < cutoff }
            .mapValues { $0.sorted { $0.sequence < $1.sequence } }
    }
}
