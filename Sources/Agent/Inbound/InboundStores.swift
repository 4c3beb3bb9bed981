import Foundation
import Records

/// The records the receiving side reads and writes. `DataDirectory` provides the file
/// implementations; tests substitute one (e.g. an archive whose writes fail) to prove that a
/// message leaves the SIM only after what it carries is on disk.
public struct InboundStores: Sendable {
    public var archive: any InboxArchive
    public var optOuts: any OptOutRegistry
    public var confirmations: FileConfirmationLog
    /// `help-replies.csv`: when a HELP reply went to a number (at most one per number per 24 h, so
    /// a sender repeating HELP does not spend credits). `nil`: no limit.
    public var helpReplies: FileConfirmationLog?
    public var outbox: any Outbox
    public var reassembly: any ReassemblyStore
    public var deliveries: DeliveryReportLog
    /// The messages of one outbox folder (to match a status report to the message it reports on).
    public var outboxMessages: @Sendable (OutboxFolder) throws -> [OutboxMessage]

    public init(archive: any InboxArchive, optOuts: any OptOutRegistry, confirmations: FileConfirmationLog,
                helpReplies: FileConfirmationLog? = nil, outbox: any Outbox, reassembly: any ReassemblyStore,
                deliveries: DeliveryReportLog, outboxMessages: @escaping @Sendable (OutboxFolder) throws -> [OutboxMessage]) {
        self.archive = archive
        self.optOuts = optOuts
        self.confirmations = confirmations
        self.helpReplies = helpReplies
        self.outbox = outbox
        self.reassembly = reassembly
        self.deliveries = deliveries
        self.outboxMessages = outboxMessages
    }

    /// The file records of a data directory. The HELP log stores numbers like `optouts.csv` does
    /// (`hmac:` identifiers in hashed mode).
    public init(_ dataDirectory: DataDirectory) {
        let outbox = dataDirectory.outbox
        let hashed = dataDirectory.optOuts.storeHashed
        let helpReplies = try? FileConfirmationLog(path: dataDirectory.path + "/" + Self.helpLogName,
                                                   key: try HMACKey.load(path: dataDirectory.optOutKeyPath), storeHashed: hashed)
        self.init(archive: dataDirectory.inbox, optOuts: dataDirectory.optOuts,
                  confirmations: dataDirectory.confirmations, helpReplies: helpReplies, outbox: outbox,
                  reassembly: dataDirectory.reassembly,
                  deliveries: DeliveryReportLog(path: dataDirectory.path + "/" + DeliveryReportLog.fileName),
                  outboxMessages: { folder in try outbox.messages(in: folder) })
    }

    public static let helpLogName = "help-replies.csv"
}
