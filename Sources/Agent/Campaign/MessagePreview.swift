import Compliance
import Foundation
import SMSCodec

/// What a message or a campaign will cost and who will not receive it, computed before any
/// credit is spent (`smsagent preview`, `smsagent campaign --dry-run`). Uses the same
/// `SendPolicy` as the running agent, at the given instant.
public struct MessagePreview: Sendable {
    public struct Recipient: Sendable, Equatable {
        public var line: Int?
        public var raw: String
        /// E.164, when the number is valid.
        public var number: String?
        public var locale: String?
        /// send, hold, suppressed (opted out), invalid, rejected, duplicate (a number already on an
        /// earlier line: one number, one message per campaign).
        public var verdict: String
        public var reason: String?
        public var text: String
        public var encoding: String
        public var segments: Int
        public var segmentsWithoutFooter: Int
        public var credits: Int
        public var creditsWithoutFooter: Int
        public var nonGSMCharacters: [String]
        public var footerAdded: Bool
        public var heldUntil: Date?
    }

    public struct Summary: Sendable, Equatable {
        public var recipients = 0
        public var willSend = 0
        public var held = 0
        public var optedOut = 0
        public var invalid = 0
        public var rejected = 0
        public var duplicates = 0
        public var segments = 0
        public var segmentsWithoutFooter = 0
        public var credits = 0
        public var creditsWithoutFooter = 0
        public var ucs2Messages = 0
        public var nonGSMCharacters: [String] = []
        public var footerForcedUCS2 = 0
    }

    public var recipients: [Recipient]
    public var summary: Summary
    /// The number used in the footer (`sender.stop_number`, or a stand-in when it comes from the SIM).
    public var stopNumber: String
    public var stopNumberIsPlaceholder: Bool

    /// - Parameters:
    ///   - messages: (line, raw number, text) per recipient.
    ///   - isOptedOut: the opt-out registry's answer.
    ///   - allowDuplicates: `false` (default): a number already seen on an earlier line (after
    ///     normalisation to E.164) gets the verdict `duplicate` and costs nothing, as the real run
    ///     skips it; `true`: it is counted in `summary.duplicates` but previewed like any other.
    public static func compute(messages: [(line: Int?, to: String, text: String)], messageClass: MessageClass?,
                               configuration: AgentConfiguration, now: Date, allowDuplicates: Bool = false,
                               isOptedOut: (PhoneNumber) -> Bool) throws -> MessagePreview {
        let (stop, placeholder) = try stopNumber(configuration)
        let policy = configuration.sendPolicy(stopNumber: stop)
        let effectiveClass = messageClass ?? configuration.compliance.effectiveDefaultClass
        let perSegment = configuration.credits.cost(perSegmentFor: effectiveClass)
        var recipients: [Recipient] = []
        var summary = Summary()
        var firstLine: [String: Int?] = [:]
        var nonGSM = Set<String>()
        for message in messages {
            summary.recipients += 1
            let bare = SegmentPlanner.plan(message.text, smartEncoding: configuration.compliance.smartEncoding)
            var entry = Recipient(line: message.line, raw: message.to, number: nil, locale: nil, verdict: "send", reason: nil,
                                  text: message.text, encoding: bare.encoding.rawValue, segments: bare.segmentCount,
                                  segmentsWithoutFooter: bare.segmentCount, credits: bare.segmentCount * perSegment,
                                  creditsWithoutFooter: bare.segmentCount * perSegment,
                                  nonGSMCharacters: bare.nonGSMCharacters.map(String.init), footerAdded: false, heldUntil: nil)
            let number: PhoneNumber
            do {
                number = try PhoneNumber.parse(message.to, defaultCountry: configuration.compliance.defaultCountry)
            } catch {
                entry.verdict = "invalid"
                entry.reason = "\(error)"
                entry.credits = 0
                entry.creditsWithoutFooter = 0
                summary.invalid += 1
                recipients.append(entry)
                continue
            }
            entry.number = number.e164
            entry.locale = policy.footer.locale(for: number)
            if let earlier = firstLine[number.e164] {
                summary.duplicates += 1
                if !allowDuplicates {
                    entry.verdict = "duplicate"
                    entry.reason = "same number as " + (earlier.map { "line \($0)" } ?? "an earlier recipient") + ": sent once"
                    entry.credits = 0
                    entry.creditsWithoutFooter = 0
                    recipients.append(entry)
                    continue
                }
            } else {
                firstLine[number.e164] = .some(message.line)
            }
            let decision = policy.decide(SendRequest(recipient: number, text: message.text, class: effectiveClass,
                                                     optedOut: isOptedOut(number)), now: now)
            switch decision {
            case .send(let text, let plan, let footerAdded):
                entry.text = text
                entry.footerAdded = footerAdded
                apply(plan, to: &entry, perSegment: perSegment)
                summary.willSend += 1
            case .hold(let until, let reason):
                // Held messages go out later at the same cost: show it with the footer.
                let planned = policy.decide(SendRequest(recipient: number, text: message.text, class: effectiveClass), now: until)
                if case .send(let text, let plan, let footerAdded) = planned {
                    entry.text = text
                    entry.footerAdded = footerAdded
                    apply(plan, to: &entry, perSegment: perSegment)
                }
                entry.verdict = "hold"
                entry.reason = reason.description
                entry.heldUntil = until
                summary.held += 1
            case .suppress(let reason):
                entry.verdict = "suppressed"
                entry.reason = reason.description
                entry.credits = 0
                entry.creditsWithoutFooter = 0
                summary.optedOut += 1
            case .reject(let reason):
                entry.verdict = "rejected"
                entry.reason = reason.description
                entry.credits = 0
                entry.creditsWithoutFooter = 0
                summary.rejected += 1
            }
            if entry.verdict == "send" || entry.verdict == "hold" {
                summary.segments += entry.segments
                summary.segmentsWithoutFooter += entry.segmentsWithoutFooter
                summary.credits += entry.credits
                summary.creditsWithoutFooter += entry.creditsWithoutFooter
                if entry.encoding == SMSEncoding.ucs2.rawValue { summary.ucs2Messages += 1 }
                if entry.encoding == SMSEncoding.ucs2.rawValue && bare.encoding != .ucs2 { summary.footerForcedUCS2 += 1 }
                nonGSM.formUnion(entry.nonGSMCharacters)
            }
            recipients.append(entry)
        }
        summary.nonGSMCharacters = nonGSM.sorted()
        return MessagePreview(recipients: recipients, summary: summary, stopNumber: stop.e164, stopNumberIsPlaceholder: placeholder)
    }

    private static func apply(_ plan: SegmentPlan, to entry: inout Recipient, perSegment: Int) {
        entry.encoding = plan.encoding.rawValue
        entry.segments = plan.segmentCount
        entry.credits = plan.segmentCount * perSegment
        entry.nonGSMCharacters = plan.nonGSMCharacters.map(String.init)
    }

    /// The configured STOP number, or a stand-in of the same length when each SIM's own number is used.
    static func stopNumber(_ configuration: AgentConfiguration) throws -> (PhoneNumber, Bool) {
        if let configured = configuration.sender.stopNumber,
           let number = try? PhoneNumber.parse(configured, defaultCountry: configuration.compliance.defaultCountry) {
            return (number, false)
        }
        if let number = configuration.modems.simulated.compactMap(\.ownNumber).first
            .flatMap({ try? PhoneNumber.parse($0, defaultCountry: configuration.compliance.defaultCountry) }) {
            return (number, false)
        }
        // 0600000000 has the length of any French mobile number: the cost is the same.
        return (try PhoneNumber(e164: "+33600000000"), true)
    }
}
