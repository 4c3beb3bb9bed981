import Agent
import Compliance
import Foundation
import Logging
import Records
import RecordsPostgres

/// Wiring of the PostgreSQL records into the agent (`records.backend: postgres`, issue 15).
public enum PostgresBackend {
    /// Makes `records.backend: postgres` available to `AgentRuntime` and the commands.
    public static func register() {
        RecordsBackends.register(.postgres) { configuration, agent, logger in
            let records = try open(configuration, agent: agent, logger: logger)
            return RecordsBackends.Opened(records: recordSet(records), close: { records.close() })
        }
    }

    /// The connection settings of a configuration: the URL, the password (`password_file`, else
    /// `PGPASSFILE`), TLS, pool, agent id, lease. Errors name the `records.` key.
    public static func settings(_ configuration: AgentConfiguration,
                                environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PostgresSettings {
        let r = configuration.records
        guard let url = r.url else { throw PostgresSettingsError.invalid(key: "url", reason: "required with backend postgres") }
        var settings = try PostgresSettings.parse(url: url, agentID: r.effectiveAgentID)
        if let passwordFile = r.passwordFile {
            settings.password = try PostgresSettings.password(fromFile: passwordFile)
        } else if let passFile = environment["PGPASSFILE"], !passFile.isEmpty {
            if let password = try PostgresSettings.password(fromPassFile: passFile, for: settings) { settings.password = password }
        }
        if let tls = r.tls { settings.tls = PostgresSettings.TLSMode(rawValue: tls.rawValue) ?? settings.tls }
        if let caFile = r.caFile { settings.caFile = caFile }
        if settings.tls == .verifyFull, let caFile = settings.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw PostgresSettingsError.invalid(key: "ca_file", reason: "cannot read \(caFile)")
        }
        settings.poolSize = r.pool
        settings.leaseSeconds = Int(r.lease.components.seconds)
        settings.connectTimeoutSeconds = max(1, Int(r.connectTimeout.components.seconds))
        settings.schema = r.schema
        return settings
    }

    /// Opens the database records of a configuration (applying missing migrations unless `migrate`
    /// is false). `agent`: also listen for notifications and renew leases.
    public static func open(_ configuration: AgentConfiguration, agent: Bool, migrate: Bool? = nil, logger: Logger) throws -> PostgresRecords {
        let settings = try settings(configuration)
        let keyPath = configuration.dataDirectory + "/optout.key"
        let key: HMACKey?
        if configuration.inbound.hashOptOuts {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            key = try HMACKey.loadOrCreate(path: keyPath)
        } else {
            key = try HMACKey.load(path: keyPath)
        }
        let options = PostgresRecords.Options(
            key: key, storeHashed: configuration.inbound.hashOptOuts, openingBalance: configuration.credits.openingBalance,
            ambiguousWindow: configuration.sending.ambiguousWindow, charge: charge(configuration), migrate: migrate ?? true, background: agent)
        return try PostgresRecords(settings: settings, options: options, logger: logger)
    }

    /// The ledger row of a part charged when another agent's message is settled after its lease
    /// expired — the same row the agent writes after its own crash (`AgentRuntime.recover`).
    static func charge(_ configuration: AgentConfiguration) -> @Sendable (OutboxMessage, SendAttempt) -> LedgerRow? {
        { message, attempt in
            let messageClass = message.messageClass ?? (message.kind != nil ? .notification : configuration.compliance.effectiveDefaultClass)
            let recipient = (try? PhoneNumber.parse(message.to, defaultCountry: configuration.compliance.defaultCountry).e164) ?? message.to
            return LedgerRow(time: attempt.answeredAt ?? attempt.startedAt, messageID: message.id, recipient: recipient,
                             messageClass: messageClass.rawValue, segments: 1,
                             credits: configuration.credits.cost(perSegmentFor: messageClass), modem: attempt.modem,
                             refs: attempt.status == .accepted ? attempt.reference.map { [$0] } ?? [] : [], part: attempt.part)
        }
    }

    /// The database records as the agent's `RecordSet`.
    public static func recordSet(_ records: PostgresRecords) -> RecordSet {
        let outbox = records.outbox
        let optOuts = records.optOuts
        return RecordSet(
            outbox: outbox, optOuts: optOuts, confirmations: records.confirmations, helpReplies: records.helpReplies,
            ledger: records.ledger, inbox: records.inbox, reassembly: records.reassembly,
            messagesIn: { try outbox.messages(in: $0) },
            recentMessagesIn: { try outbox.recentMessages(in: $0, limit: $1) },
            prune: { try outbox.prune(settledBefore: $0) }, storeHashed: optOuts.storeHashed,
            storedIdentifier: { optOuts.storedIdentifier(for: $0) }, wakeups: records.wakeups,
            location: records.pool.settings.redactedURL, isShared: true)
    }
}
