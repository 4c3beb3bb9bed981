import Compliance
import Foundation

/// One message in the outbox spool: `outbox/<folder>/<id>.json`.
///
/// Other programs may drop such a file into `outbox/new/` (write it elsewhere on the same file
/// system, then `rename` it in). Only `to` and `text` are required; see the README for the format.
/// Keys are snake_case; dates are ISO 8601 (`2026-11-29T10:40:30Z`, fractional seconds allowed).
public struct OutboxMessage: Codable, Sendable, Equatable {
    /// The file name without `.json`. Sortable: creation time then random (`OutboxMessage.makeID`).
    public var id: String
    /// The recipient as given (E.164 or national digits); `Compliance` normalises it.
    public var to: String
    public var text: String
    /// `nil`: the installation's default class.
    public var messageClass: MessageClass?
    public var campaign: String?
    public var createdAt: Date
    /// `"confirmation"`, `"help"`, `"optin_ack"` or `nil` (an ordinary message).
    public var kind: String?
    /// Not to be claimed before this time (quiet hours, retry backoff).
    public var notBefore: Date?
    /// Every part submission started, in order (see `SendAttempt`).
    public var attempts: [SendAttempt]
    /// Set when the message leaves `sending/`.
    public var result: SendResult?
    /// The text exactly as it goes on the air — after smart encoding, with the footer — beside the
    /// request's `text`: the proof that the footer went out (`sent_text`; issue 14). Set by the
    /// dispatcher with the first attempt (`SendJob.plan.text`); nil before, and in older files.
    public var sentText: String?

    public init(id: String = OutboxMessage.makeID(), to: String, text: String, messageClass: MessageClass? = nil,
                campaign: String? = nil, createdAt: Date = Date(), kind: String? = nil, notBefore: Date? = nil,
                attempts: [SendAttempt] = [], result: SendResult? = nil, sentText: String? = nil) {
        self.id = id
        self.to = to
        self.text = text
        self.messageClass = messageClass
        self.campaign = campaign
        self.createdAt = createdAt
        self.kind = kind
        self.notBefore = notBefore
        self.attempts = attempts
        self.result = result
        self.sentText = sentText
    }

    enum CodingKeys: String, CodingKey {
        case id, to, text, campaign, kind, attempts, result
        case messageClass = "class"
        case createdAt = "created_at"
        case notBefore = "not_before"
        case sentText = "sent_text"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? ""
        to = try c.decode(String.self, forKey: .to)
        text = try c.decode(String.self, forKey: .text)
        messageClass = try c.decodeIfPresent(MessageClass.self, forKey: .messageClass)
        campaign = try c.decodeIfPresent(String.self, forKey: .campaign)
        createdAt = try c.decodeIfPresent(Date.self, forKey: .createdAt) ?? Self.unknownCreationDate
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        notBefore = try c.decodeIfPresent(Date.self, forKey: .notBefore)
        attempts = try c.decodeIfPresent([SendAttempt].self, forKey: .attempts) ?? []
        result = try c.decodeIfPresent(SendResult.self, forKey: .result)
        sentText = try c.decodeIfPresent(String.self, forKey: .sentText)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(to, forKey: .to)
        try c.encode(text, forKey: .text)
        try c.encodeIfPresent(messageClass, forKey: .messageClass)
        try c.encodeIfPresent(campaign, forKey: .campaign)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(kind, forKey: .kind)
        try c.encodeIfPresent(notBefore, forKey: .notBefore)
        if !attempts.isEmpty { try c.encode(attempts, forKey: .attempts) }
        try c.encodeIfPresent(result, forKey: .result)
        try c.encodeIfPresent(sentText, forKey: .sentText)
    }

    /// Placeholder while decoding a file without `created_at` (the outbox uses the file's mtime).
    static let unknownCreationDate = Date(timeIntervalSince1970: 0)

    /// A new sortable id: UTC time to the millisecond, then 8 random hex digits
    /// (`20261129T104030123Z-9f3a61c2`). Lexical order is creation order.
    public static func makeID(now: Date = Date()) -> String {
        let millis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis / 1000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let stamp = pad(parts.tm_year + 1900, 4) + pad(parts.tm_mon + 1, 2) + pad(parts.tm_mday, 2) + "T"
            + pad(parts.tm_hour, 2) + pad(parts.tm_min, 2) + pad(parts.tm_sec, 2) + pad(Int32(millis % 1000), 3) + "Z"
        return stamp + "-" + FileSystem.randomHex(4)
    }

    /// Parts (1-based) that the network accepted or that the crash policy assumed sent.
    public var partsDone: Set<Int> {
        Set(attempts.filter { $0.status == .accepted || $0.status == .assumedSent }.map(\.part))
    }

    /// The TP-MR references of the accepted parts, in part order.
    public var acceptedReferences: [Int] {
        attempts.filter { $0.status == .accepted }.sorted { $0.part < $1.part }.compactMap(\.reference)
    }
}

/// One submission of one part to one modem. Recorded (fsync) after the modem's `> ` prompt and
/// *before* the PDU's first byte is written (`promptSeenAt` set), then completed with the modem's
/// answer. After a crash, an attempt whose `status` is still `nil` is in the ambiguous window only
/// if it carries `promptSeenAt`; without it the PDU was never written (see `AmbiguousWindow`).
public struct SendAttempt: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// `+CMGS: <mr>` received.
        case accepted
        /// A definite error (`+CMS ERROR`, timeout before the PDU was written …): not sent.
        case rejected
        /// Recovery after a crash found no answer and the policy was `.assumeSent`.
        case assumedSent = "assumed_sent"
        /// No answer after the PDU was written, and the policy (`.resend`, `.fail`, or
        /// `.assumeSent` for a part that is not the message's last) did not assume it sent.
        case interrupted
    }
    /// 1-based part number and total parts (TS 23.040 §9.2.3.24.1 sequence / maximum).
    public var part: Int
    public var parts: Int
    public var modem: String
    public var startedAt: Date
    /// The concatenation reference used for this message's parts (to resend missing parts with it).
    public var concatReference: Int?
    /// `nil` while the answer is outstanding.
    public var status: Status?
    /// TP-MR from `+CMGS` (TS 23.040 §9.2.3.6).
    public var reference: Int?
    public var answeredAt: Date?
    public var reason: String?
    /// The durable marker of invariant 2: when the `> ` prompt came, written before the PDU's
    /// first byte. Without it the PDU cannot have left the host.
    public var promptSeenAt: Date?

    public init(part: Int, parts: Int, modem: String, startedAt: Date = Date(), concatReference: Int? = nil,
                status: Status? = nil, reference: Int? = nil, answeredAt: Date? = nil, reason: String? = nil,
                promptSeenAt: Date? = nil) {
        self.promptSeenAt = promptSeenAt
        self.part = part
        self.parts = parts
        self.modem = modem
        self.startedAt = startedAt
        self.concatReference = concatReference
        self.status = status
        self.reference = reference
        self.answeredAt = answeredAt
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case part, parts, modem, status, reference, reason
        case startedAt = "started_at"
        case concatReference = "concat_reference"
        case answeredAt = "answered_at"
        case promptSeenAt = "prompt_seen_at"
    }
}

/// How a message left `sending/`.
public struct SendResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Every part accepted (or assumed sent by the crash policy) → `sent/`.
        case sent
        /// Not sent: invalid number, modem errors after retries, no credits … → `failed/`.
        case failed
        /// Not sent on purpose: opted out, and the like → `failed/` with the reason.
        case suppressed
    }
    public var status: Status
    /// TP-MR of each accepted part, in part order.
    public var refs: [Int]
    public var modem: String?
    public var segments: Int
    public var credits: Int
    public var reason: String?
    public var finishedAt: Date

    public init(status: Status, refs: [Int] = [], modem: String? = nil, segments: Int = 0, credits: Int = 0,
                reason: String? = nil, finishedAt: Date = Date()) {
        self.status = status
        self.refs = refs
        self.modem = modem
        self.segments = segments
        self.credits = credits
        self.reason = reason
        self.finishedAt = finishedAt
    }

    enum CodingKeys: String, CodingKey {
        case status, refs, modem, segments, credits, reason
        case finishedAt = "finished_at"
    }
}

/// A message claimed for sending (its file is now in `outbox/sending/`).
public struct ClaimedMessage: Sendable {
    public var message: OutboxMessage
    /// Spool files found unusable on the way and moved to `failed/` (with a `.reason` file).
    public var rejected: [RejectedSpoolFile]
}

public struct RejectedSpoolFile: Sendable, Equatable, CustomStringConvertible {
    /// Where the file now is (in `failed/`).
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// What to do with a part whose PDU may have been written when the agent died (an attempt with
/// no answer). Invariant 2 of DESIGN.md.
public enum AmbiguousSendPolicy: String, Codable, Sendable, CaseIterable {
    /// Default. Never send twice: the part counts as sent (result `sent`, reason says it was
    /// assumed); the ledger holds only what the modem confirmed.
    case assumeSent = "assume-sent"
    /// Send the part again (the recipient may get it twice).
    case resend
    /// Move the message to `failed/` with the reason, for a person to decide.
    case fail
}

/// What `recoverAfterCrash` did to each file found in `sending/`.
public struct RecoveryReport: Sendable, Equatable {
    public enum Action: String, Sendable, Equatable {
        /// No attempt started (or an unfinished one was to be resent): back to `new/`.
        case requeued
        /// Every part accepted/assumed: moved to `sent/`.
        case sent
        /// Moved to `failed/` (policy `.fail`, a result saying so, or an unreadable file).
        case failed
    }
    public struct Entry: Sendable, Equatable {
        public var id: String
        public var action: Action
        /// Parts whose PDU may have left with no answer recorded.
        public var ambiguousParts: [Int]
        /// Parts the modem accepted (`+CMGS` answered): the caller makes sure each is in the
        /// ledger (`FileCreditLedger.commit` is idempotent on message id + part).
        public var acceptedParts: [SendAttempt]
        public var reason: String?
    }
    public var entries: [Entry] = []
    public init(entries: [Entry] = []) { self.entries = entries }
}

/// Number of files in each spool folder.
public struct OutboxCounts: Sendable, Equatable, Codable {
    public var new: Int
    public var sending: Int
    public var sent: Int
    public var failed: Int
    public init(new: Int = 0, sending: Int = 0, sent: Int = 0, failed: Int = 0) {
        self.new = new
        self.sending = sending
        self.sent = sent
        self.failed = failed
    }
}
