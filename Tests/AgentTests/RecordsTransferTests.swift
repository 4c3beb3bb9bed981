import Agent
import AgentPostgres
import Compliance
import Foundation
import Logging
import PostgresNIO
import Records
import RecordsPostgres
import Testing

/// `smsagent records import --from files` then `export --to files`: everything comes back, and
/// the configuration's `records:` section opens the database (real server, `SMSAGENT_TEST_POSTGRES_URL`).
@Suite struct RecordsTransferTests {
    static let number = "+33612345678"

    /// A configuration on a fresh schema of the test database (or the test is skipped, visibly).
    static func configuration(dataDirectory: String, agentID: String = "lyon") throws -> AgentConfiguration {
        guard let url = ProcessInfo.processInfo.environment["SMSAGENT_TEST_POSTGRES_URL"], !url.isEmpty else {
            let reason = "SMSAGENT_TEST_POSTGRES_URL is not set: PostgreSQL test skipped (start one with `.ci/start-postgres`)"
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("\(reason) — CI must run it")
                throw CancellationError()
            }
            print("◇ \(reason)")
            try Test.cancel(Comment(rawValue: reason))
        }
        var configuration = AgentConfiguration()
        configuration.dataDirectory = dataDirectory
        configuration.credits.openingBalance = 50
        configuration.records.backend = .postgres
        configuration.records.url = url
        configuration.records.agentID = agentID
        configuration.records.schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        configuration.records.pool = 2
        return configuration
    }

    static func dropSchema(_ configuration: AgentConfiguration) {
        guard let schema = configuration.records.schema, var settings = try? PostgresBackend.settings(configuration) else { return }
        settings.schema = nil
        guard let pool = try? PostgresPool(settings: settings, logger: Logger(label: "test")) else { return }
        _ = try? pool.withConnection { connection in
            try connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"), logger: Logger(label: "test")).wait()
        }
        pool.close()
    }

    @Test func filesGoIntoTheDatabaseAndBackLosingNothing() throws {
        let root = NSTemporaryDirectory() + "smsagent-transfer-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let configuration = try Self.configuration(dataDirectory: root + "/database-agent")
        defer { Self.dropSchema(configuration) }

        // A shop's files: messages in every folder, opt-outs, a ledger, an inbox, a waiting part.
        let files = try DataDirectory(path: root + "/shop", options: .init(openingBalance: 50))
        let number = try PhoneNumber.parse(Self.number, defaultCountry: "FR")
        try files.outbox.enqueue(OutboxMessage(id: "a-queued", to: Self.number, text: "à venir", messageClass: .marketing, campaign: "soldes",
                                               notBefore: Date(timeIntervalSince1970: 1_900_000_000)))
        try files.outbox.enqueue(OutboxMessage(id: "b-sent", to: Self.number, text: "envoyé", messageClass: .notification))
        try files.outbox.enqueue(OutboxMessage(id: "c-failed", to: "+33698765432", text: "refusé", messageClass: .marketing))
        _ = try files.outbox.claimNext(now: Date(timeIntervalSince1970: 1_800_000_000))   // b-sent (a-queued is held)
        try files.outbox.recordAttempt("b-sent", SendAttempt(part: 1, parts: 1, modem: "sim1", promptSeenAt: Date()))
        try files.outbox.recordPartAccepted("b-sent", part: 1, reference: 12, at: Date(), next: nil)
        try files.outbox.complete("b-sent", result: SendResult(status: .sent, refs: [12], modem: "sim1", segments: 1, credits: 1),
                                  sentText: "envoyé")
        _ = try files.outbox.claimNext(now: Date(timeIntervalSince1970: 1_800_000_000))
        try files.outbox.complete("c-failed", result: SendResult(status: .suppressed, reason: "recipient opted out (marketing)"))
        try files.optOuts.optOut(number, keyword: "STOP", modem: "sim1", source: "sms:abc")
        try files.optOuts.optIn(try PhoneNumber.parse("+33698765432", defaultCountry: "FR"), source: "cli")
        try files.ledger.commit(row: LedgerRow(messageID: "b-sent", recipient: Self.number, messageClass: "notification", credits: 1,
                                               modem: "sim1", refs: [12], part: 1))
        try files.ledger.topUp(credits: 20, note: "facture 42")
        try files.inbox.append(InboundRecord(from: Self.number, text: "STOP", modem: "sim1", keywordResult: "optout:STOP", simIndices: [1]))
        try files.reassembly.save(StoredInboundPart(modem: "sim1", originator: Self.number, reference: 3, total: 2, sequence: 1, pduHex: "00AB"))

        let database = try PostgresBackend.open(configuration, agent: false, migrate: true, logger: Logger(label: "test"))
        defer { database.close() }
        let imported = try RecordsTransfer.importFiles(from: files.path, into: database, policy: .assumeSent, hashed: false, openingBalance: 50)
        #expect(imported.messages == [.new: 1, .sent: 1, .failed: 1])
        #expect(imported.optOutEvents == 2 && imported.ledgerRows == 2 && imported.inbound == 1 && imported.parts == 1)
        #expect(try database.optOuts.isOptedOut(number))
        #expect(try database.ledger.balance() == 50 - 1 + 20)
        // A second import would count everything twice: refused.
        #expect(throws: RecordsTransfer.TransferError.self) {
            try RecordsTransfer.importFiles(from: files.path, into: database, policy: .assumeSent, hashed: false, openingBalance: 50)
        }

        let back = root + "/back"
        let exported = try RecordsTransfer.export(from: database, to: back, keyFile: nil, hashed: false, openingBalance: 50)
        #expect(exported == imported)
        let copy = try DataDirectory(path: back, options: .init(openingBalance: 50))
        for folder in [OutboxFolder.new, .queued, .sent, .failed] {
            #expect(try copy.outbox.messages(in: folder) == files.outbox.messages(in: folder), "\(folder)")
        }
        #expect(try copy.optOuts.events() == files.optOuts.events())
        #expect(try copy.ledger.rows() == files.ledger.rows())
        #expect(try copy.inbox.all() == files.inbox.all())
        #expect(try copy.reassembly.all() == files.reassembly.all())
    }

    /// `records:` → connection settings; a password file wins over PGPASSFILE; errors name the key.
    @Test func theRecordsSectionGivesTheConnection() throws {
        let root = NSTemporaryDirectory() + "smsagent-settings-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "s3cret\n".write(toFile: root + "/password", atomically: true, encoding: .utf8)
        try "*:*:*:*:from-pgpass\n".write(toFile: root + "/pgpass", atomically: true, encoding: .utf8)
        let yaml = """
            records:
              backend: postgres
              url: "postgres://smsagent@db.example/shops?sslmode=require"
              pool: 3
              agent_id: lyon-1
              lease: 30s
              schema: smsagent
            """
        var configuration = try ConfigurationLoader.parse(yaml: yaml)
        var settings = try PostgresBackend.settings(configuration, environment: ["PGPASSFILE": root + "/pgpass"])
        #expect(settings.password == "from-pgpass")
        #expect(settings.tls == .require && settings.poolSize == 3 && settings.agentID == "lyon-1" && settings.leaseSeconds == 30)
        #expect(settings.schema == "smsagent")
        configuration.records.passwordFile = root + "/password"
        settings = try PostgresBackend.settings(configuration, environment: ["PGPASSFILE": root + "/pgpass"])
        #expect(settings.password == "s3cret")
        configuration.records.passwordFile = root + "/missing"
        #expect {
            _ = try PostgresBackend.settings(configuration, environment: [:])
        } throws: { "\($0)".hasPrefix("records.password_file: ") }
    }

    @Test(arguments: [
        ("records: { backend: postgres }", "records.url is required"),
        ("records: { backend: mysql }", "expected one of files, postgres"),
        ("records: { url: \"postgres://u:pw@h/d\" }", "keep the password out of the URL"),
        ("records: { url: \"http://h/d\" }", "expected postgres://"),
        ("records: { lease: 1s }", "expected 2s to 1h"),
        ("records: { schema: \"Shops; DROP\" }", "lower-case letters"),
        ("records: { pool: 0 }", "≥ 1"),
        ("records: { colour: blue }", "colour"),
    ])
    func aBadRecordsSettingNamesItsKey(_ yaml: String, _ fragment: String) {
        #expect {
            _ = try ConfigurationLoader.parse(yaml: yaml, file: "smsagent.yaml")
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key.hasPrefix("records") && error.description.contains(fragment)
        }
    }
}
