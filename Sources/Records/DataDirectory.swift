import Foundation
import Logging
import Synchronization

/// The agent's data directory and every durable record in it:
///
/// ```
/// <data>/                 0700
///   smsagent.lock         flock held by the running agent (holds its PID)
///   outbox/{tmp,new,sending,sent,failed}/<id>.json
///   optouts.csv           opt-out events          confirmations.csv  confirmations queued
///   credits.csv           credit ledger           inbox.csv          inbound archive
///   reassembly/           parts of multi-part inbound SMS not yet complete
///   optout.key            HMAC key of the hashed opt-out mode (0600, created on first use)
/// ```
///
/// Opening a `DataDirectory` creates what is missing and loads the indexes (opt-outs, ledger,
/// inbox fingerprints). It does not take the lock: the agent calls `lock()` first; commands that
/// only read or append (`smsagent optouts add`, `send`) may run beside a running agent, since
/// every append is atomic and every index folds in what others appended.
public struct DataDirectory: Sendable {
    public struct Options: Sendable {
        /// Store HMAC-SHA-256 identifiers instead of numbers in `optouts.csv` (creates `optout.key`).
        public var hashOptOuts: Bool
        /// Credits available before the first ledger row (from the configuration).
        public var openingBalance: Int
        /// Characters of an opt-out SMS kept in `optouts.csv` (0: none; ignored in hashed mode).
        public var optOutTextLimit: Int
        /// 0600/0700 (`.owner`, default) or 0640/0750 (`.group`) for what the agent creates.
        public var permissions: RecordPermissions
        public var logger: Logger
        /// Records shared with other agents (a database, issue 15) used instead of the files
        /// for `records`; the directory still holds the lock, `status.json` and the key.
        public var shared: RecordSet?

        public init(hashOptOuts: Bool = false, openingBalance: Int = 0, optOutTextLimit: Int = 0,
                    logger: Logger = Logger(label: "smsagent.records")) {
            self.init(hashOptOuts: hashOptOuts, openingBalance: openingBalance, optOutTextLimit: optOutTextLimit,
                      permissions: .owner, logger: logger)
        }

        public init(hashOptOuts: Bool = false, openingBalance: Int = 0, optOutTextLimit: Int = 0,
                    permissions: RecordPermissions, logger: Logger = Logger(label: "smsagent.records")) {
            self.hashOptOuts = hashOptOuts
            self.openingBalance = openingBalance
            self.optOutTextLimit = optOutTextLimit
            self.permissions = permissions
            self.logger = logger
        }
    }

    public let path: String
    public let outbox: FileOutbox
    public let optOuts: FileOptOutRegistry
    public let confirmations: FileConfirmationLog
    public let ledger: FileCreditLedger
    public let inbox: FileInboxArchive
    public let reassembly: FileReassemblyStore
    /// The records to work with: `options.shared` when given, else the files above.
    public let records: RecordSet

    public var lockPath: String { path + "/smsagent.lock" }
    public var optOutKeyPath: String { path + "/optout.key" }

    public init(path: String, options: Options = Options()) throws {
        let path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        self.path = path
        let permissions = options.permissions
        try FileSystem.makeDirectory(path, mode: permissions.directory)
        var logger = options.logger
        logger[metadataKey: "data"] = "\(path)"
        let keyPath = path + "/optout.key"
        let key = options.hashOptOuts ? try HMACKey.loadOrCreate(path: keyPath) : try HMACKey.load(path: keyPath)
        outbox = try FileOutbox(root: path + "/outbox", permissions: permissions, logger: logger)
        optOuts = try FileOptOutRegistry(path: path + "/optouts.csv", key: key, storeHashed: options.hashOptOuts,
                                         textLimit: options.optOutTextLimit, permissions: permissions, logger: logger)
        confirmations = try FileConfirmationLog(path: path + "/confirmations.csv", key: key, storeHashed: options.hashOptOuts,
                                                permissions: permissions, logger: logger)
        ledger = try FileCreditLedger(path: path + "/credits.csv", openingBalance: options.openingBalance,
                                      permissions: permissions, logger: logger)
        inbox = try FileInboxArchive(path: path + "/inbox.csv", permissions: permissions, logger: logger)
        reassembly = try FileReassemblyStore(directory: path + "/reassembly", permissions: permissions, logger: logger)
        let outbox = outbox
        let optOuts = optOuts
        records = options.shared ?? RecordSet(
            outbox: outbox, optOuts: optOuts, confirmations: confirmations, helpReplies: nil, ledger: ledger, inbox: inbox,
            reassembly: reassembly, messagesIn: { try outbox.messages(in: $0) },
            recentMessagesIn: { folder, limit in try Self.recentMessages(in: folder, of: outbox, limit: limit) },
            prune: { try outbox.prune(settledBefore: $0) }, storeHashed: optOuts.storeHashed,
            storedIdentifier: { optOuts.storedIdentifier(for: $0) }, wakeups: nil, location: "files", isShared: false)
    }

    /// The newest messages of `folder` (ids sort by creation time), unreadable files skipped.
    static func recentMessages(in folder: OutboxFolder, of outbox: FileOutbox, limit: Int) throws -> [OutboxMessage] {
        let names = try FileSystem.listDirectory(outbox.path(folder))
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted(by: >).prefix(limit)
            .compactMap { name in try? outbox.find(String(name.dropLast(5)))?.message }
    }

    /// One `DataDirectory` per path and options in a process that asked for it
    /// (`shareWithinProcess()`, as `smsagent run` does): the agent and its HTTP API then share
    /// their indexes instead of loading the opt-out list twice. Otherwise (tests that open many
    /// directories, each closed when dropped) a new one each call.
    public static func shared(path: String, options: Options = Options()) throws -> DataDirectory {
        let key = "\(path)|\(options.hashOptOuts)|\(options.openingBalance)|\(options.optOutTextLimit)|\(options.permissions)"
        return try sharedDirectories.withLock { shared in
            // Records on a database (options.shared) are the caller's connection: not cached.
            guard options.shared == nil, var opened = shared else { return try DataDirectory(path: path, options: options) }
            if let existing = opened[key] { return existing }
            let directory = try DataDirectory(path: path, options: options)
            opened[key] = directory
            shared = opened
            return directory
        }
    }

    /// From now on `shared(path:options:)` keeps what it opens for the life of the process.
    public static func shareWithinProcess() {
        sharedDirectories.withLock { shared in if shared == nil { shared = [:] } }
    }

    private static let sharedDirectories = Mutex<[String: DataDirectory]?>(nil)

    /// Takes the data directory's lock (`flock` on `smsagent.lock`); throws
    /// `RecordsError.locked(path:holderPID:)` if another agent holds it. Keep the returned object
    /// alive for as long as the agent runs.
    public func lock() throws -> DataDirectoryLock {
        try DataDirectoryLock(path: lockPath)
    }
}
