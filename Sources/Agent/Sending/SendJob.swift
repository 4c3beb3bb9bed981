import Compliance
import Foundation
import Records
import SMSCodec

/// A claimed message that the policy cleared for sending now, on one modem: its final text
/// (footer included), its segment plan, the parts still to submit and the credits reserved.
public struct SendJob: Sendable {
    public var message: OutboxMessage
    public var recipient: PhoneNumber
    public var messageClass: MessageClass
    public var text: String
    public var plan: SegmentPlan
    public var footerAdded: Bool
    /// Parts (1-based) already accepted on this modem (resumed after a crash or a requeue).
    public var doneParts: Set<Int>
    /// The concatenation reference to use (the earlier one when resuming).
    public var concatReference: UInt8?
    public var creditsPerSegment: Int
    public var reservedCredits: Int

    public var partCount: Int { plan.segmentCount }
    public var id: String { message.id }
}

/// What the dispatcher did with one claimed message (for logs, tests and the demo's account).
public enum DispatchOutcome: Sendable, Equatable {
    case send(id: String)
    case held(id: String, until: Date, reason: String)
    case suppressed(id: String, reason: String)
    case failed(id: String, reason: String)
    case waitingForCredits(id: String, needed: Int, available: Int)
}
