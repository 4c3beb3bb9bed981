import Foundation

/// Where the records live (`records:`, issue 15): the data directory's files (the default), or a
/// PostgreSQL database shared by several agents. Read here, opened by `AgentPostgres`.
///
/// ```yaml
/// records:
///   backend: postgres                 # files (default) | postgres
///   url: "postgres://smsagent@db.example/smsagent?sslmode=verify-full"
///   password_file: /etc/smsagent/db-password   # else PGPASSFILE, else the URL
///   pool: 4
///   agent_id: lyon-1                  # unique per agent; default: the host name
///   lease: 60s
/// ```
public struct RecordsSettings: Sendable, Equatable {
    public enum Backend: String, Sendable, CaseIterable {
        case files
        case postgres
    }

    /// libpq's `sslmode` values supported (no client certificates).
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var backend: Backend = .files
    /// `postgres://user@host[:port]/database[?sslmode=…]`.
    public var url: String?
    /// Connections each agent keeps (plus one listening for notifications).
    public var pool: Int = 4
    /// A file whose first line is the password (else `PGPASSFILE`, else the URL's).
    public var passwordFile: String?
    /// Overrides the URL's `sslmode`.
    public var tls: TLSMode?
    /// Certificate authority (PEM) for `verify-full`.
    public var caFile: String?
    /// This agent's name in leases and ledger rows; nil: the host name.
    public var agentID: String?
    /// How long a claimed message stays this agent's without renewal before another takes it over.
    public var lease: Duration = .seconds(60)
    /// The schema of the tables (nil: the user's default).
    public var schema: String?
    /// How long to wait for the database before an operation fails.
    public var connectTimeout: Duration = .seconds(5)

    public init() {}

    /// `url` without its password (for errors and logs); nil without a URL.
    public var displayURL: String? {
        guard let url else { return nil }
        guard var components = URLComponents(string: url) else { return "(an unreadable records.url)" }
        components.password = nil
        return components.string ?? "(an unreadable records.url)"
    }

    /// The agent id in force: `agent_id`, or the host name.
    public var effectiveAgentID: String {
        if let agentID { return agentID }
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "smsagent" }
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return host.isEmpty ? "smsagent" : host
    }
}

extension ConfigurationReading {
    static func readRecords(_ node: ConfigNode, into r: inout RecordsSettings) throws {
        var urlNode: ConfigNode?
        for (key, value) in try node.mapping(allowed: ["backend", "url", "pool", "password_file", "tls", "ca_file", "agent_id", "lease",
                                                       "schema", "connect_timeout"]) {
            switch key {
            case "backend": r.backend = try value.choice(RecordsSettings.Backend.self)
            case "url":
                let url = try value.nonEmptyString()
                guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
                      components.host?.isEmpty == false, components.user?.isEmpty == false,
                      components.path.count > 1 else {
                    throw value.error("expected postgres://user@host[:port]/database")
                }
                if components.password != nil {
                    throw value.error("keep the password out of the URL: use records.password_file or PGPASSFILE")
                }
                r.url = url
                urlNode = value
            case "pool": r.pool = try value.int(min: 1, max: 64)
            case "password_file": r.passwordFile = try value.nonEmptyString()
            case "tls": r.tls = try value.choice(RecordsSettings.TLSMode.self)
            case "ca_file": r.caFile = try value.nonEmptyString()
            case "agent_id":
                let id = try value.nonEmptyString()
                guard id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                    throw value.error("expected letters, digits, - _ or . (at most 64), got '\(id)'")
                }
                r.agentID = id
            case "lease":
                let lease = try value.duration()
                guard lease >= .seconds(2), lease <= .seconds(3600) else { throw value.error("expected 2s to 1h") }
                r.lease = lease
            case "schema":
                let schema = try value.nonEmptyString()
                guard schema.count <= 63, let first = schema.first, first == "_" || ("a"..."z").contains(first),
                      schema.allSatisfy({ $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }) else {
                    throw value.error("expected lower-case letters, digits and _ (at most 63), got '\(schema)'")
                }
                r.schema = schema
            case "connect_timeout":
                let timeout = try value.duration()
                guard timeout >= .seconds(1), timeout <= .seconds(600) else { throw value.error("expected 1s to 10m") }
                r.connectTimeout = timeout
            default: break
            }
        }
        if r.backend == .postgres, r.url == nil {
            throw (urlNode ?? node).error("records.backend is postgres: records.url is required (postgres://user@host/database)")
        }
    }
}
