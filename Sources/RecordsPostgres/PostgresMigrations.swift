import Foundation
import PostgresNIO

/// The schema, as numbered steps applied in order (`smsagent records migrate`; the agent applies
/// the missing ones at start). A step is never edited once released: a change is a new step.
/// `smsagent_schema` records which steps ran. docs/postgres.md describes the tables.
public enum PostgresMigrations {
    public struct Step: Sendable {
        public var version: Int
        public var description: String
        public var sql: [String]
    }

    public static let steps: [Step] = [
        Step(version: 1, description: "outbox, opt-outs, confirmations, ledger, inbox, reassembly", sql: [
            """
            CREATE TABLE smsagent_outbox (
                id            text PRIMARY KEY,
                folder        text NOT NULL CHECK (folder IN ('new', 'queued', 'sending', 'sent', 'failed')),
                message       jsonb NOT NULL,
                not_before    timestamptz,
                campaign      text,
                created_at    timestamptz NOT NULL,
                lease_owner   text,
                lease_expires timestamptz,
                affinity_owner text,
                affinity_until timestamptz,
                settled_at    timestamptz,
                updated_at    timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX smsagent_outbox_claimable ON smsagent_outbox (id) WHERE folder IN ('new', 'queued')",
            "CREATE INDEX smsagent_outbox_held ON smsagent_outbox (not_before) WHERE folder IN ('new', 'queued') AND not_before IS NOT NULL",
            "CREATE INDEX smsagent_outbox_leases ON smsagent_outbox (lease_expires) WHERE folder = 'sending'",
            "CREATE INDEX smsagent_outbox_settled ON smsagent_outbox (folder, settled_at) WHERE folder IN ('sent', 'failed')",
            "CREATE INDEX smsagent_outbox_campaign ON smsagent_outbox (campaign) WHERE campaign IS NOT NULL",
            """
            CREATE TABLE smsagent_optout_events (
                seq         bigserial PRIMARY KEY,
                recorded_at timestamptz NOT NULL,
                number      text NOT NULL,
                identity    text NOT NULL,
                event       text NOT NULL CHECK (event IN ('optout', 'optin')),
                keyword     text NOT NULL DEFAULT '',
                text        text NOT NULL DEFAULT '',
                modem       text NOT NULL DEFAULT '',
                source      text NOT NULL,
                agent       text NOT NULL DEFAULT ''
            )
            """,
            // An inbound SMS processed twice (two agents, or a restart) is one opt-out.
            "CREATE UNIQUE INDEX smsagent_optout_events_sms_once ON smsagent_optout_events (identity, event, source) WHERE source LIKE 'sms:%'",
            // The current state: one row per number (its HMAC identifier when a key is set), the deciding event.
            """
            CREATE TABLE smsagent_optouts (
                identity    text PRIMARY KEY,
                opted_out   boolean NOT NULL,
                recorded_at timestamptz NOT NULL,
                event_seq   bigint NOT NULL REFERENCES smsagent_optout_events (seq)
            )
            """,
            """
            CREATE TABLE smsagent_confirmations (
                seq        bigserial PRIMARY KEY,
                sent_at    timestamptz NOT NULL,
                number     text NOT NULL,
                message_id text NOT NULL,
                log        text NOT NULL DEFAULT 'confirmation'
            )
            """,
            "CREATE INDEX smsagent_confirmations_number ON smsagent_confirmations (log, number, sent_at)",
            """
            CREATE TABLE smsagent_ledger (
                seq        bigserial PRIMARY KEY,
                time       timestamptz NOT NULL,
                message_id text NOT NULL,
                recipient  text NOT NULL,
                class      text NOT NULL,
                segments   bigint NOT NULL,
                credits    bigint NOT NULL,
                balance    bigint NOT NULL,
                modem      text NOT NULL,
                refs       bigint[] NOT NULL,
                part       bigint CHECK (part >= 1),
                kind       text NOT NULL,
                agent      text NOT NULL DEFAULT ''
            )
            """,
            "CREATE UNIQUE INDEX smsagent_ledger_part_once ON smsagent_ledger (message_id, part) WHERE part IS NOT NULL",
            // The running total, updated in the row's transaction: a balance costs one row read.
            "CREATE TABLE smsagent_ledger_total (id int PRIMARY KEY CHECK (id = 1), spent bigint NOT NULL)",
            "INSERT INTO smsagent_ledger_total (id, spent) VALUES (1, 0)",
            """
            CREATE TABLE smsagent_inbox (
                seq            bigserial PRIMARY KEY,
                received_at    timestamptz NOT NULL,
                sender         text NOT NULL,
                text           text NOT NULL,
                modem          text NOT NULL,
                parts          bigint NOT NULL,
                keyword_result text NOT NULL,
                sim_indices    bigint[] NOT NULL,
                sent_at        timestamptz,
                fingerprint    text NOT NULL UNIQUE,
                status         text NOT NULL
            )
            """,
            """
            CREATE TABLE smsagent_reassembly (
                modem       text NOT NULL,
                originator  text NOT NULL,
                reference   bigint NOT NULL,
                total       bigint NOT NULL,
                sequence    bigint NOT NULL,
                pdu         text NOT NULL,
                received_at timestamptz NOT NULL,
                sim_index   bigint,
                PRIMARY KEY (modem, originator, reference, total, sequence)
            )
            """,
            "CREATE TABLE smsagent_settings (name text PRIMARY KEY, value text NOT NULL)",
        ]),
        Step(version: 2, description: "credit reservations shared by the agents", sql: [
            """
            CREATE TABLE smsagent_reservations (
                message_id text PRIMARY KEY,
                agent      text NOT NULL,
                credits    bigint NOT NULL CHECK (credits >= 0),
                expires_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX smsagent_reservations_expiry ON smsagent_reservations (expires_at)",
        ]),
    ]

    /// The newest version this binary knows.
    public static var latest: Int { steps.map(\.version).max() ?? 0 }

    /// The version the database is at (0: no schema yet).
    public static func currentVersion(_ pool: PostgresPool) throws -> Int {
        try pool.withConnection { connection in
            let exists = try connection.rows("SELECT to_regclass('smsagent_schema') IS NOT NULL", operation: "read the schema version")
            guard try exists.first?.decode(Bool.self) == true else { return 0 }
            let rows = try connection.rows("SELECT coalesce(max(version), 0)::bigint FROM smsagent_schema", operation: "read the schema version")
            return try rows.first?.decode(Int.self) ?? 0
        }
    }

    /// Applies the missing steps, each in its own transaction, under an advisory lock so that two
    /// agents starting together do not both migrate. Returns the versions applied.
    @discardableResult
    public static func migrate(_ pool: PostgresPool) throws -> [Int] {
        try pool.withConnection { connection in
            try connection.run("SELECT pg_advisory_lock(\(Self.advisoryLock))", operation: "lock the schema")
            defer { _ = try? connection.run("SELECT pg_advisory_unlock(\(Self.advisoryLock))", operation: "unlock the schema") }
            if let schema = pool.settings.schema {   // validated by the pool: safe unquoted
                try connection.run(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), operation: "create schema \(schema)")
            }
            try connection.run("""
                CREATE TABLE IF NOT EXISTS smsagent_schema (
                    version     int PRIMARY KEY,
                    description text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                )
                """, operation: "create smsagent_schema")
            let rows = try connection.rows("SELECT coalesce(max(version), 0)::bigint FROM smsagent_schema", operation: "read the schema version")
            let current = try rows.first?.decode(Int.self) ?? 0
            if current > latest { throw PostgresRecordsError.schemaTooNew(found: current, known: latest) }
            var applied: [Int] = []
            for step in steps where step.version > current {
                try connection.run("BEGIN", operation: "begin")
                do {
                    for statement in step.sql {
                        try connection.run(PostgresQuery(unsafeSQL: statement), operation: "migration \(step.version)")
                    }
                    try connection.run("INSERT INTO smsagent_schema (version, description) VALUES (\(step.version), \(step.description))",
                                       operation: "migration \(step.version)")
                    try connection.run("COMMIT", operation: "commit")
                } catch {
                    _ = try? connection.run("ROLLBACK", operation: "rollback")
                    throw error
                }
                applied.append(step.version)
            }
            return applied
        }
    }

    /// Throws unless the schema is exactly the one this binary knows.
    public static func check(_ pool: PostgresPool) throws {
        let version = try currentVersion(pool)
        if version > latest { throw PostgresRecordsError.schemaTooNew(found: version, known: latest) }
        if version < latest { throw PostgresRecordsError.schemaTooOld(found: version, needed: latest) }
    }

    /// `pg_advisory_lock` key of the migrations ("smsagent" in ASCII, truncated).
    static let advisoryLock: Int = 0x736D_7361_6765_6E74
}
