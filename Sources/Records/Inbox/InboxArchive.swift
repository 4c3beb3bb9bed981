import Crypto
import Foundation

/// One inbound SMS after reassembly, as archived in `inbox.csv`:
/// `received_at,from,text,modem,parts,keyword_result,sim_indices,sent_at,fingerprint,status`.
public struct InboundRecord: Sendable, Equatable {
    public var receivedAt: Date
    /// Originator as decoded (`+33…`, national digits, or an alphanumeric sender).
    public var from: String
    public var text: String
    public var modem: String
    /// Parts received (= parts expected unless `status` is `incomplete`).
    public var parts: Int
    /// What the keyword rule said: `optout:STOP`, `optin:START`, `help:AIDE`, `review:STOP`
    /// (mentions a keyword without matching the rule: listed by `smsagent inbox --review`), `none`.
    public var keywordResult: String
    /// SIM storage indices the parts were read from (deleted after archiving).
    public var simIndices: [Int]
    /// Service-centre time stamp (TS 23.040 §9.2.3.11) of the first part, if decoded.
    public var sentAt: Date?
    /// Stable identity of the message (originator + SCTS + text…): the same SMS re-listed after a
    /// crash has the same fingerprint. Empty on input: computed by `InboundRecord.fingerprint(...)`.
    public var fingerprint: String
    /// `complete`, `incomplete` (parts expired before the rest came), `undecodable`.
    public var status: String

    public init(receivedAt: Date = Date(), from: String, text: String, modem: String, parts: Int = 1,
                keywordResult: String = "none", simIndices: [Int] = [], sentAt: Date? = nil, fingerprint: String = "",
                status: String = "complete") {
        self.receivedAt = receivedAt
        self.from = from
        self.text = text
        self.modem = modem
        self.parts = parts
        self.keywordResult = keywordResult
        self.simIndices = simIndices
        self.sentAt = sentAt
        self.fingerprint = fingerprint.isEmpty ? Self.fingerprint(from: from, sentAt: sentAt, text: text) : fingerprint
        self.status = status
    }

    /// 32 hex digits of SHA-256 over originator, SCTS (seconds) and text.
    public static func fingerprint(from: String, sentAt: Date?, text: String) -> String {
        let seconds = sentAt.map { String(Int64($0.timeIntervalSince1970.rounded())) } ?? "-"
        let digest = SHA256.hash(data: Data("\(from)\u{1F}\(seconds)\u{1F}\(text)".utf8))
        return digest.prefix(16).map(FileSystem.hex).joined()
    }

    /// `true` for messages kept for a person to review.
    public var needsReview: Bool { keywordResult.hasPrefix("review") }
}

/// The inbound archive. Appends are durable before they return (invariant 1: a message leaves
/// the SIM only after it is on disk).
public protocol InboxArchive: Sendable {
    /// Appends (fsync) unless a record with the same fingerprint is archived; returns whether it
    /// was appended.
    @discardableResult func append(_ record: InboundRecord) throws -> Bool
    func contains(fingerprint: String) throws -> Bool
    func all() throws -> [InboundRecord]
    /// Messages that mention a keyword without matching the rule.
    func review() throws -> [InboundRecord]
}
