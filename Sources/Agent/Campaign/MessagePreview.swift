import Compliance
import Foundation
import Records
import SMSCodec

/// What a message or a campaign will cost and who will not receive it, computed before any
/// credit is spent (`smsagent preview`, `smsagent campaign --dry-run`). Uses the same
/// `SendPolicy` as the running agent, at the given instant.
extension AgentConfiguration {
    /// A policy for checking recipients only (`smsagent send`): the installed numbering library and
    /// the number types of `compliance.sms_number_types`.
    public var recipientCheck: SendPolicy {
        var policy = SendPolicy(footer: FooterPolicy(brand: sender.brand ?? "", stopNumber: MessagePreview.standInStopNumber))
        policy.smsNumberTypes = PhoneNumberType.smsCapable.union(compliance.extraSMSNumberTypes)
        return policy
    }
}

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
        /// Exactly what goes on the air: the text after smart encoding, with the footer (`text` is
        /// the request's text with the footer, before smart encoding).
        public var sentText: String
        /// Each replacement smart encoding made to `text` to give `sentText`.
        public var replacements: [Replacement]
        /// The number's type as the numbering library says (`mobile`, `fixed line` …); nil without one.
        public var numberType: String?
        /// The same message under the other smart-encoding choice (punctuation ↔ letters), when it
        /// would go out differently.
        public var alternative: Alternative?
    }

    /// A message as the other `compliance.smart_encoding` choice would send it.
    public struct Alternative: Sendable, Equatable {
        public var mode: SmartEncodingMode
        public var sentText: String
        public var encoding: String
        public var segments: Int
        public var credits: Int
        public var replacements: [Replacement]
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
        /// The configured smart encoding and the other choice, with what the campaign costs under it.
        public var smartEncoding: SmartEncodingMode = .default
        public var alternativeMode: SmartEncodingMode = .letters
        public var alternativeSegments = 0
        public var alternativeCredits = 0
        /// Messages whose text on the air differs from the request's (smart encoding replaced something).
        public var messagesWithReplacements = 0
        /// When the last message to send (now or held) will have left, from the configured SIMs.
        public var eta: SendingETA.Estimate?
        /// How many SIMs the ETA counts on; 0 when none is configured (discovery) and one was assumed.
        public var etaSIMs = 0
        /// The zone the ETA is shown in (`compliance.time_zone`).
        public var etaTimeZone = "Europe/Paris"
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
                               sims etaSIMs: [SendingETA.SIM]? = nil,
                               isOptedOut: (PhoneNumber) -> Bool) throws -> MessagePreview {
        let (stop, placeholder) = try stopNumber(configuration)
        var policy = configuration.sendPolicy(stopNumber: stop)
        policy.smsNumberTypes = PhoneNumberType.smsCapable.union(configuration.compliance.extraSMSNumberTypes)
        var alternativePolicy = policy
        alternativePolicy.smartEncoding = policy.smartEncoding == .letters ? .punctuation : .letters
        let effectiveClass = messageClass ?? configuration.compliance.effectiveDefaultClass
        let perSegment = configuration.credits.cost(perSegmentFor: effectiveClass)
        var recipients: [Recipient] = []
        var summary = Summary()
        summary.smartEncoding = policy.smartEncoding
        summary.alternativeMode = alternativePolicy.smartEncoding
        var firstLine: [String: Int?] = [:]
        var nonGSM = Set<String>()
        for message in messages {
            summary.recipients += 1
            let bare = SegmentPlanner.plan(message.text, smartEncoding: configuration.compliance.smartEncoding)
            var entry = Recipient(line: message.line, raw: message.to, number: nil, locale: nil, verdict: "send", reason: nil,
                                  text: message.text, encoding: bare.encoding.rawValue, segments: bare.segmentCount,
                                  segmentsWithoutFooter: bare.segmentCount, credits: bare.segmentCount * perSegment,
                                  creditsWithoutFooter: bare.segmentCount * perSegment,
                                  nonGSMCharacters: bare.nonGSMCharacters.map(String.init), footerAdded: false, heldUntil: nil,
                                  sentText: bare.text, replacements: bare.replacements, numberType: nil, alternative: nil)
            let number: PhoneNumber
            switch policy.parse(message.to, defaultCountry: configuration.compliance.defaultCountry) {
            case .success(let parsed):
                number = parsed
            case .failure(let error):
                entry.verdict = "invalid"
                entry.reason = "\(error)"
                entry.credits = 0
                entry.creditsWithoutFooter = 0
                summary.invalid += 1
                recipients.append(entry)
                continue
            }
            entry.number = number.e164
            entry.numberType = policy.info(for: number)?.type.label
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
                if case .send(_, let plan, _) = alternativePolicy.decide(
                    SendRequest(recipient: number, text: message.text, class: effectiveClass), now: now) {
                    entry.alternative = alternative(plan, mode: alternativePolicy.smartEncoding, perSegment: perSegment)
                }
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
                if case .send(_, let plan, _) = alternativePolicy.decide(
                    SendRequest(recipient: number, text: message.text, class: effectiveClass), now: until) {
                    entry.alternative = alternative(plan, mode: alternativePolicy.smartEncoding, perSegment: perSegment)
                }
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
                summary.alternativeSegments += entry.alternative?.segments ?? entry.segments
                summary.alternativeCredits += entry.alternative?.credits ?? entry.credits
                if !entry.replacements.isEmpty { summary.messagesWithReplacements += 1 }
                if entry.alternative?.sentText == entry.sentText { entry.alternative = nil }
            }
            recipients.append(entry)
        }
        summary.nonGSMCharacters = nonGSM.sorted()
        let sims = etaSIMs ?? Self.etaSIMs(configuration)
        summary.etaSIMs = sims.count
        summary.etaTimeZone = configuration.compliance.timeZone
        var batch: [SendingETA.Message] = []
        for entry in recipients where entry.verdict == "send" || entry.verdict == "hold" {
            guard let e164 = entry.number, let number = try? policy.parse(e164, defaultCountry: configuration.compliance.defaultCountry).get() else { continue }
            batch.append(SendingETA.Message(segments: entry.segments,
                                            window: effectiveClass == .marketing ? policy.quietHours(for: number) : nil,
                                            zones: policy.recipientTimeZones(for: number)))
        }
        summary.eta = SendingETA.estimate(batch, sims: sims.isEmpty ? [sim(configuration.modems.throttle)] : sims,
                                          dayZone: configuration.compliance.zone, start: now)
        return MessagePreview(recipients: recipients, summary: summary, stopNumber: stop.e164, stopNumberIsPlaceholder: placeholder)
    }

    private static func apply(_ plan: SegmentPlan, to entry: inout Recipient, perSegment: Int) {
        entry.encoding = plan.encoding.rawValue
        entry.segments = plan.segmentCount
        entry.credits = plan.segmentCount * perSegment
        entry.nonGSMCharacters = plan.nonGSMCharacters.map(String.init)
        entry.sentText = plan.text
        entry.replacements = plan.replacements
    }

    private static func alternative(_ plan: SegmentPlan, mode: SmartEncodingMode, perSegment: Int) -> Alternative {
        Alternative(mode: mode, sentText: plan.text, encoding: plan.encoding.rawValue, segments: plan.segmentCount,
                    credits: plan.segmentCount * perSegment, replacements: plan.replacements)
    }

    /// 0600000000 has the length of any French mobile number: the cost is the same.
    static let standInStopNumber = PhoneNumber(callingCode: "33", nationalNumber: "600000000", region: "FR")

    /// The SIMs of the configuration (explicit devices and simulated modems that are enabled), each
    /// with its throttle and what it already sent today (`sentToday`, by modem name: the ledger's
    /// `modem` column), so that a SIM at 150 of its 200 a day has 50 left today, not 200.
    static func etaSIMs(_ configuration: AgentConfiguration, sentToday: [String: Int] = [:]) -> [SendingETA.SIM] {
        let modems = configuration.modems
        return modems.devices.filter(\.enabled).map { sim($0.throttle ?? modems.throttle, sentToday: sentToday[$0.name] ?? 0) }
            + modems.simulated.filter(\.enabled).map { sim($0.throttle ?? modems.throttle, sentToday: sentToday[$0.name] ?? 0) }
    }

    /// The SIMs an estimate made now should count on: the configured ones; with none configured
    /// (discovery), the modems the running agent reports in `status.json`; each with what it sent
    /// today according to the ledger; with neither, one SIM at the default throttle that sent the
    /// least any modem sent today. nil when there is nothing to go on (`compute` then assumes one
    /// SIM at the default throttle that sent nothing).
    public static func etaSIMs(_ configuration: AgentConfiguration, dataDirectory: DataDirectory, now: Date) -> [SendingETA.SIM]? {
        let sentToday = SentToday.segmentsPerModem(ledger: dataDirectory.records.ledger, now: now, timeZone: configuration.compliance.zone)
        let configured = etaSIMs(configuration, sentToday: sentToday)
        if !configured.isEmpty { return configured }
        guard let status = try? StatusSnapshot.read(dataDirectory: dataDirectory.path), !status.modems.isEmpty else {
            return sentToday.isEmpty ? nil : [sim(configuration.modems.throttle, sentToday: sentToday.values.min() ?? 0)]
        }
        return status.modems.map { sim(configuration.modems.throttle, sentToday: sentToday[$0.id] ?? $0.throttle.sentToday) }
    }

    /// When the messages still waiting in the outbox (`pending`) will have left: the estimate of
    /// `campaign status` and of the API's campaigns, with the SIMs of `etaSIMs(_:dataDirectory:now:)`.
    /// nil when nothing is pending.
    public static func estimate(pending: [OutboxMessage], configuration: AgentConfiguration, dataDirectory: DataDirectory,
                                now: Date) -> (eta: SendingETA.Estimate, sims: Int)? {
        guard !pending.isEmpty else { return nil }
        let preview = try? compute(messages: pending.map { (nil, $0.to, $0.text) }, messageClass: pending.first?.messageClass,
                                   configuration: configuration, now: now, allowDuplicates: true,
                                   sims: etaSIMs(configuration, dataDirectory: dataDirectory, now: now), isOptedOut: { _ in false })
        guard let preview, let eta = preview.summary.eta else { return nil }
        return (eta, preview.summary.etaSIMs)
    }

    static func sim(_ throttle: ThrottleSettings, sentToday: Int = 0) -> SendingETA.SIM {
        let interval = throttle.minInterval.components
        return SendingETA.SIM(minimumInterval: Double(interval.seconds) + Double(interval.attoseconds) / 1e18,
                              dailyCap: throttle.dailyCap, sentToday: sentToday)
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
        return (standInStopNumber, true)
    }
}
