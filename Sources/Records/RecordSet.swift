import Compliance
import Foundation

/// The records the agent, the CLI and the API work with, whatever their backend: the data
/// directory's files (the default) or a database shared by several agents (issue 15). Every
/// operation here is in a protocol, so both backends answer alike.
public struct RecordSet: Sendable {
    public var outbox: any Outbox
    public var optOuts: any OptOutRegistry
    public var confirmations: any ConfirmationLog
    /// HELP replies sent (at most one per number per 24 h); nil: no limit.
    public var helpReplies: (any ConfirmationLog)?
    public var ledger: any CreditLedger
    public var inbox: any InboxArchive
    public var reassembly: any ReassemblyStore
    /// Every message of one outbox folder, oldest first.
    public var messagesIn: @Sendable (OutboxFolder) throws -> [OutboxMessage]
    /// The newest `limit` messages of a folder (to match a status report).
    public var recentMessagesIn: @Sendable (OutboxFolder, Int) throws -> [OutboxMessage]
    /// Deletes settled messages settled before the date; returns how many.
    public var prune: @Sendable (Date) throws -> Int
    /// Whether opt-outs are stored as `hmac:` identifiers, and how a number is then written.
    public var storeHashed: Bool
    public var storedIdentifier: @Sendable (PhoneNumber) -> String
    /// Rung when another process queued a message (a database's notifications); nil: the
    /// caller watches the files (`OutboxWatcher`).
    public var wakeups: AsyncStream<Void>?
    /// `files` or the database's URL without its password, for `status` and logs.
    public var location: String
    /// Whether the records are shared with other agents (a database).
    public var isShared: Bool

    public init(outbox: any Outbox, optOuts: any OptOutRegistry, confirmations: any ConfirmationLog,
                helpReplies: (any ConfirmationLog)?, ledger: any CreditLedger, inbox: any InboxArchive,
                reassembly: any ReassemblyStore, messagesIn: @escaping @Sendable (OutboxFolder) throws -> [OutboxMessage],
                recentMessagesIn: @escaping @Sendable (OutboxFolder, Int) throws -> [OutboxMessage],
                prune: @escaping @Sendable (Date) throws -> Int, storeHashed: Bool,
                storedIdentifier: @escaping @Sendable (PhoneNumber) -> String, wakeups: AsyncStream<Void>?,
                location: String, isShared: Bool) {
        self.outbox = outbox
        self.optOuts = optOuts
        self.confirmations = confirmations
        self.helpReplies = helpReplies
        self.ledger = ledger
        self.inbox = inbox
        self.reassembly = reassembly
        self.messagesIn = messagesIn
        self.recentMessagesIn = recentMessagesIn
        self.prune = prune
        self.storeHashed = storeHashed
        self.storedIdentifier = storedIdentifier
        self.wakeups = wakeups
        self.location = location
        self.isShared = isShared
    }
}

extension CreditLedger {
    /// Adds credits: a row of negative credits with message id `topup` (any backend).
    public func addCredits(_ credits: Int, note: String = "", at date: Date = Date()) throws {
        guard credits > 0 else { throw RecordsError.invalidRecord("a top-up adds a positive number of credits") }
        try commit(row: LedgerRow(time: date, messageID: "topup", recipient: note, messageClass: "", segments: 0,
                                  credits: -credits, modem: "", part: nil, kind: .topup))
    }
}

extension ConfirmationLog {
    /// `claim` with the 24-hour window of the rule (COMPLIANCE.md).
    public func claim(for number: PhoneNumber, messageID: String, now: Date = Date()) throws -> Bool {
        try claim(for: number, messageID: messageID, within: 24 * 3600, now: now)
    }
}

extension ClaimedMessage {
    /// A message claimed from a store that has no unusable files to report (a database).
    package init(claimed message: OutboxMessage) {
        self.init(message: message, rejected: [])
    }
}

extension OptOutState {
    /// The state a number's deciding event gives it.
    package init(deciding event: OptOutEvent) {
        self.init(number: event.number, optedOut: event.event == .optout, lastEvent: event)
    }
}
