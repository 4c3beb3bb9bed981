import Foundation

/// What `status.json` in the data directory holds: the running agent's view of its modems,
/// queue and credits, rewritten atomically (temp + rename) on change and every
/// `status_interval`. `smsagent status` reads it.
public struct StatusSnapshot: Codable, Sendable, Equatable {
    public var updatedAt: Date
    public var pid: Int32
    public var startedAt: Date
    /// `running`, `stopping`, or `stopped` (written last on a clean exit).
    public var state: String
    public var modems: [ModemStatus]
    public var queue: QueueStatus
    public var credits: CreditStatus
    public var optOuts: Int
    /// The shared records database (issue 15); nil on files.
    public var records: RecordsStatus?
    /// What an operator must know about the agent as a whole and how to fix it (marketing held
    /// because no modem can carry it …); absent when there is nothing to say.
    public var warnings: [String]?

    public init(updatedAt: Date, pid: Int32, startedAt: Date, state: String, modems: [ModemStatus], queue: QueueStatus, credits: CreditStatus, optOuts: Int,
                records: RecordsStatus? = nil) {
        self.records = records
        self.updatedAt = updatedAt
        self.pid = pid
        self.startedAt = startedAt
        self.state = state
        self.modems = modems
        self.queue = queue
        self.credits = credits
        self.optOuts = optOuts
    }

    enum CodingKeys: String, CodingKey {
        case updatedAt = "updated_at", pid, startedAt = "started_at", state, modems, queue, credits
        case optOuts = "opt_outs", warnings
        case records
    }
}

/// The shared records database as the agent last saw it.
public struct RecordsStatus: Codable, Sendable, Equatable {
    /// The URL without its password.
    public var location: String
    public var reachable: Bool
    /// Why it could not be read (the messages wait: nothing is sent without its checks).
    public var error: String?

    public init(location: String, reachable: Bool, error: String? = nil) {
        self.location = location
        self.reachable = reachable
        self.error = error
    }
}

public struct ModemStatus: Codable, Sendable, Equatable {
    public var id: String
    public var port: String
    /// `starting`, `ready`, `sending`, `degraded`, `unhealthy`, `removed`.
    public var state: String
    public var manufacturer: String?
    public var model: String?
    public var imei: String?
    public var ownNumber: String?
    public var operatorName: String?
    public var registration: String?
    public var signalDBm: Int?
    public var simStorageUsed: Int?
    public var simStorageTotal: Int?
    public var throttle: ThrottleStatus
    public var sent: Int
    public var failed: Int
    public var lastError: String?
    /// Seconds this modem spent sending (from `AT+CMGS` of a message's first part to the result
    /// of its last) since the agent started: with `started_at`, the modem's busy ratio.
    public var busySeconds: Double?
    /// How SMS sent to this modem's SIM reach the agent: `announced`, `polling-only`, or
    /// `unreadable` (a phone without SMS storage over AT: STOP replies are never seen). Absent
    /// until the modem is set up.
    public var inbound: String?
    /// What is wrong with this modem's set-up and how to fix it (no SMS centre, unreadable
    /// replies …); absent when there is nothing to say.
    public var warnings: [String]?

    public init(id: String, port: String, state: String) {
        self.id = id
        self.port = port
        self.state = state
        self.throttle = ThrottleStatus()
        self.sent = 0
        self.failed = 0
    }

    enum CodingKeys: String, CodingKey {
        case id, port, state, manufacturer, model, imei
        case ownNumber = "own_number", operatorName = "operator", registration
        case signalDBm = "signal_dbm", simStorageUsed = "sim_storage_used", simStorageTotal = "sim_storage_total"
        case throttle, sent, failed
        case lastError = "last_error", inbound, warnings
        case busySeconds = "busy_seconds"
    }
}

public struct ThrottleStatus: Codable, Sendable, Equatable {
    public var minIntervalMilliseconds: Int64 = 0
    public var dailyCap: Int = 0
    public var sentToday: Int = 0
    /// Set while the SIM waits (interval or daily cap).
    public var waitingUntil: Date?
    public var capReached: Bool = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case minIntervalMilliseconds = "min_interval_ms", dailyCap = "daily_cap", sentToday = "sent_today"
        case waitingUntil = "waiting_until", capReached = "cap_reached"
    }
}

public struct QueueStatus: Codable, Sendable, Equatable {
    public var new: Int
    public var sending: Int
    public var sent: Int
    public var failed: Int
    /// Messages waiting because the credits are exhausted.
    public var waitingForCredits: Bool

    public init(new: Int = 0, sending: Int = 0, sent: Int = 0, failed: Int = 0, waitingForCredits: Bool = false) {
        self.new = new
        self.sending = sending
        self.sent = sent
        self.failed = failed
        self.waitingForCredits = waitingForCredits
    }

    enum CodingKeys: String, CodingKey {
        case new, sending, sent, failed
        case waitingForCredits = "waiting_for_credits"
    }
}

public struct CreditStatus: Codable, Sendable, Equatable {
    public var balance: Int
    public var reserved: Int
    public var low: Bool
    public var exhausted: Bool

    public init(balance: Int = 0, reserved: Int = 0, low: Bool = false, exhausted: Bool = false) {
        self.balance = balance
        self.reserved = reserved
        self.low = low
        self.exhausted = exhausted
    }
}

extension StatusSnapshot {
    public static let fileName = "status.json"

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    public static func read(dataDirectory: String) throws -> StatusSnapshot {
        let data = try Data(contentsOf: URL(fileURLWithPath: dataDirectory).appendingPathComponent(fileName))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(StatusSnapshot.self, from: data)
    }

    /// Atomic replace: temp file, fsync, rename.
    public func write(dataDirectory: String) throws {
        let data = try Self.encoder.encode(self)
        let final = URL(fileURLWithPath: dataDirectory).appendingPathComponent(Self.fileName)
        let temp = URL(fileURLWithPath: dataDirectory).appendingPathComponent(".\(Self.fileName).tmp")
        // 0600 like every file the agent writes (fchmod too: a temporary file left by an older
        // version keeps its mode through O_TRUNC).
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StatusWriteError(path: temp.path, errno: errno) }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw StatusWriteError(path: temp.path, errno: errno) }
        let written = data.withUnsafeBytes { buffer in
            Foundation.write(fd, buffer.baseAddress, buffer.count)
        }
        guard written == data.count, fsync(fd) == 0 else { throw StatusWriteError(path: temp.path, errno: errno) }
        guard rename(temp.path, final.path) == 0 else { throw StatusWriteError(path: final.path, errno: errno) }
    }
}

public struct StatusWriteError: Error, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var description: String { "cannot write \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
}
