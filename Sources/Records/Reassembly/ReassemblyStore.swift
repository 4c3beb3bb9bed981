import Crypto
import Foundation

/// One part of a concatenated inbound SMS (TS 23.040 §9.2.3.24.1) kept on disk until its message
/// is complete, so that a restart never loses half a message (issue 6).
public struct StoredInboundPart: Codable, Sendable, Hashable {
    public var modem: String
    public var originator: String
    /// Concatenation reference (8- or 16-bit), number of parts, this part's sequence (1-based).
    public var reference: Int
    public var total: Int
    public var sequence: Int
    /// The PDU as listed (`+CMGL`, SMSC first): the agent re-decodes it on start.
    public var pduHex: String
    public var receivedAt: Date
    /// Where it sat in SIM storage (already deleted once stored here).
    public var simIndex: Int?

    public init(modem: String, originator: String, reference: Int, total: Int, sequence: Int, pduHex: String,
                receivedAt: Date = Date(), simIndex: Int? = nil) {
        self.modem = modem
        self.originator = originator
        self.reference = reference
        self.total = total
        self.sequence = sequence
        self.pduHex = pduHex
        self.receivedAt = receivedAt
        self.simIndex = simIndex
    }

    enum CodingKeys: String, CodingKey {
        case modem, originator, reference, total, sequence
        case pduHex = "pdu"
        case receivedAt = "received_at"
        case simIndex = "sim_index"
    }

    public var group: ReassemblyGroupKey {
        ReassemblyGroupKey(modem: modem, originator: originator, reference: reference, total: total)
    }
}

/// Parts belong together when modem, originator, reference and total agree.
public struct ReassemblyGroupKey: Hashable, Sendable, Codable {
    public var modem: String
    public var originator: String
    public var reference: Int
    public var total: Int

    public init(modem: String, originator: String, reference: Int, total: Int) {
        self.modem = modem
        self.originator = originator
        self.reference = reference
        self.total = total
    }

    /// 24 hex digits naming the group's files.
    var fileStem: String {
        let digest = SHA256.hash(data: Data("\(modem)\u{1F}\(originator)\u{1F}\(reference)\u{1F}\(total)".utf8))
        return digest.prefix(12).map(FileSystem.hex).joined()
    }
}

/// Inbound parts waiting for the rest of their message.
public protocol ReassemblyStore: Sendable {
    /// Stores a part durably (same group and sequence twice: kept once).
    func save(_ part: StoredInboundPart) throws
    /// Every stored part (at start: feed them to the reassembler).
    func all() throws -> [StoredInboundPart]
    /// Forgets a group (its message is complete and archived, or archived as incomplete).
    func remove(_ group: ReassemblyGroupKey) throws
    /// Groups whose first part arrived before `cutoff`, with their parts by sequence.
    func expired(before cutoff: Date) throws -> [ReassemblyGroupKey: [StoredInboundPart]]
}
