import Compliance
import Foundation

/// One line of `optouts.csv`: `recorded_at,number,event,keyword,text,modem,source`.
public struct OptOutEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case optout
        case optin
    }
    public var recordedAt: Date
    /// As stored: E.164 (`+33612345678`) or, in hashed mode, `hmac:<64 hex>`.
    public var number: String
    public var event: Kind
    /// The keyword matched (`STOP`, `ARRET` …), empty for manual changes.
    public var keyword: String
    /// Empty unless the registry keeps text (`textLimit > 0`, never in hashed mode): the rule
    /// needs only number, time, keyword and modem (COMPLIANCE.md, issue 6).
    public var text: String
    public var modem: String
    /// How it came: `sms:<inbound fingerprint>`, `cli`, `import:<file>`, `api` … An event whose
    /// source names an inbound message is recorded once however often the message is processed.
    public var source: String

    public init(recordedAt: Date = Date(), number: String, event: Kind, keyword: String = "", text: String = "",
                modem: String = "", source: String) {
        self.recordedAt = recordedAt
        self.number = number
        self.event = event
        self.keyword = keyword
        self.text = text
        self.modem = modem
        self.source = source
    }

    public init(recordedAt: Date = Date(), number: PhoneNumber, event: Kind, keyword: String = "", text: String = "",
                modem: String = "", source: String) {
        self.init(recordedAt: recordedAt, number: number.e164, event: event, keyword: keyword, text: text,
                  modem: modem, source: source)
    }
}

/// The current state of one number: the fold of its events (the latest `recorded_at` wins;
/// equal times: the later line wins).
public struct OptOutState: Sendable, Equatable {
    /// The stored identifier (E.164 or `hmac:…`).
    public var number: String
    public var optedOut: Bool
    /// The event that decided the state.
    public var lastEvent: OptOutEvent
}

/// The opt-out list ("liste repoussoir"): append-only events, current state = fold per number.
/// Invariant 4 of DESIGN.md rests on `isOptedOut`.
public protocol OptOutRegistry: Sendable {
    /// O(1) after the file is loaded; folds in events other processes appended meanwhile.
    func isOptedOut(_ number: PhoneNumber) throws -> Bool
    /// Appends (fsync) one event. Returns `false` when the same event from the same source
    /// (same number, kind and `source`) is already recorded, so a re-processed SMS is one opt-out.
    @discardableResult func record(_ event: OptOutEvent) throws -> Bool
    /// Every event, in file order.
    func events() throws -> [OptOutEvent]
    /// The current state of every number ever recorded.
    func current() throws -> [OptOutState]
    /// The state of one number, `nil` if it never appeared.
    func state(of number: PhoneNumber) throws -> OptOutState?
    /// How many numbers are opted out now (for status lines: no list is built).
    func optedOutCount() throws -> Int
    /// How many events there are (`events().count`, without reading them where the registry can).
    func eventCount() throws -> Int
}

extension OptOutRegistry {
    /// Records an opt-out (`smsagent optouts add`, or a STOP).
    @discardableResult
    public func optOut(_ number: PhoneNumber, keyword: String = "", text: String = "", modem: String = "",
                       source: String, at date: Date = Date()) throws -> Bool {
        try record(OptOutEvent(recordedAt: date, number: number, event: .optout, keyword: keyword, text: text,
                               modem: modem, source: source))
    }

    /// Records an opt-in (`smsagent optouts remove`, or START after a STOP).
    @discardableResult
    public func optIn(_ number: PhoneNumber, keyword: String = "", text: String = "", modem: String = "",
                      source: String, at date: Date = Date()) throws -> Bool {
        try record(OptOutEvent(recordedAt: date, number: number, event: .optin, keyword: keyword, text: text,
                               modem: modem, source: source))
    }

    /// Numbers currently opted out.
    public func optedOutCount() throws -> Int { try current().filter(\.optedOut).count }

    public func eventCount() throws -> Int { try events().count }
}
