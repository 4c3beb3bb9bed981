import Foundation

/// How to reach the shared database (the `records:` section of the configuration, issue 15).
///
/// `url` follows libpq's form `postgres://user[:password]@host[:port]/database[?sslmode=…]`. The
/// password should not be in the URL: it comes from `passwordFile` (one line), else from the
/// `PGPASSFILE` file (libpq's `.pgpass` format), else the URL.
public struct PostgresSettings: Sendable, Equatable {
    /// libpq's `sslmode` values that make sense without client certificates.
    public enum TLSMode: String, Sendable, Equatable, CaseIterable {
        /// Plain TCP (loopback, or a private network the operator trusts).
        case disable
        /// TLS when the server offers it, without verifying its certificate.
        case prefer
        /// TLS always, without verifying the certificate (libpq's `require`).
        case require
        /// TLS always, certificate verified against `caFile` (or the system's roots) and the host name.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// PEM file of the certificate authority for `verify-full` (nil: the system's roots).
    public var caFile: String?
    /// Connections this agent keeps open (plus one that listens for notifications).
    public var poolSize: Int
    /// This agent's name in leases and ledger rows: unique per agent sharing the database.
    public var agentID: String
    /// How long a claimed message stays this agent's without a renewal: another agent takes it
    /// over only after that (the lease is renewed every third of it while the agent runs).
    public var leaseSeconds: Int
    /// Seconds to wait for a connection before the operation fails (the database is unreachable).
    public var connectTimeoutSeconds: Int
    /// The schema holding the tables (`search_path`), created by the migrations if missing;
    /// nil: the user's default (`public`). Lets several installations share one database.
    public var schema: String?

    public init(host: String = "127.0.0.1", port: Int = 5432, user: String, password: String? = nil, database: String,
                tls: TLSMode = .prefer, caFile: String? = nil, poolSize: Int = 4, agentID: String,
                leaseSeconds: Int = 60, connectTimeoutSeconds: Int = 5, schema: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
        self.caFile = caFile
        self.poolSize = poolSize
        self.agentID = agentID
        self.leaseSeconds = leaseSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.schema = schema
    }

    /// A schema name usable unquoted: lower-case letters, digits and `_`, not starting with a digit.
    public static func isValidSchema(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        return (first == "_" || ("a"..."z").contains(first))
            && name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// The URL without its password, for logs and `status`.
    public var redactedURL: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// Reads `postgres://user[:password]@host[:port]/database[?sslmode=MODE]`.
    public static func parse(url raw: String, agentID: String) throws(PostgresSettingsError) -> PostgresSettings {
        guard let components = URLComponents(string: raw), let scheme = components.scheme,
              scheme == "postgres" || scheme == "postgresql" else {
            throw .invalid(key: "url", reason: "expected postgres://user@host[:port]/database, got \(String(reflecting: Self.redact(raw)))")
        }
        guard let host = components.host, !host.isEmpty else { throw .invalid(key: "url", reason: "no host in \(Self.redact(raw))") }
        guard let user = components.user, !user.isEmpty else {
            throw .invalid(key: "url", reason: "no user in \(Self.redact(raw)) (postgres://USER@host/database)")
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw .invalid(key: "url", reason: "port \(port) is out of range") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw .invalid(key: "url", reason: "no database name in \(Self.redact(raw)) (postgres://user@host/DATABASE)")
        }
        var settings = PostgresSettings(host: host, port: port, user: user, password: components.password,
                                        database: database, agentID: agentID)
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw .invalid(key: "url", reason: "sslmode \(String(reflecting: item.value ?? "")) is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                settings.tls = mode
            case "sslrootcert":
                settings.caFile = item.value
            case "connect_timeout":
                guard let value = item.value.flatMap(Int.init), (1...600).contains(value) else {
                    throw .invalid(key: "url", reason: "connect_timeout must be 1 to 600 seconds")
                }
                settings.connectTimeoutSeconds = value
            default:
                throw .invalid(key: "url", reason: "unknown parameter \(String(reflecting: item.name)) (known: sslmode, sslrootcert, connect_timeout)")
            }
        }
        return settings
    }

    /// The password from a `.pgpass`-format file (`host:port:database:user:password`, `*` matches
    /// anything, `\:` and `\\` escape): the first line that matches these settings.
    public static func password(fromPassFile path: String, for settings: PostgresSettings) throws(PostgresSettingsError) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalid(key: "PGPASSFILE", reason: "cannot read \(path)")
        }
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            if line.hasPrefix("#") { continue }
            var fields: [String] = []
            var current = ""
            var escaped = false
            for character in line {
                if escaped {
                    current.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == ":" && fields.count < 4 {
                    fields.append(current)
                    current = ""
                } else {
                    current.append(character)
                }
            }
            fields.append(current)
            guard fields.count == 5 else { continue }
            let wanted = [settings.host, String(settings.port), settings.database, settings.user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// A password file of `password_file`: its first line.
    public static func password(fromFile path: String) throws(PostgresSettingsError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalid(key: "password_file", reason: "cannot read \(path)")
        }
        let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard !line.isEmpty else { throw .invalid(key: "password_file", reason: "\(path) is empty") }
        return line
    }

    static func redact(_ raw: String) -> String {
        guard var components = URLComponents(string: raw), components.password != nil else { return raw }
        components.password = "***"
        return components.string ?? raw
    }
}

/// A `records:` setting that cannot be used, naming the key.
public enum PostgresSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(key: String, reason: String)

    public var description: String {
        switch self {
        case let .invalid(key, reason): "records.\(key): \(reason)"
        }
    }
}
