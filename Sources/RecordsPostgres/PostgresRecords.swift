import Foundation
import Logging
import NIOCore
import PostgresNIO
import Records
import Synchronization

/// Every record of the agent in one shared PostgreSQL database (issue 15): the outbox with
/// leases, the opt-out list, the confirmation and HELP logs, the ledger, the inbox and the
/// reassembly store, over one pool. While open it also
/// - listens on `smsagent_outbox` and rings `wakeups` for every message queued or given back by
///   any agent (and once after each reconnection, for what was missed meanwhile), and
/// - renews this agent's leases every third of `leaseSeconds`.
public final class PostgresRecords: Sendable {
    public struct Options: Sendable {
        public var key: HMACKey?
        public var storeHashed: Bool
        public var optOutTextLimit: Int
        public var openingBalance: Int
        public var ambiguousWindow: AmbiguousSendPolicy
        /// The ledger row of each charged part of a message settled by a takeover.
        public var charge: (@Sendable (OutboxMessage, SendAttempt) -> LedgerRow?)?
        /// Apply missing migrations (the agent at start); otherwise the schema must be current.
        public var migrate: Bool
        /// Listen for notifications and renew leases (an agent); commands need neither.
        public var background: Bool

        public init(key: HMACKey? = nil, storeHashed: Bool = false, optOutTextLimit: Int = 0, openingBalance: Int = 0,
                    ambiguousWindow: AmbiguousSendPolicy = .assumeSent,
                    charge: (@Sendable (OutboxMessage, SendAttempt) -> LedgerRow?)? = nil,
                    migrate: Bool = true, background: Bool = false) {
            self.key = key
            self.storeHashed = storeHashed
            self.optOutTextLimit = optOutTextLimit
            self.openingBalance = openingBalance
            self.ambiguousWindow = ambiguousWindow
            self.charge = charge
            self.migrate = migrate
            self.background = background
        }
    }

    public let pool: PostgresPool
    public let outbox: PostgresOutbox
    public let optOuts: PostgresOptOutRegistry
    public let confirmations: PostgresConfirmationLog
    public let helpReplies: PostgresConfirmationLog
    public let ledger: PostgresCreditLedger
    public let inbox: PostgresInboxArchive
    public let reassembly: PostgresReassemblyStore
    /// Rung when any agent queues a message (LISTEN/NOTIFY).
    public let wakeups: AsyncStream<Void>
    private let wakeupsContinuation: AsyncStream<Void>.Continuation
    private let logger: Logger
    private let listener = Mutex<Task<Void, Never>?>(nil)
    private let stopped = StopFlag()
    private let renewalCondition = NSCondition()

    /// Shared with the renewal thread, which must not keep the records alive.
    private final class StopFlag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        /// Sets the flag; returns whether it was already set.
        func set() -> Bool {
            value.withLock { value in
                defer { value = true }
                return value
            }
        }
    }

    public init(settings: PostgresSettings, options: Options, logger: Logger) throws {
        self.logger = logger
        pool = try PostgresPool(settings: settings, logger: logger)
        if options.migrate {
            let applied = try PostgresMigrations.migrate(pool)
            if !applied.isEmpty {
                logger.notice("database schema migrated", metadata: ["versions": "\(applied)", "database": "\(settings.redactedURL)"])
            }
        } else {
            try PostgresMigrations.check(pool)
        }
        if let key = options.key { try Self.checkKey(key, pool: pool) }
        ledger = PostgresCreditLedger(pool: pool, openingBalance: options.openingBalance)
        outbox = PostgresOutbox(pool: pool, ledger: ledger, policy: options.ambiguousWindow, charge: options.charge, logger: logger)
        optOuts = try PostgresOptOutRegistry(pool: pool, key: options.key, storeHashed: options.storeHashed,
                                             textLimit: options.optOutTextLimit)
        confirmations = PostgresConfirmationLog(pool: pool, log: "confirmation", key: options.key)
        helpReplies = PostgresConfirmationLog(pool: pool, log: "help", key: options.key)
        inbox = PostgresInboxArchive(pool: pool)
        reassembly = PostgresReassemblyStore(pool: pool)
        (wakeups, wakeupsContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        if options.background { startBackground() }
    }

    deinit {
        wakeupsContinuation.finish()
    }

    /// Stops listening and renewing, and closes the connections.
    public func close() {
        guard !stopped.set() else { return }
        listener.withLock { $0 }?.cancel()
        renewalCondition.withLock { renewalCondition.broadcast() }
        wakeupsContinuation.finish()
        pool.close()
    }

    /// The hashed mode's key must be the same on every agent: the first agent stores a check
    /// value (the identifier of a fixed non-number), later ones compare with it.
    static func checkKey(_ key: HMACKey, pool: PostgresPool) throws {
        let check = key.identifier(forE164: "smsagent-key-check")
        try pool.transaction { connection in
            try connection.run("""
                INSERT INTO smsagent_settings (name, value) VALUES ('hmac_key_check', \(check)) ON CONFLICT (name) DO NOTHING
                """, operation: "record the HMAC key check")
            let stored = try connection.rows("SELECT value FROM smsagent_settings WHERE name = 'hmac_key_check'",
                                             operation: "read the HMAC key check").first?.decode(String.self)
            if stored != check { throw PostgresRecordsError.hmacKeyMismatch }
        }
    }

    private func startBackground() {
        let pool = self.pool
        let logger = self.logger
        let continuation = wakeupsContinuation
        let listener = Task.detached {
            var connectionID = 1_000_000
            var warned = false
            while !Task.isCancelled {
                connectionID += 1
                do {
                    let connection = try await PostgresConnection.connect(on: pool.group.next(), configuration: pool.configuration,
                                                                           id: connectionID, logger: logger)
                    connection.addListener(channel: PostgresOutbox.channel) { _, _ in continuation.yield(()) }
                    _ = try await connection.query("LISTEN smsagent_outbox", logger: logger)
                    if warned { logger.notice("database reachable again; listening for new messages") }
                    warned = false
                    continuation.yield(())   // what was queued while we were not listening
                    await withTaskCancellationHandler {
                        _ = try? await connection.closeFuture.get()
                    } onCancel: {
                        connection.close(promise: nil)
                    }
                } catch {
                    if !warned {
                        logger.warning("cannot listen for new messages on the database; retrying every 2 s",
                                       metadata: ["error": "\(PostgresPool.describe(error))"])
                        warned = true
                    }
                }
                try? await Task.sleep(for: .seconds(2))
            }
        }
        let interval = max(1, TimeInterval(pool.settings.leaseSeconds) / 3)
        let outbox = self.outbox
        let condition = renewalCondition
        let stopped = self.stopped
        let renewal = Thread {
            while true {
                condition.lock()
                if stopped.isSet {
                    condition.unlock()
                    return
                }
                _ = condition.wait(until: Date().addingTimeInterval(interval))
                condition.unlock()
                if stopped.isSet { return }
                do {
                    _ = try outbox.renewLeases()
                } catch {
                    logger.warning("cannot renew the leases of the messages in hand", metadata: ["error": "\(error)"])
                }
            }
        }
        renewal.name = "smsagent-leases"
        renewal.start()
        self.listener.withLock { $0 = listener }
    }
}

extension PostgresConnection {
    func close(promise: EventLoopPromise<Void>?) {
        let future: EventLoopFuture<Void> = close()
        if let promise { future.cascade(to: promise) }
    }
}
