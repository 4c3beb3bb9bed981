import Foundation
import Logging
import PostgresNIO
import Records
import RecordsPostgres
import Testing

/// The backends the Records contract tests run against: the same tests, each on both.
enum RecordsBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case files
    case postgres

    var testDescription: String { rawValue }
}

/// The URL of a throw-away PostgreSQL database (`.ci/start-postgres` prints one), from
/// `SMSAGENT_TEST_POSTGRES_URL`. Without it the PostgreSQL cases are skipped with that reason
/// printed — except in CI (`CI=true`), where a missing database is a failure.
enum TestDatabase {
    static let variable = "SMSAGENT_TEST_POSTGRES_URL"
    static var url: String? { ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 } }

    /// The URL, or the test is cancelled (shown as skipped, with the reason).
    static func requireURL() throws -> String {
        if let url { return url }
        let reason = "\(variable) is not set: PostgreSQL case skipped (start one with `.ci/start-postgres`)"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("\(reason) — CI must run it")
            throw CancellationError()
        }
        print("◇ \(reason)")
        try Test.cancel(Comment(rawValue: reason))
    }

    static let quiet: Logger = {
        var logger = Logger(label: "smsagent.test.postgres")
        logger.logLevel = .critical
        return logger
    }()

    /// Settings for a fresh schema of its own in the test database (tests do not see each other).
    static func settings(agentID: String = "agent-a", schema: String? = nil, leaseSeconds: Int = 60) throws -> PostgresSettings {
        var settings = try PostgresSettings.parse(url: try requireURL(), agentID: agentID)
        settings.schema = schema ?? "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        settings.leaseSeconds = leaseSeconds
        settings.poolSize = 2
        return settings
    }

    /// Drops a test schema.
    static func drop(schema: String) {
        guard let url, var settings = try? PostgresSettings.parse(url: url, agentID: "cleanup") else { return }
        settings.poolSize = 1
        guard let pool = try? PostgresPool(settings: settings, logger: quiet) else { return }
        _ = try? pool.withConnection { connection in
            try connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"), logger: quiet).wait()
        }
        pool.close()
    }
}

/// One empty set of records on the backend under test.
final class RecordsUnderTest: @unchecked Sendable {
    let backend: RecordsBackend
    let outbox: any Outbox
    let optOuts: any OptOutRegistry
    let confirmations: any ConfirmationLog
    let ledger: any CreditLedger
    let inbox: any InboxArchive
    let reassembly: any ReassemblyStore
    let key: HMACKey?
    private let directory: TemporaryDirectory?
    private let database: PostgresRecords?
    private let ownsSchema: Bool

    static let testKey: HMACKey = {
        do { return try HMACKey(bytes: Array(repeating: 7, count: 32)) } catch { fatalError("a 32-byte key is valid") }
    }()

    init(_ backend: RecordsBackend, openingBalance: Int = 100, hashed: Bool = false, agentID: String = "agent-a",
         sharing other: RecordsUnderTest? = nil, leaseSeconds: Int = 60, policy: AmbiguousSendPolicy = .assumeSent) throws {
        self.backend = backend
        key = hashed ? Self.testKey : nil
        switch backend {
        case .files:
            let directory = other?.directory ?? TemporaryDirectory("contract")
            self.directory = directory
            database = nil
            ownsSchema = false
            let root = directory.path
            if hashed { try Data((Array(repeating: "07", count: 32).joined() + "\n").utf8).write(to: URL(fileURLWithPath: root + "/optout.key")) }
            let data = try DataDirectory(path: root, options: .init(hashOptOuts: hashed, openingBalance: openingBalance))
            outbox = data.outbox
            optOuts = data.optOuts
            confirmations = data.confirmations
            ledger = data.ledger
            inbox = data.inbox
            reassembly = data.reassembly
        case .postgres:
            let settings = try TestDatabase.settings(agentID: agentID, schema: other?.database?.pool.settings.schema,
                                                     leaseSeconds: leaseSeconds)
            let records = try PostgresRecords(settings: settings, options: .init(
                key: key, storeHashed: hashed, openingBalance: openingBalance, ambiguousWindow: policy), logger: TestDatabase.quiet)
            directory = nil
            database = records
            ownsSchema = other == nil
            outbox = records.outbox
            optOuts = records.optOuts
            confirmations = records.confirmations
            ledger = records.ledger
            inbox = records.inbox
            reassembly = records.reassembly
        }
    }

    /// The same records opened again, as a restarted agent would (after a crash: `kill -9`).
    func reopened(openingBalance: Int = 100) throws -> RecordsUnderTest {
        try RecordsUnderTest(backend, openingBalance: openingBalance, hashed: key != nil, sharing: self)
    }

    var postgres: PostgresRecords? { database }

    deinit {
        database?.close()
        if ownsSchema, let schema = database?.pool.settings.schema { TestDatabase.drop(schema: schema) }
    }
}
