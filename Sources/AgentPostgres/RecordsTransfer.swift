import Agent
import Compliance
import Foundation
import Records
import RecordsPostgres

/// `smsagent records export --to files DIR` / `import --from files DIR`: a shop that grows moves
/// its files into the database, and back, losing nothing — every message with its attempts and
/// result in its folder, every opt-out event (hashed ones stay hashed), every ledger row with
/// its time, kind and references, the inbox and the parts waiting for reassembly.
///
/// Both directions refuse a target that already holds records, so that nothing is merged by
/// accident (and nothing counted twice). Import first settles what a crash left in
/// `outbox/sending/` with the configured policy, as the agent would at start.
public enum RecordsTransfer {
    public struct Report: Sendable, Equatable, CustomStringConvertible {
        public var messages: [OutboxFolder: Int] = [:]
        public var optOutEvents = 0
        public var ledgerRows = 0
        public var inbound = 0
        public var parts = 0
        public init() {}

        public var description: String {
            let folders = OutboxFolder.allCases.compactMap { folder in messages[folder].map { "\(folder.rawValue) \($0)" } }
            return "messages: \(folders.isEmpty ? "0" : folders.joined(separator: ", ")); opt-out events: \(optOutEvents); "
                + "ledger rows: \(ledgerRows); inbound SMS: \(inbound); parts awaiting reassembly: \(parts)"
        }
    }

    public enum TransferError: Error, CustomStringConvertible {
        case targetNotEmpty(String)
        public var description: String {
            switch self {
            case .targetNotEmpty(let what): "\(what) already holds records: the transfer only fills an empty target"
            }
        }
    }

    static let folders: [OutboxFolder] = [.new, .queued, .sending, .sent, .failed]

    /// Database → files (the data directory `directory` must hold no records yet).
    /// `keyFile`: the `optout.key` of the hashed mode, copied beside the files (the hashed
    /// events are useless without it).
    public static func export(from database: PostgresRecords, to directory: String, keyFile: String?, hashed: Bool,
                              openingBalance: Int) throws -> Report {
        let files = try DataDirectory(path: directory, options: .init(hashOptOuts: false, openingBalance: openingBalance))
        if try !isEmpty(files.records) { throw TransferError.targetNotEmpty(directory) }
        let targetKey = directory + "/optout.key"
        if let keyFile, FileManager.default.fileExists(atPath: keyFile), !FileManager.default.fileExists(atPath: targetKey) {
            try FileManager.default.copyItem(atPath: keyFile, toPath: targetKey)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: targetKey)
        }
        let key = try HMACKey.load(path: targetKey)
        // The opt-out list keeps every event's text as it is in the database.
        let optOuts = try FileOptOutRegistry(path: directory + "/optouts.csv", key: key, storeHashed: hashed, textLimit: 10_000)
        var report = Report()
        for folder in folders {
            for message in try database.outbox.messages(in: folder) {
                try files.outbox.store(message, in: folder)
                report.messages[folder, default: 0] += 1
            }
        }
        for event in try database.optOuts.events() where try optOuts.record(event) { report.optOutEvents += 1 }
        for row in try database.ledger.rows() where try files.ledger.commit(row: row) { report.ledgerRows += 1 }
        for record in try database.inbox.all() where try files.inbox.append(record) { report.inbound += 1 }
        for part in try database.reassembly.all() {
            try files.reassembly.save(part)
            report.parts += 1
        }
        return report
    }

    /// Files → database (the database must hold no records yet). Takes the data directory's
    /// lock: the agent that used the files must be stopped.
    public static func importFiles(from directory: String, into database: PostgresRecords, policy: AmbiguousSendPolicy,
                                   hashed: Bool, openingBalance: Int) throws -> Report {
        let files = try DataDirectory(path: directory, options: .init(hashOptOuts: hashed, openingBalance: openingBalance))
        let lock = try files.lock()
        defer { lock.release() }
        if try !isEmpty(PostgresBackend.recordSet(database)) { throw TransferError.targetNotEmpty("the database") }
        _ = try files.outbox.recoverAfterCrash(policy: policy)
        var report = Report()
        for folder in folders {
            for message in try files.outbox.messages(in: folder) {
                try database.outbox.store(message, in: folder)
                report.messages[folder, default: 0] += 1
            }
        }
        for event in try files.optOuts.events() where try database.optOuts.record(event) { report.optOutEvents += 1 }
        for row in try files.ledger.rows() where try database.ledger.commit(row: row) { report.ledgerRows += 1 }
        for record in try files.inbox.all() where try database.inbox.append(record) { report.inbound += 1 }
        for part in try files.reassembly.all() {
            try database.reassembly.save(part)
            report.parts += 1
        }
        return report
    }

    static func isEmpty(_ records: RecordSet) throws -> Bool {
        let counts = try records.outbox.counts()
        let events = try records.optOuts.events()
        let rows = try records.ledger.rows()
        let inbound = try records.inbox.all()
        return counts == OutboxCounts() && events.isEmpty && rows.isEmpty && inbound.isEmpty
    }
}
