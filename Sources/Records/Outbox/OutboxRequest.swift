import Compliance
import Foundation

/// What a producer writes into the drop box `outbox/new/`: a request to send one message,
/// never the agent's state (DESIGN.md invariant 8).
///
/// A request holds exactly these keys (snake_case JSON, dates ISO 8601):
///
/// | key | required | meaning |
/// |---|---|---|
/// | `to` | yes | the recipient, E.164 or national digits |
/// | `text` | yes | the message text |
/// | `class` | no | `marketing` or `notification` (default: the installation's class) |
/// | `campaign` | no | a campaign name, for `campaign status` |
/// | `not_before` | no | not to be sent before this time |
/// | `created_at` | no | when the producer wrote it (default: the file's modification time) |
///
/// Any other key refuses the whole file (it goes to `failed/` with a reason): a key the agent
/// writes itself (`id`, `kind`, `attempts`, `result`) is named as such, and a misspelt key gets the
/// closest known key (`clas` → `class`). The message id is the file name, never a key.
public struct OutboxRequest: Sendable, Equatable {
    public var to: String
    public var text: String
    public var messageClass: MessageClass?
    public var campaign: String?
    public var notBefore: Date?
    /// `nil`: the producer did not say (the outbox uses the file's modification time).
    public var createdAt: Date?

    public init(to: String, text: String, messageClass: MessageClass? = nil, campaign: String? = nil,
                notBefore: Date? = nil, createdAt: Date? = nil) {
        self.to = to
        self.text = text
        self.messageClass = messageClass
        self.campaign = campaign
        self.notBefore = notBefore
        self.createdAt = createdAt
    }

    /// The keys a producer may write, in the order of the table above.
    public static let keys = ["to", "text", "class", "campaign", "not_before", "created_at"]
    /// Keys of the stored record that only the agent writes; a request carrying one is refused.
    public static let agentKeys = ["id", "kind", "attempts", "result"]

    /// Decodes a drop-box file. Never traps; every refusal is a `OutboxRequestError` whose
    /// `description` is the reason written beside the file in `failed/`.
    public static func decode(_ bytes: [UInt8]) throws(OutboxRequestError) -> OutboxRequest {
        let request: OutboxRequest
        do {
            request = try RecordCoding.decoder().decode(Wire.self, from: Data(bytes)).request
        } catch let error as OutboxRequestError {
            throw error
        } catch let error as DecodingError {
            throw .unreadable(FileOutbox.describe(error))
        } catch {
            throw .unreadable("not valid JSON")
        }
        if request.to.trimmingCharacters(in: .whitespaces).isEmpty { throw .emptyField("to") }
        if request.text.isEmpty { throw .emptyField("text") }
        return request
    }

    /// The JSON a producer would write (`smsagent send` and `campaign` write exactly this).
    public func encoded() throws -> [UInt8] {
        try encoded(with: RecordCoding.encoder())
    }

    /// The same with an encoder made once for many requests (a batch).
    func encoded(with encoder: JSONEncoder) throws -> [UInt8] {
        Array(try encoder.encode(Wire(request: self))) + [UInt8(ascii: "\n")]
    }

    /// The message the agent stores once it claims the request.
    public func message(id: String, fileModified: Date) -> OutboxMessage {
        OutboxMessage(id: id, to: to, text: text, messageClass: messageClass, campaign: campaign,
                      createdAt: createdAt ?? fileModified, kind: nil, notBefore: notBefore)
    }

    /// The closest known key to a misspelt one, if one is close enough to be a likely typo.
    static func closestKey(to key: String) -> String? {
        let lowered = key.lowercased()
        let scored = keys.map { ($0, editDistance(lowered, $0)) }.min { $0.1 < $1.1 }
        guard let best = scored, best.1 <= max(2, key.count / 3) else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars.prefix(64)), b = Array(b.unicodeScalars.prefix(64))
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The JSON form: checks every key before reading any value.
    private struct Wire: Codable {
        var request: OutboxRequest

        init(request: OutboxRequest) { self.request = request }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            // Sorted so that the reason does not depend on the order of the JSON object.
            for key in c.allKeys.map(\.stringValue).sorted() where !OutboxRequest.keys.contains(key) {
                if OutboxRequest.agentKeys.contains(key) { throw OutboxRequestError.agentField(key) }
                throw OutboxRequestError.unknownKey(key, closest: OutboxRequest.closestKey(to: key))
            }
            request = OutboxRequest(
                to: try c.decode(String.self, forKey: Key("to")),
                text: try c.decode(String.self, forKey: Key("text")),
                messageClass: try c.decodeIfPresent(MessageClass.self, forKey: Key("class")),
                campaign: try c.decodeIfPresent(String.self, forKey: Key("campaign")),
                notBefore: try c.decodeIfPresent(Date.self, forKey: Key("not_before")),
                createdAt: try c.decodeIfPresent(Date.self, forKey: Key("created_at")))
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(request.to, forKey: Key("to"))
            try c.encode(request.text, forKey: Key("text"))
            try c.encodeIfPresent(request.messageClass, forKey: Key("class"))
            try c.encodeIfPresent(request.campaign, forKey: Key("campaign"))
            try c.encodeIfPresent(request.notBefore, forKey: Key("not_before"))
            try c.encodeIfPresent(request.createdAt, forKey: Key("created_at"))
        }
    }
}

/// Why a drop-box file is not a request (the reason written beside it in `failed/`).
public enum OutboxRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A key only the agent writes (`kind`, `attempts`, `result`, `id`).
    case agentField(String)
    /// A key that is not part of a request; `closest` is the likely intended key.
    case unknownKey(String, closest: String?)
    case emptyField(String)
    /// Not JSON, not an object, a missing field or a value of the wrong type.
    case unreadable(String)

    public var description: String {
        switch self {
        case let .agentField(key):
            return "key \"\(key)\" is written by the agent, never by a producer: a request holds only "
                + OutboxRequest.keys.joined(separator: ", ")
        case let .unknownKey(key, closest):
            let shown = key.unicodeScalars.count > 40 ? String(String.UnicodeScalarView(key.unicodeScalars.prefix(40))) + "…" : key
            let hint = closest.map { " (did you mean \"\($0)\"?)" } ?? ""
            return "unknown key \"\(shown)\"\(hint); a request holds only " + OutboxRequest.keys.joined(separator: ", ")
        case let .emptyField(key):
            return "\"\(key)\" is empty"
        case let .unreadable(reason):
            return reason
        }
    }
}
