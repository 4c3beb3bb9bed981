import Foundation

/// One SMS-SUBMIT the simulated network accepted (one `+CMGS: <mr>`).
public struct SubmittedPart: Sendable, Codable, Equatable {
    public var number: String
    public var text: String
    public var messageReference: Int
    public var concatenation: ConcatenationHeader?
    public var encoding: SimulatedEncoding
    public var statusReportRequested: Bool
    public var messageClass: Int?
    public var pdu: String
    public var submittedAt: Date
}

/// A message as it left: its parts reassembled (by destination, concatenation reference and total).
public struct SubmittedMessage: Sendable, Codable, Equatable {
    public var number: String
    /// The text reassembled in sequence order.
    public var text: String
    /// Accepted PDUs (a part re-sent after an error counts again: the network took it twice).
    public var parts: Int
    /// Segments announced by the concatenation header (1 when not concatenated).
    public var segments: Int
    /// `TP-MR` of each accepted PDU, in submission order.
    public var references: [Int]
    public var concatenationReference: Int?
    public var encoding: SimulatedEncoding
    public var statusReportRequested: Bool
    public var messageClass: Int?
    public var pdus: [String]
    public var submittedAt: Date
    /// False for a multi-part message some of whose segments never arrived (flushed at shutdown).
    public var complete: Bool
}

/// A PDU entered after the `> ` prompt and cancelled with ESC before its Ctrl-Z — what a host killed
/// between the two leaves behind (its next start cancels it). The network never saw it.
public struct AbandonedPDU: Sendable, Equatable {
    /// The destination, when the digits decode as an SMS-SUBMIT.
    public var number: String?
    public var pdu: String
    public var at: Date
}

/// Groups accepted parts into messages.
struct SubmissionLog: Sendable {
    /// Kept in memory (the oldest are dropped beyond this; the record file keeps everything).
    static let retained = 20_000
    private(set) var parts: [SubmittedPart] = []
    private(set) var messages: [SubmittedMessage] = []
    private(set) var totalParts = 0
    private(set) var totalMessages = 0
    private var pending: [String: [SubmittedPart]] = [:]
    private var pendingOrder: [String] = []

    /// Adds a part; returns the message it completes, if any.
    mutating func add(_ part: SubmittedPart) -> SubmittedMessage? {
        parts.append(part)
        totalParts += 1
        if parts.count > Self.retained { parts.removeFirst(parts.count - Self.retained) }
        guard let concat = part.concatenation, concat.total > 1 else {
            let message = Self.message(from: [part], complete: true)
            keep(message)
            return message
        }
        let key = "\(part.number)|\(concat.reference)|\(concat.total)"
        if pending[key] == nil { pendingOrder.append(key) }
        pending[key, default: []].append(part)
        let group = pending[key] ?? []
        let sequences = Set(group.compactMap { $0.concatenation?.sequence })
        guard sequences.isSuperset(of: Set(1...concat.total)) else { return nil }
        pending[key] = nil
        pendingOrder.removeAll { $0 == key }
        let message = Self.message(from: group, complete: true)
        keep(message)
        return message
    }

    private mutating func keep(_ message: SubmittedMessage) {
        messages.append(message)
        totalMessages += 1
        if messages.count > Self.retained { messages.removeFirst(messages.count - Self.retained) }
    }

    /// Incomplete groups as messages marked incomplete, and forgets them.
    mutating func flushIncomplete() -> [SubmittedMessage] {
        let flushed = pendingOrder.compactMap { pending[$0] }.map { Self.message(from: $0, complete: false) }
        pending = [:]
        pendingOrder = []
        for message in flushed { keep(message) }
        return flushed
    }

    var incomplete: [SubmittedMessage] { pendingOrder.compactMap { pending[$0] }.map { Self.message(from: $0, complete: false) } }

    static func message(from group: [SubmittedPart], complete: Bool) -> SubmittedMessage {
        var bySequence: [Int: SubmittedPart] = [:]
        for part in group { bySequence[part.concatenation?.sequence ?? 1] = part }
        let text = bySequence.keys.sorted().compactMap { bySequence[$0]?.text }.joined()
        let first = group.first
        return SubmittedMessage(
            number: first?.number ?? "", text: text, parts: group.count,
            segments: first?.concatenation?.total ?? 1, references: group.map(\.messageReference),
            concatenationReference: first?.concatenation?.reference, encoding: first?.encoding ?? .gsm7,
            statusReportRequested: group.contains { $0.statusReportRequested }, messageClass: first?.messageClass,
            pdus: group.map(\.pdu), submittedAt: group.last?.submittedAt ?? Date(timeIntervalSince1970: 0),
            complete: complete)
    }
}
