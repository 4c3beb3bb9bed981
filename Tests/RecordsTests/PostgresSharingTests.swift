import Compliance
import Foundation
import Logging
import Synchronization
import Testing
@testable import Records
@testable import RecordsPostgres

/// What only a shared database does: several agents on one queue, leases and takeovers,
/// notifications, migrations, and the errors of an unreachable server. Real PostgreSQL server
/// (`SMSAGENT_TEST_POSTGRES_URL`); skipped with the reason printed when it is not set.
@Suite struct PostgresSharingTests {
    static let number = "+33612345678"

    /// Polls `condition` until it holds, failing after `timeout` (synchronising on the event
    /// itself — a lease expiring on the database's clock — rather than on a guessed sleep).
    static func eventually(_ what: String, timeout: TimeInterval = 15, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            guard Date() < deadline else {
                Issue.record("timed out after \(timeout) s waiting until \(what)")
                throw CancellationError()
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    static func databaseNow(_ records: PostgresRecords) throws -> Date {
        try records.pool.withConnection { connection in
            try #require(try connection.rows("SELECT now()", operation: "now").first).decode(Date.self)
        }
    }

    static func leaseExpiry(of id: String, in records: PostgresRecords) throws -> Date {
        try records.pool.withConnection { connection in
            try #require(try connection.rows("SELECT lease_expires FROM smsagent_outbox WHERE id = \(id)", operation: "lease").first)
                .decode(Date.self)
        }
    }

    /// Two agents claiming from one queue at the same time each get distinct messages, and
    /// together every message once.
    @Test func twoAgentsNeverClaimTheSameMessage() throws {
        let a = try RecordsUnderTest(.postgres, agentID: "lyon")
        let b = try RecordsUnderTest(.postgres, agentID: "nantes", sharing: a)
        let ids = (0..<120).map { String(format: "m%03d", $0) }
        for id in ids { try a.outbox.enqueue(OutboxMessage(id: id, to: Self.number, text: id, createdAt: .fixed())) }
        let claimed = Mutex<[String: [String]]>([:])
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for (name, records) in [("lyon", a), ("nantes", b)] {
            for _ in 0..<2 {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    do {
                        while let next = try records.outbox.claimNext(now: .fixed()) {
                            claimed.withLock { $0[name, default: []].append(next.message.id) }
                        }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
        }
        group.wait()
        #expect(failures.withLock { $0 } == [])
        let all = claimed.withLock { $0 }
        #expect(all.values.flatMap { $0 }.sorted() == ids)
        #expect(all["lyon"]?.isEmpty == false)
        #expect(all["nantes"]?.isEmpty == false)
    }

    /// Agent A dies with a part written and unanswered: once A's lease expires, agent B settles
    /// the message by the policy (never a blind resend), charges the ledger once, and A — if it
    /// comes back — can no longer write about the message.
    @Test func anExpiredLeaseIsTakenOverWithTheAmbiguousWindowRules() throws {
        let a = try RecordsUnderTest(.postgres, agentID: "lyon", leaseSeconds: 1)
        let b = try RecordsUnderTest(.postgres, agentID: "nantes", sharing: a, leaseSeconds: 1)
        let pgA = try #require(a.postgres)
        try a.outbox.enqueue(OutboxMessage(id: "campaign-1", to: Self.number, text: "two parts", messageClass: .marketing, createdAt: .fixed()))
        try a.outbox.enqueue(OutboxMessage(id: "campaign-2", to: Self.number, text: "next", messageClass: .marketing, createdAt: .fixed()))
        _ = try #require(try a.outbox.claimNext(now: .fixed()))
        try a.outbox.recordAttempt("campaign-1", SendAttempt(part: 1, parts: 2, modem: "lyon-sim", startedAt: .fixed(), concatReference: 3, promptSeenAt: .fixed()))
        #expect(try pgA.outbox.recordPartAccepted("campaign-1", part: 1, reference: 77, at: .fixed(1), charging: LedgerRow(
            time: .fixed(1), messageID: "campaign-1", recipient: Self.number, messageClass: "marketing", credits: 1, modem: "lyon-sim", refs: [77], part: 1)))
        try a.outbox.recordAttempt("campaign-1", SendAttempt(part: 2, parts: 2, modem: "lyon-sim", startedAt: .fixed(1), concatReference: 3, promptSeenAt: .fixed(1)))
        // A is gone (kill -9): nothing renews its lease. Before expiry, B sees only campaign-2.
        #expect(try b.outbox.claimNext(now: .fixed())?.message.id == "campaign-2")
        try b.outbox.complete("campaign-2", result: SendResult(status: .sent, refs: [1], modem: "nantes-sim", segments: 1, credits: 1))
        #expect(try b.outbox.claimNext(now: .fixed()) == nil)
        let held = try #require(try b.outbox.earliestHeldUntil())
        #expect(held > Date() && held < Date().addingTimeInterval(2))   // B will look again when A's lease ends
        // B takes the message over as soon as A's lease has expired (the database's clock).
        let pgB = try #require(b.postgres)
        var report = RecoveryReport()
        try Self.eventually("A's lease expires and B takes campaign-1 over") {
            report = try pgB.outbox.takeOverExpired()
            return !report.entries.isEmpty
        }
        #expect(report.entries.map(\.id) == ["campaign-1"])
        #expect(report.entries.first?.action == .sent)   // assume-sent: the last part is not sent again
        #expect(report.entries.first?.ambiguousParts == [2])
        let settled = try #require(try b.outbox.find("campaign-1"))
        #expect(settled.folder == .sent)
        #expect(settled.message.attempts.map(\.status) == [.accepted, .assumedSent])
        #expect(try b.ledger.rows().map(\.part) == [1])   // no charge closure given: only the confirmed part
        #expect(throws: PostgresRecordsError.self) {
            try a.outbox.recordPartAccepted("campaign-1", part: 2, reference: 78, at: .fixed(2), next: nil)
        }
    }

    /// An agent's own message whose lease ran out (the database was away while its modem held
    /// the answer) is not settled under that modem by the agent's own claims: the modem writes its
    /// answer once the database is back (the agent's next start settles what it left).
    @Test func anAgentDoesNotTakeOverItsOwnMessage() throws {
        let a = try RecordsUnderTest(.postgres, agentID: "lyon", leaseSeconds: 1)
        let pgA = try #require(a.postgres)
        try a.outbox.enqueue(OutboxMessage(id: "own", to: Self.number, text: "x", createdAt: .fixed()))
        _ = try #require(try a.outbox.claimNext(now: .fixed()))
        try a.outbox.recordAttempt("own", SendAttempt(part: 1, parts: 1, modem: "lyon-sim", startedAt: .fixed(), promptSeenAt: .fixed()))
        let expiry = try Self.leaseExpiry(of: "own", in: pgA)
        try Self.eventually("the lease runs out") { try Self.databaseNow(pgA) > expiry }
        #expect(try pgA.outbox.takeOverExpired().entries.isEmpty)
        #expect(try a.outbox.claimNext(now: .fixed()) == nil)
        #expect(try a.outbox.find("own")?.folder == .sending)
        #expect(try pgA.outbox.renewLeases() == 1)
        try a.outbox.recordPartAccepted("own", part: 1, reference: 9, at: .fixed(1), next: nil)
        try a.outbox.complete("own", result: SendResult(status: .sent, refs: [9], modem: "lyon-sim", segments: 1, credits: 1))
        #expect(try a.outbox.find("own")?.folder == .sent)
    }

    /// Credits set aside by one agent are not available to another: two sites cannot both count
    /// on the last credits; a charged part uses its reservation up; a released one is free again.
    @Test func reservationsAreSharedByTheAgents() throws {
        let a = try RecordsUnderTest(.postgres, openingBalance: 10, agentID: "lyon")
        let b = try RecordsUnderTest(.postgres, openingBalance: 10, agentID: "nantes", sharing: a)
        try a.ledger.reserve(messageID: "m1", credits: 8)
        #expect(try b.ledger.available() == 2)
        #expect(throws: RecordsError.insufficientCredits(available: 2, requested: 5)) {
            try b.ledger.reserve(messageID: "m2", credits: 5)
        }
        try b.ledger.reserve(messageID: "m2", credits: 2)
        #expect(try a.ledger.available() == 0)
        // Lyon's modem sends 3 of its 8: spent, no longer reserved.
        try a.ledger.commit(row: LedgerRow(time: .fixed(), messageID: "m1", recipient: Self.number, messageClass: "notification",
                                           credits: 3, modem: "lyon-sim", refs: [1], part: 1))
        #expect(try b.ledger.balance() == 7)
        #expect(try b.ledger.available() == 0)
        a.ledger.release(messageID: "m1")
        #expect(try b.ledger.available() == 5)
        try b.ledger.reserve(messageID: "m3", credits: 5)
    }

    /// A dead agent's reservation lapses with its lease: the credits are free again.
    @Test func aDeadAgentsReservationLapses() throws {
        let a = try RecordsUnderTest(.postgres, openingBalance: 10, agentID: "lyon", leaseSeconds: 1)
        let b = try RecordsUnderTest(.postgres, openingBalance: 10, agentID: "nantes", sharing: a, leaseSeconds: 1)
        try a.ledger.reserve(messageID: "m1", credits: 10)
        #expect(try b.ledger.available() == 0)
        try Self.eventually("Lyon's reservation lapses") { try b.ledger.available() == 10 }
        try b.ledger.reserve(messageID: "m2", credits: 10)
    }

    /// While an agent works on a message its lease is renewed; nobody else takes it.
    @Test func aRenewedLeaseKeepsTheMessage() throws {
        let a = try RecordsUnderTest(.postgres, agentID: "lyon", leaseSeconds: 1)
        let b = try RecordsUnderTest(.postgres, agentID: "nantes", sharing: a, leaseSeconds: 1)
        let pgA = try #require(a.postgres)
        try a.outbox.enqueue(OutboxMessage(id: "slow", to: Self.number, text: "x", createdAt: .fixed()))
        _ = try #require(try a.outbox.claimNext(now: .fixed()))
        let firstExpiry = try Self.leaseExpiry(of: "slow", in: pgA)
        // A renews while the database's clock passes the lease it first got (1 s).
        try Self.eventually("the first lease would have expired") {
            #expect(try pgA.outbox.renewLeases() == 1)
            return try Self.databaseNow(pgA) > firstExpiry
        }
        #expect(try #require(b.postgres).outbox.takeOverExpired().entries.isEmpty)
        #expect(try b.outbox.find("slow")?.folder == .sending)
    }

    /// A message given back with parts accepted stays with its agent (its modem holds the first
    /// parts) for one lease; another agent may take it whole only after.
    @Test func partsOfAMessageStayWithTheirAgent() throws {
        let a = try RecordsUnderTest(.postgres, agentID: "lyon", leaseSeconds: 1)
        let b = try RecordsUnderTest(.postgres, agentID: "nantes", sharing: a, leaseSeconds: 1)
        try a.outbox.enqueue(OutboxMessage(id: "long", to: Self.number, text: "x", createdAt: .fixed()))
        _ = try a.outbox.claimNext(now: .fixed())
        try a.outbox.recordAttempt("long", SendAttempt(part: 1, parts: 3, modem: "lyon-sim", startedAt: .fixed(), promptSeenAt: .fixed()))
        try a.outbox.recordPartAccepted("long", part: 1, reference: 5, at: .fixed(), next: nil)
        try a.outbox.requeue("long", notBefore: nil)
        #expect(try b.outbox.claimNext(now: .fixed()) == nil)
        #expect(try a.outbox.claimNext(now: .fixed())?.message.partsDone == [1])
        try a.outbox.requeue("long", notBefore: nil)
        // Once the affinity (one lease) is over, B may claim it.
        try Self.eventually("B claims the message after the affinity") {
            try b.outbox.claimNext(now: .fixed())?.message.id == "long"
        }
    }

    /// A message queued by one agent wakes the others at once (LISTEN/NOTIFY), no polling.
    @Test func aQueuedMessageWakesTheOtherAgents() async throws {
        let a = try RecordsUnderTest(.postgres, agentID: "lyon")
        let settings = try TestDatabase.settings(agentID: "nantes", schema: try #require(a.postgres).pool.settings.schema)
        let b = try PostgresRecords(settings: settings, options: .init(migrate: false, background: true), logger: TestDatabase.quiet)
        defer { b.close() }
        let stream = b.wakeups
        let enqueue: @Sendable () throws -> Void = {
            try a.outbox.enqueue(OutboxMessage(id: "wake", to: Self.number, text: "x", createdAt: .fixed()))
        }
        let woke = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                var wakeups = stream.makeAsyncIterator()
                _ = await wakeups.next()   // rung once B listens (the catch-up after connecting)
                try enqueue()
                return await wakeups.next() != nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(woke)
    }

    /// A STOP recorded by agent A is the answer of agent B's very next check.
    @Test func aSTOPOnOneAgentIsSeenByTheOthersAtOnce() throws {
        let a = try RecordsUnderTest(.postgres, agentID: "lyon")
        let b = try RecordsUnderTest(.postgres, agentID: "nantes", sharing: a)
        let number = try PhoneNumber.parse(Self.number, defaultCountry: "FR")
        #expect(try b.optOuts.isOptedOut(number) == false)
        try a.optOuts.optOut(number, keyword: "STOP", modem: "lyon-sim", source: "sms:1")
        #expect(try b.optOuts.isOptedOut(number))
        #expect(try b.optOuts.optOut(number, keyword: "STOP", modem: "nantes-sim", source: "sms:1") == false)   // the same SMS, seen twice
    }

    @Test func migrationsAreVersionedAndIdempotent() throws {
        var settings = try TestDatabase.settings()
        settings.poolSize = 1
        let pool = try PostgresPool(settings: settings, logger: TestDatabase.quiet)
        defer {
            pool.close()
            if let schema = settings.schema { TestDatabase.drop(schema: schema) }
        }
        #expect(try PostgresMigrations.currentVersion(pool) == 0)
        #expect(throws: PostgresRecordsError.self) { try PostgresMigrations.check(pool) }
        #expect(try PostgresMigrations.migrate(pool) == PostgresMigrations.steps.map(\.version))
        #expect(try PostgresMigrations.migrate(pool) == [])
        #expect(try PostgresMigrations.currentVersion(pool) == PostgresMigrations.latest)
        try PostgresMigrations.check(pool)
    }

    @Test func everyAgentMustHashWithTheSameKey() throws {
        let a = try RecordsUnderTest(.postgres, hashed: true)
        var settings = try TestDatabase.settings(agentID: "nantes", schema: try #require(a.postgres).pool.settings.schema)
        settings.poolSize = 1
        let otherKey = try HMACKey(bytes: Array(repeating: 9, count: 32))
        #expect(throws: PostgresRecordsError.self) {
            _ = try PostgresRecords(settings: settings, options: .init(key: otherKey, storeHashed: true), logger: TestDatabase.quiet)
        }
    }

    /// A server that does not answer is a typed error naming the database, not a hang or a trap.
    @Test func anUnreachableDatabaseIsATypedError() throws {
        _ = try TestDatabase.requireURL()
        var settings = PostgresSettings(host: "127.0.0.1", port: 9, user: "smsagent", database: "none", tls: .disable, agentID: "x",
                                        connectTimeoutSeconds: 2)
        settings.poolSize = 1
        let pool = try PostgresPool(settings: settings, logger: TestDatabase.quiet)
        defer { pool.close() }
        #expect {
            try PostgresMigrations.migrate(pool)
        } throws: { error in
            guard case PostgresRecordsError.unreachable(let url, _)? = error as? PostgresRecordsError else { return false }
            return url == "postgres://smsagent@127.0.0.1:9/none"
        }
    }
}

/// The `records:` connection settings (no server needed).
@Suite struct PostgresSettingsTests {
    /// What the agent waits out (the server away) and what it does not (a wrong request).
    @Test(arguments: [
        (PostgresRecordsError.unreachable(url: "u", reason: "refused"), true),
        (.poolExhausted(url: "u", size: 2), true),
        (.server(operation: "commit", sqlState: "57P01", message: "terminating connection due to administrator command"), true),
        (.server(operation: "claim", sqlState: "57P03", message: "the database system is starting up"), true),
        (.server(operation: "claim", sqlState: "08006", message: "connection failure"), true),
        (.server(operation: "claim", sqlState: "53300", message: "too many connections"), true),
        (.server(operation: "enqueue", sqlState: "23505", message: "duplicate key"), false),
        (.server(operation: "claim", sqlState: nil, message: "?"), false),
        (.leaseLost(id: "m", agent: "a"), false),
        (.schemaTooNew(found: 9, known: 1), false),
    ])
    func whatIsWorthWaitingFor(_ error: PostgresRecordsError, _ transient: Bool) {
        #expect(error.isTransient == transient)
        #expect((error as any Error).isTransientRecordsError == transient)
    }

    @Test func aURLGivesEverySetting() throws {
        let settings = try PostgresSettings.parse(url: "postgres://smsagent@db.example:6543/shops?sslmode=verify-full&sslrootcert=/etc/ca.pem",
                                                  agentID: "lyon-1")
        #expect(settings.host == "db.example")
        #expect(settings.port == 6543)
        #expect(settings.user == "smsagent")
        #expect(settings.database == "shops")
        #expect(settings.tls == .verifyFull)
        #expect(settings.caFile == "/etc/ca.pem")
        #expect(settings.password == nil)
        #expect(settings.redactedURL == "postgres://smsagent@db.example:6543/shops")
    }

    @Test(arguments: [
        ("mysql://u@h/d", "records.url"),
        ("postgres://h/d", "no user"),
        ("postgres://u@h", "no database"),
        ("postgres://u@h/d?sslmode=maybe", "sslmode"),
        ("postgres://u@h/d?colour=blue", "unknown parameter"),
        ("postgres://u@h:70000/d", "records.url"),
    ])
    func aBadURLNamesTheKey(_ url: String, _ fragment: String) {
        #expect {
            _ = try PostgresSettings.parse(url: url, agentID: "a")
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("records.url: ") && text.contains(fragment)
        }
    }

    @Test func theURLsPasswordIsNeverShown() {
        #expect {
            _ = try PostgresSettings.parse(url: "postgres://u:secret@h/d?sslmode=nope", agentID: "a")
        } throws: { error in !"\(error)".contains("secret") }
    }

    @Test func aPassFileLineIsMatchedLikeLibpq() throws {
        let tmp = TemporaryDirectory("pgpass")
        try tmp.write("pgpass", """
            # comment
            other.example:5432:*:smsagent:wrong
            db.example:5432:shops:smsagent:pa\\:ss
            *:*:*:*:fallback
            """)
        let settings = PostgresSettings(host: "db.example", user: "smsagent", database: "shops", agentID: "a")
        #expect(try PostgresSettings.password(fromPassFile: tmp.file("pgpass"), for: settings) == "pa:ss")
        var elsewhere = settings
        elsewhere.host = "third.example"
        #expect(try PostgresSettings.password(fromPassFile: tmp.file("pgpass"), for: elsewhere) == "fallback")
        #expect(throws: PostgresSettingsError.self) { try PostgresSettings.password(fromPassFile: tmp.file("missing"), for: settings) }
    }

    @Test func aSchemaNameMustBeSafeUnquoted() {
        #expect(PostgresSettings.isValidSchema("smsagent_lyon"))
        #expect(!PostgresSettings.isValidSchema("Robert'); DROP TABLE x;--"))
        #expect(!PostgresSettings.isValidSchema("1abc"))
        #expect(!PostgresSettings.isValidSchema(""))
    }
}
