import Foundation
import SMSCodec

/// A message the agent is about to send, as `SendPolicy` needs to see it.
public struct SendRequest: Sendable, Hashable {
    public var recipient: PhoneNumber
    public var text: String
    /// nil: the installation's default class (`InstallationMode.defaultClass`).
    public var messageClass: MessageClass?
    /// Whether the recipient's latest opt-out event is `optout` (the caller asks its registry).
    public var optedOut: Bool
    /// An automatic reply to the recipient's own keyword (opt-out confirmation or help reply):
    /// never held, never suppressed, never given a footer (COMPLIANCE.md "Confirmation").
    public var isConfirmation: Bool

    public init(recipient: PhoneNumber, text: String, class messageClass: MessageClass? = nil,
                optedOut: Bool = false, isConfirmation: Bool = false) {
        self.recipient = recipient
        self.text = text
        self.messageClass = messageClass
        self.optedOut = optedOut
        self.isConfirmation = isConfirmation
    }
}

/// What to do with a message now.
public enum SendDecision: Sendable, Equatable {
    /// Send `text` (with its footer when `footerAdded`). `plan` is its segmentation; `plan.text` is
    /// what goes on the air after smart-encoding replacements — encode either `plan.text` as is, or
    /// `text` with the same `smartEncoding` setting.
    case send(text: String, plan: SegmentPlan, footerAdded: Bool)
    /// Keep it queued until `until` (e.g. `notBefore` in the outbox), then decide again.
    case hold(until: Date, reason: HoldReason)
    /// Never send it; record it as suppressed (no credit).
    case suppress(reason: SuppressReason)
    /// The request itself is wrong; fail it with the reason.
    case reject(reason: RejectReason)
}

public enum HoldReason: Sendable, Hashable, CustomStringConvertible {
    /// Marketing outside the sending window in the recipient's time zone(s).
    case quietHours(preset: String, timeZones: [String])

    public var description: String {
        switch self {
        case .quietHours(let preset, let zones):
            "quiet hours (\(preset), recipient time \(zones.joined(separator: ", ")))"
        }
    }
}

public enum SuppressReason: Sendable, Hashable, CustomStringConvertible {
    /// The recipient opted out; `class` is the class of the suppressed message.
    case optedOut(class: MessageClass)

    public var description: String {
        switch self {
        case .optedOut(let messageClass): "recipient opted out (\(messageClass.rawValue))"
        }
    }
}

public enum RejectReason: Error, Sendable, Hashable, CustomStringConvertible {
    case emptyText
    case invalidNumber(PhoneNumberError)
    /// Longer than the installation allows (a runaway template, a pasted document).
    case tooManySegments(count: Int, maximum: Int)
    /// The number's type cannot receive an SMS (a landline, premium rate, shared cost …), as
    /// `library` classifies it; `compliance.sms_number_types` may allow more types.
    case cannotReceiveSMS(number: String, type: PhoneNumberType, library: String)

    public var description: String {
        switch self {
        case .emptyText: "empty text"
        case .invalidNumber(let error): "invalid number: \(error)"
        case .tooManySegments(let count, let maximum): "\(count) segments, more than the \(maximum) allowed"
        case .cannotReceiveSMS(let number, let type, let library):
            "\(number) cannot receive an SMS: \(type.label) number (\(library)); compliance.sms_number_types lists the types allowed besides mobile"
        }
    }
}
