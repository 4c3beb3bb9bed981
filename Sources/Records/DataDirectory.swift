import Foundation
import Logging

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
        public var logger: Logger

        public init(hashOptOuts: Bool = false, openingBalance: Int = 0, optOutTextLimit: Int = 0,
                    logger: Logger = Logger(label: "smsagent.records")) {
            self.hashOptOuts = hashOptOuts
            self.openingBalance = openingBalance
            self.optOutTextLimit = optOutTextLimit
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

    public var lockPath: String { path + "/smsagent.lock" }
    public var optOutKeyPath: String { path + "/optout.key" }

    public init(path: String, options: Options = Options()) throws {
        let path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        self.path = path
        try FileSystem.makeDirectory(path)
        var logger = options.logger
        logger[metadataKey: "data"] = "\(path)"
        let keyPath = path + "/optout.key"
        let key = options.hashOptOuts ? try HMACKey.loadOrCreate(path: keyPath) : try HMACKey.load(path: keyPath)
        outbox = try FileOutbox(root: path + "/outbox", logger: logger)
        optOuts = try FileOptOutRegistry(path: path + "/optouts.csv", key: key, storeHashed: options.hashOptOuts,
                                         textLimit: options.optOutTextLimit, logger: logger)
        confirmations = try FileConfirmationLog(path: path + "/confirmations.csv", key: key, storeHashed: options.hashOptOuts,
                                                logger: logger)
        ledger = try FileCreditLedger(path: path + "/credits.csv", openingBalance: options.openingBalance, logger: logger)
        inbox = try FileInboxArchive(path: path + "/inbox.csv", logger: logger)
        reassembly = try FileReassemblyStore(directory: path + "/reassembly", logger: logger)
    }

    /// Takes the data directory's lock (`flock` on `smsagent.lock`); throws
    /// `RecordsError.locked(path:holderPID:)` if another agent holds it. Keep the returned object
    /// alive for as long as the agent runs.
    public func lock() throws -> DataDirectoryLock {
        try DataDirectoryLock(path: lockPath)
    }
}
