import Compliance
import Foundation
import Records

/// The records the receiving side reads and writes. `DataDirectory` provides the file
/// implementations; tests substitute one (e.g. an archive whose writes fail) to prove that a
/// message leaves the SIM only after what it carries is on disk.
public struct InboundStores: Sendable {
    public var archive: any InboxArchive
    public var optOuts: any OptOutRegistry
    public var confirmations: any ConfirmationLog
    /// `help-replies.csv`: when a HELP reply went to a number (at most one per number per 24 h, so
    /// a sender repeating HELP does not spend credits). `nil`: no limit.
    public var helpReplies: (any ConfirmationLog)?
    public var outbox: any Outbox
    public var reassembly: any ReassemblyStore
    public var deliveries: DeliveryReportLog
    /// The messages of one outbox folder (to match a status report to the message it reports on).
    public var outboxMessages: @Sendable (OutboxFolder) throws -> [OutboxMessage]
    /// Hashed mode: how a number is written instead of itself (`hmac:…`). The archive then keeps
    /// the sender of an opt-out or opt-in in that form too, so `inbox.csv` does not list in clear
    /// the numbers that `optouts.csv` hides. `nil`: numbers are kept as they are.
    public var hashedIdentifier: (@Sendable (PhoneNumber) -> String)?

    public init(archive: any InboxArchive, optOuts: any OptOutRegistry, confirmations: any ConfirmationLog,
                helpReplies: (any ConfirmationLog)? = nil, outbox: any Outbox, reassembly: any ReassemblyStore,
                deliveries: DeliveryReportLog, outboxMessages: @escaping @Sendable (OutboxFolder) throws -> [OutboxMessage]) {
        self.archive = archive
        self.optOuts = optOuts
        self.confirmations = confirmations
        self.helpReplies = helpReplies
        self.outbox = outbox
        self.reassembly = reassembly
        self.deliveries = deliveries
        self.outboxMessages = outboxMessages
        self.hashedIdentifier = nil
    }

    /// The file records of a data directory. The HELP log stores numbers like `optouts.csv` does
    /// (`hmac:` identifiers in hashed mode).
    public init(_ dataDirectory: DataDirectory) {
        // `records`: the data directory's files, or the database shared with other agents.
        let records = dataDirectory.records
        let hashed = records.storeHashed
        let helpReplies: (any ConfirmationLog)? = records.isShared ? records.helpReplies
            : try? FileConfirmationLog(path: dataDirectory.path + "/" + Self.helpLogName,
                                       key: try HMACKey.load(path: dataDirectory.optOutKeyPath), storeHashed: hashed)
        self.init(archive: records.inbox, optOuts: records.optOuts,
                  confirmations: records.confirmations, helpReplies: helpReplies, outbox: records.outbox,
                  reassembly: records.reassembly,
                  deliveries: DeliveryReportLog(path: dataDirectory.path + "/" + DeliveryReportLog.fileName),
                  outboxMessages: { folder in (try? records.recentMessagesIn(folder, Self.statusReportSearchDepth)) ?? [] })
        if hashed {
            let identifier = records.storedIdentifier
            hashedIdentifier = { number in identifier(number) }
        }
    }

    public static let helpLogName = "help-replies.csv"

    /// How many of a folder's newest messages a status report is matched against. A TP-MR
    /// (TS 23.040 §9.2.3.6) is one of 256 values per modem, and a report comes within hours, so
    /// the message it is about is among the newest; reading the whole of `sent/` per report would
    /// grow without bound.
    public static let statusReportSearchDepth = 1024
}
