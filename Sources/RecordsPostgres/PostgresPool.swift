import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Records
import Synchronization

/// What went wrong with the database, in words a person can act on.
public enum PostgresRecordsError: TransientRecordsError, Sendable, CustomStringConvertible {
    /// No connection could be made (server down, network, authentication, TLS).
    case unreachable(url: String, reason: String)
    /// Every connection stayed busy for longer than the connect timeout.
    case poolExhausted(url: String, size: Int)
    /// A statement failed on the server (constraint, syntax, permission …).
    case server(operation: String, sqlState: String?, message: String)
    /// The database's schema is newer than this agent knows (`smsagent records migrate` on an older binary).
    case schemaTooNew(found: Int, known: Int)
    /// The schema is older than this agent needs: run `smsagent records migrate`.
    case schemaTooOld(found: Int, needed: Int)
    /// A claimed message is no longer this agent's (its lease expired and another agent took it).
    case leaseLost(id: String, agent: String)
    /// The hashed opt-out mode's key differs from the one the database was started with.
    case hmacKeyMismatch

    /// The server down, the network, every connection busy: the agent waits and tries again.
    public var isTransient: Bool {
        switch self {
        case .unreachable, .poolExhausted: true
        // The server going away under a statement (57P01 admin shutdown, 57P02 crash shutdown,
        // 57P03 starting up, 08… connection exceptions, 53300 too many connections): the
        // statement did not take effect, the same one may succeed once the server is back.
        case .server(_, let state?, _): state.hasPrefix("57P") || state.hasPrefix("08") || state == "53300"
        case .server, .schemaTooNew, .schemaTooOld, .leaseLost, .hmacKeyMismatch: false
        }
    }

    public var isLeaseLost: Bool {
        if case .leaseLost = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .unreachable(url, reason): "database \(url) unreachable: \(reason)"
        case let .poolExhausted(url, size): "database \(url): all \(size) connections busy"
        case let .server(operation, state, message): "database error during \(operation): \(message)\(state.map { " (SQLSTATE \($0))" } ?? "")"
        case let .schemaTooNew(found, known): "the database schema is at version \(found), this smsagent knows up to \(known): upgrade smsagent"
        case let .schemaTooOld(found, needed): "the database schema is at version \(found), this smsagent needs \(needed): run `smsagent records migrate`"
        case let .leaseLost(id, agent): "message \(id) is no longer held by agent \(agent): its lease expired and another agent took it over"
        case .hmacKeyMismatch: "the opt-out HMAC key (optout.key) differs from the key the shared database was started with: copy the same optout.key to every agent"
        }
    }
}

/// A fixed number of connections used from synchronous code: the `Records` protocols are
/// synchronous and run on the agent's records threads (never on an event loop), so each call
/// borrows a connection, waits for its answer, and gives it back. A connection that broke is
/// dropped and a new one is opened on the next call: the pool heals when the database returns.
public final class PostgresPool: @unchecked Sendable {
    public let settings: PostgresSettings
    let group: MultiThreadedEventLoopGroup
    let logger: Logger
    private let tls: PostgresConnection.Configuration.TLS
    // The condition guards `idle`, `open`, `closed` and `nextID`.
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var closed = false
    private var nextID = 1

    public init(settings: PostgresSettings, logger: Logger) throws {
        if let schema = settings.schema, !PostgresSettings.isValidSchema(schema) {
            throw PostgresSettingsError.invalid(key: "schema", reason: "\(String(reflecting: schema)) must be lower-case letters, digits and _ (at most 63)")
        }
        self.settings = settings
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        tls = try Self.makeTLS(settings)
    }

    deinit {
        try? group.syncShutdownGracefully()
    }

    static func makeTLS(_ settings: PostgresSettings) throws -> PostgresConnection.Configuration.TLS {
        switch settings.tls {
        case .disable:
            return .disable
        case .prefer, .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            let context = try NIOSSLContext(configuration: configuration)
            return settings.tls == .prefer ? .prefer(context) : .require(context)
        case .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            if let caFile = settings.caFile {
                do {
                    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
                } catch {
                    throw PostgresSettingsError.invalid(key: "ca_file", reason: "cannot read the certificates of \(caFile): \(error)")
                }
            }
            return .require(try NIOSSLContext(configuration: configuration))
        }
    }

    var configuration: PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(host: settings.host, port: settings.port, username: settings.user,
                                                             password: settings.password, database: settings.database, tls: tls)
        configuration.options.connectTimeout = .seconds(Int64(settings.connectTimeoutSeconds))
        if settings.tls == .verifyFull { configuration.options.tlsServerName = settings.host }
        if let schema = settings.schema { configuration.options.additionalStartupParameters = [("search_path", schema)] }
        return configuration
    }

    /// Opens a connection outside the pool (the listener).
    func connect() throws -> PostgresConnection {
        let id = condition.withLock { () -> Int in
            defer { nextID += 1 }
            return nextID
        }
        do {
            return try PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger).wait()
        } catch {
            throw PostgresRecordsError.unreachable(url: settings.redactedURL, reason: Self.describe(error))
        }
    }

    /// Runs `body` with a connection of the pool.
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        do {
            return try body(connection)
        } catch PostgresRecordsError.unreachable(_, let reason) {
            // A connection that broke mid-statement: name the database, not the connection.
            throw PostgresRecordsError.unreachable(url: settings.redactedURL, reason: reason)
        }
    }

    /// Runs `body` in a transaction (BEGIN … COMMIT; ROLLBACK when it throws).
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection { connection in
            try connection.run("BEGIN", operation: "begin")
            do {
                let result = try body(connection)
                try connection.run("COMMIT", operation: "commit")
                return result
            } catch {
                _ = try? connection.run("ROLLBACK", operation: "rollback")
                throw error
            }
        }
    }

    public func close() {
        let connections = condition.withLock { () -> [PostgresConnection] in
            closed = true
            defer { idle = [] }
            return idle
        }
        for connection in connections { try? connection.close().wait() }
    }

    private func checkOut() throws -> PostgresConnection {
        let deadline = Date().addingTimeInterval(TimeInterval(settings.connectTimeoutSeconds))
        condition.lock()
        while true {
            if let connection = idle.popLast() {
                if connection.isClosed {
                    open -= 1
                    continue
                }
                condition.unlock()
                return connection
            }
            if open < settings.poolSize { break }
            if !condition.wait(until: deadline) {
                condition.unlock()
                throw PostgresRecordsError.poolExhausted(url: settings.redactedURL, size: settings.poolSize)
            }
        }
        open += 1
        condition.unlock()
        do {
            return try connect()
        } catch {
            condition.withLock {
                open -= 1
                condition.signal()
            }
            throw error
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        condition.lock()
        if connection.isClosed || closed {
            open -= 1
            condition.signal()
            condition.unlock()
            if !connection.isClosed { try? connection.close().wait() }
            return
        }
        idle.append(connection)
        condition.signal()
        condition.unlock()
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }
}

extension NSCondition {
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

extension PostgresConnection {
    /// Runs a statement and returns its rows; server errors become `PostgresRecordsError.server`.
    @discardableResult
    func rows(_ query: PostgresQuery, operation: String) throws -> [PostgresRow] {
        try result(query, operation: operation).rows
    }

    /// Runs a statement and returns how many rows it changed.
    @discardableResult
    func run(_ query: PostgresQuery, operation: String) throws -> Int {
        try result(query, operation: operation).metadata.rows ?? 0
    }

    /// The longest a statement may go unanswered on a connection that is still open.
    static let statementDeadline: TimeAmount = .seconds(60)

    func result(_ query: PostgresQuery, operation: String) throws -> PostgresQueryResult {
        guard !isClosed else {
            throw PostgresRecordsError.unreachable(url: "(connection \(id))", reason: "the connection is closed")
        }
        // The answer, or — should the connection close without the query's future ever being
        // completed (seen when the server shuts down under a statement) — a failure within a
        // second, instead of a records thread blocked for ever: the connection is looked at
        // every second, and a statement unanswered after `statementDeadline` closes it.
        let promise = eventLoop.makePromise(of: PostgresQueryResult.self)
        let once = Once()
        let started = NIODeadline.now()
        let watch = eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] task in
            if isClosed, once.claim() {
                promise.fail(StatementAbandoned(reason: "the connection closed under the statement"))
            } else if NIODeadline.now() - started > Self.statementDeadline, once.claim() {
                promise.fail(StatementAbandoned(reason: "no answer within \(Self.statementDeadline.nanoseconds / 1_000_000_000) s"))
                close(promise: nil)
            }
        }
        self.query(query, logger: logger).whenComplete { result in
            if once.claim() { promise.completeWith(result) }
        }
        defer { watch.cancel() }
        do {
            return try promise.futureResult.wait()
        } catch let abandoned as StatementAbandoned {
            throw PostgresRecordsError.unreachable(url: "(connection \(id))", reason: abandoned.reason)
        } catch let error as PSQLError {
            switch error.code {
            case .server:
                throw PostgresRecordsError.server(operation: operation, sqlState: error.serverInfo?[.sqlState],
                                                  message: error.serverInfo?[.message] ?? "\(error.code)")
            default:
                throw PostgresRecordsError.unreachable(url: "(connection \(id))", reason: PostgresPool.describe(error))
            }
        }
    }
}

/// A statement given up on (`PostgresConnection.result`).
struct StatementAbandoned: Error {
    var reason: String
}

/// Lets one of several racing completions through.
final class Once: Sendable {
    private let done = Mutex(false)

    /// True the first time only.
    func claim() -> Bool {
        done.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
