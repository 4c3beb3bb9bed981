import Foundation
import Records

/// The records the receiving side reads and writes. `DataDirectory` provides the file
/// implementations; tests substitute one (e.g. an archive whose writes fail) to prove that a
/// message leaves the SIM only after what it carries is on disk.
public struct InboundStores: Sendable {
    public var archive: any InboxArchive
    public var optOuts: any OptOutRegistry
    public var confirmations: FileConfirmationLog
    public var outbox: any Outbox
    public var reassembly: any ReassemblyStore
    public var deliveries: DeliveryReportLog
    /// The messages of one outbox folder (to match a status report to the message it reports on).
    public var outboxMessages: @Sendable (OutboxFolder) throws -> [OutboxMessage]

    public init(archive: any InboxArchive, optOuts: any OptOutRegistry, confirmations: FileConfirmationLog,
                outbox: any Outbox, reassembly: any ReassemblyStore, deliveries: DeliveryReportLog,
                outboxMessages: @escaping @Sendable (OutboxFolder) throws -> [OutboxMessage]) {
        self.archive = archive
        self.optOuts = optOuts
        self.confirmations = confirmations
        self.outbox = outbox
        self.reassembly = reassembly
        self.deliveries = deliveries
        self.outboxMessages = outboxMessages
    }

    /// The file records of a data directory.
    public init(_ dataDirectory: DataDirectory) {
        let outbox = dataDirectory.outbox
        self.init(archive: dataDirectory.inbox, optOuts: dataDirectory.optOuts,
                  confirmations: dataDirectory.confirmations, outbox: outbox, reassembly: dataDirectory.reassembly,
                  deliveries: DeliveryReportLog(path: dataDirectory.path + "/" + DeliveryReportLog.fileName),
                  outboxMessages: { folder in try outbox.messages(in: folder) })
    }
}
