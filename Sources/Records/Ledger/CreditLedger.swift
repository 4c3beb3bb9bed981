import Foundation

/// One line of `credits.csv`: `time,message_id,recipient,class,segments,credits,balance,modem,refs,part,kind`.
///
/// A message's credits are committed **per accepted part** (one row per `+CMGS` answer,
/// `segments` = 1, `refs` = that part's TP-MR, `part` = its number), so that a crash between
/// two parts leaves exactly what the network accepted (invariant 3). Commits are idempotent on
/// (`message_id`, `part`). Rows without a part are adjustments (top-ups: negative credits).
public struct LedgerRow: Sendable, Equatable {
    public var time: Date
    public var messageID: String
    public var recipient: String
    /// `marketing`, `notification`, or empty for adjustments.
    public var messageClass: String
    public var segments: Int
    public var credits: Int
    /// Balance after this row (written by the ledger; ignored on commit).
    public var balance: Int
    public var modem: String
    public var refs: [Int]
    /// 1-based part number; `nil` for adjustments.
    public var part: Int?
    /// What the credits were spent on. Nil on commit: the ledger infers it from the message id
    /// (`LedgerKind.inferred(messageID:)`); rows of files written before the column get the same.
    public var kind: LedgerKind?

    public init(time: Date = Date(), messageID: String, recipient: String, messageClass: String, segments: Int = 1,
                credits: Int, balance: Int = 0, modem: String, refs: [Int] = [], part: Int?, kind: LedgerKind? = nil) {
        self.time = time
        self.messageID = messageID
        self.recipient = recipient
        self.messageClass = messageClass
        self.segments = segments
        self.credits = credits
        self.balance = balance
        self.modem = modem
        self.refs = refs
        self.part = part
        self.kind = kind
    }

    /// `kind`, or what the message id says.
    public var effectiveKind: LedgerKind { kind ?? LedgerKind.inferred(messageID: messageID) }
}

/// The `kind` column of `credits.csv` (issue 14): what a row's credits paid for, so that
/// `smsagent credits --by kind` shows what opt-out confirmations cost apart from messages.
public enum LedgerKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// A message from `send`, a campaign or another program (`outbox/new/`).
    case message
    /// The reply confirming an opt-out.
    case confirmation
    /// The reply to HELP / AIDE.
    case help
    /// The acknowledgement of a START after an opt-out.
    case optinAck = "optin_ack"
    /// Credits added (`smsagent credits top-up`).
    case topup

    /// The kind of a row from its message id: automatic replies have ids `0-<kind>-<fingerprint>`
    /// (the inbound loop's `replyID`), top-ups the id `topup`; everything else is a message.
    public static func inferred(messageID: String) -> LedgerKind {
        if messageID == "topup" { return .topup }
        for kind in [LedgerKind.confirmation, .help, .optinAck] where messageID.hasPrefix("0-\(kind.rawValue)-") {
            return kind
        }
        return .message
    }
}

/// Totals for one group of rows (`smsagent credits --by day|class|modem`).
public struct LedgerSummary: Sendable, Equatable {
    public var key: String
    /// Distinct message ids.
    public var messages: Int
    public var segments: Int
    public var credits: Int
}

public enum LedgerGrouping: String, Sendable, CaseIterable {
    case day, `class`, modem, kind
}

/// The credit ledger. Reservations are in memory (a crash forgets them, and nothing was spent);
/// commits are durable rows.
public protocol CreditLedger: Sendable {
    /// Opening balance + adjustments − committed credits.
    func balance() throws -> Int
    /// `balance()` minus outstanding reservations.
    func available() throws -> Int
    /// Sets credits aside for a message before it is sent; throws `.insufficientCredits`.
    func reserve(messageID: String, credits: Int) throws
    /// Gives back what is left of a message's reservation (sent, failed or requeued).
    func release(messageID: String)
    /// Appends a row (fsync) unless (`messageID`, `part`) is already in the ledger; returns whether
    /// it was appended. Consumes the message's reservation by `row.credits`.
    @discardableResult func commit(row: LedgerRow) throws -> Bool
    func isCommitted(messageID: String, part: Int) throws -> Bool
    func rows() throws -> [LedgerRow]
    func summary(by grouping: LedgerGrouping, timeZone: TimeZone) throws -> [LedgerSummary]
}
