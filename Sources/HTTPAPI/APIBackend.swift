import Agent
import Compliance
import Foundation
import Records

/// What the handlers work on: the configuration, the data directory and the stores the CLI uses.
/// Every operation goes through the same `Records` and `Agent` functions as `smsagent send`,
/// `campaign`, `preview`, `optouts`, `inbox`, `credits` and `status` — the API is another door
/// onto the same files, never a second path to the modems.
public struct APIBackend: Sendable {
    public let configuration: AgentConfiguration
    public let data: DataDirectory
    public let tokens: TokenStore
    let idempotency: IdempotencyLog
    let reviews: ReviewDecisions
    let clock: any AgentClock

    public init(configuration: AgentConfiguration, data: DataDirectory, clock: any AgentClock = SystemClock()) {
        self.configuration = configuration
        self.data = data
        self.clock = clock
        tokens = TokenStore(dataDirectory: data.path)
        idempotency = IdempotencyLog(dataDirectory: data.path)
        reviews = ReviewDecisions(dataDirectory: data.path)
    }

    var deliveries: DeliveryReportLog { DeliveryReportLog(path: data.path + "/" + DeliveryReportLog.fileName) }

    // MARK: Messages

    /// The request of `POST /api/v1/messages`, validated as `smsagent send` validates its options.
    struct MessageRequest: Sendable {
        var to: String
        var text: String
        var messageClass: MessageClass?
        var campaign: String?
        var notBefore: Date?

        var fingerprint: String {
            IdempotencyLog.hash([to, text, messageClass?.rawValue ?? "", campaign ?? "",
                                 notBefore.map { String($0.timeIntervalSince1970) } ?? ""].joined(separator: "\u{1F}"))
        }
    }

    func messageRequest(_ object: [String: Any]) throws -> MessageRequest {
        let fields = try FieldReader(object, allowed: ["to", "text", "class", "not_before", "campaign"])
        let to = try fields.requiredString("to")
        do {
            _ = try PhoneNumber.parse(to, defaultCountry: configuration.compliance.defaultCountry)
        } catch {
            throw Problem.invalid("to", "to \(to): \(error)")
        }
        let text = try fields.requiredString("text")
        let messageClass = try fields.string("class").map { raw in
            guard let value = MessageClass(rawValue: raw) else {
                throw Problem.invalid("class", "class must be one of \(MessageClass.allCases.map(\.rawValue).joined(separator: ", ")), got '\(raw)'")
            }
            return value
        }
        let campaign = try fields.string("campaign")
        if let campaign, campaign.isEmpty || campaign.count > 128 || campaign.contains(where: { $0.isNewline }) {
            throw Problem.invalid("campaign", "campaign must be 1–128 characters on one line")
        }
        let notBefore = try fields.string("not_before").map { raw in
            do {
                return try ScheduledTime.parse(raw, timeZone: configuration.compliance.zone, now: clock.now())
            } catch {
                throw Problem.invalid("not_before", "not_before: \(error)")
            }
        }
        return MessageRequest(to: to, text: text, messageClass: messageClass, campaign: campaign, notBefore: notBefore)
    }

    /// Queues the message in `outbox/new/` (the drop box); with an idempotency key, the first
    /// answer for that key. Returns the message's id and whether it was queued by this call.
    func submit(_ request: MessageRequest, client: String, idempotencyKey: String?) throws -> (id: String, created: Bool) {
        func message(id: String) -> OutboxMessage {
            OutboxMessage(id: id, to: request.to, text: request.text, messageClass: request.messageClass,
                          campaign: request.campaign, notBefore: request.notBefore)
        }
        guard let key = idempotencyKey else {
            let queued = message(id: OutboxMessage.makeID())
            try data.records.outbox.enqueue(queued)
            return (queued.id, true)
        }
        guard (1...255).contains(key.utf8.count), key.allSatisfy({ $0.isASCII && !$0.isNewline }) else {
            throw Problem.invalid("Idempotency-Key", "Idempotency-Key must be 1–255 printable ASCII characters")
        }
        let (entry, existed) = try idempotency.lookupOrRecord(client: client, key: key, request: request.fingerprint) {
            OutboxMessage.makeID()
        }
        if existed && entry.request != request.fingerprint {
            throw Problem(.unprocessableContent, "this Idempotency-Key was used for another request", field: "Idempotency-Key")
        }
        // Recorded but not queued (a crash between the two, or this is the first call): queue it
        // now under the recorded id. The outbox refuses an id it already holds in any folder.
        if try data.records.outbox.find(entry.messageID) == nil {
            do {
                try data.records.outbox.enqueue(message(id: entry.messageID))
            } catch RecordsError.duplicateMessageID {
                // Claimed meanwhile by the agent: it exists, which is what the caller needs.
            }
            return (entry.messageID, !existed)
        }
        return (entry.messageID, false)
    }

    /// `queued`, `held`, `sending`, `sent`, `failed` or `suppressed`, with what is known.
    func messageState(id: String) throws -> [String: Any]? {
        guard id.count <= 128, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }),
              let (folder, message) = try data.records.outbox.find(id) else { return nil }
        var object: [String: Any] = ["id": message.id, "to": message.to, "created_at": iso(message.createdAt)]
        if let messageClass = message.messageClass { object["class"] = messageClass.rawValue }
        if let campaign = message.campaign { object["campaign"] = campaign }
        if let kind = message.kind { object["kind"] = kind }
        switch folder {
        case .new, .queued, .tmp:
            if let notBefore = message.notBefore, notBefore > clock.now() {
                object["state"] = "held"
                object["not_before"] = iso(notBefore)
            } else {
                object["state"] = "queued"
            }
        case .sending:
            object["state"] = "sending"
            object["parts_sent"] = message.partsDone.count
        case .sent, .failed:
            let result = message.result
            switch result?.status {
            case .sent?: object["state"] = "sent"
            case .suppressed?: object["state"] = "suppressed"
            default: object["state"] = "failed"
            }
            if let result {
                object["parts"] = result.segments
                object["credits"] = result.credits
                object["refs"] = result.refs
                if let modem = result.modem { object["modem"] = modem }
                if let reason = result.reason { object["reason"] = reason }
                object["finished_at"] = iso(result.finishedAt)
            }
            if result?.status == .sent, let parts = (try? deliveries.outcomes())?[message.id] {
                object["delivery"] = Dictionary(uniqueKeysWithValues: parts.map { part, outcome in
                    (String(part), "\(outcome)")
                })
            }
        }
        return object
    }

    // MARK: Previews and campaigns

    /// The recipients of a preview or a campaign: `recipients: [{phone, …}]` or a `csv` text, with
    /// a `template` whose placeholders name their fields; or `to` + `text` for one message.
    func messages(_ fields: FieldReader) throws -> [(line: Int?, to: String, text: String)] {
        if let to = try fields.string("to") {
            return [(nil, to, try fields.requiredString("text"))]
        }
        let templateText = try fields.requiredString("template")
        let template: MessageTemplate
        do { template = try MessageTemplate(templateText) } catch { throw Problem.invalid("template", "\(error)") }
        if let csv = try fields.string("csv") {
            let file: CampaignFile
            do { file = try CampaignFile.parse(csv, file: "csv", phoneColumn: try fields.string("phone_column")) } catch {
                throw Problem.invalid("csv", "\(error)")
            }
            do { try template.validate(columns: file.columns) } catch { throw Problem.invalid("template", "\(error)") }
            return file.rows.map { ($0.line, $0.phone, template.render($0.values)) }
        }
        guard let list = try fields.array("recipients") else {
            throw Problem.invalid("recipients", "give recipients (a list of {phone, …}), csv, or to + text")
        }
        guard list.count <= 100_000 else { throw Problem.invalid("recipients", "at most 100000 recipients per request") }
        return try list.enumerated().map { index, item in
            guard let row = item as? [String: Any] else { throw Problem.invalid("recipients[\(index)]", "each recipient is an object") }
            var values: [String: String] = [:]
            for (key, value) in row {
                guard let text = value as? String else { throw Problem.invalid("recipients[\(index)].\(key)", "recipient fields are strings") }
                values[key] = text
            }
            guard let phone = values["phone"], !phone.isEmpty else { throw Problem.invalid("recipients[\(index)].phone", "phone is required") }
            for name in template.placeholders where values[name] == nil {
                throw Problem.invalid("recipients[\(index)].\(name)", "the template uses {\(name)}, missing here")
            }
            return (index + 1, phone, template.render(values))
        }
    }

    func messageClass(_ fields: FieldReader) throws -> MessageClass? {
        try fields.string("class").map { raw in
            guard let value = MessageClass(rawValue: raw) else {
                throw Problem.invalid("class", "class must be one of \(MessageClass.allCases.map(\.rawValue).joined(separator: ", ")), got '\(raw)'")
            }
            return value
        }
    }

    func preview(_ messages: [(line: Int?, to: String, text: String)], messageClass: MessageClass?) throws -> [String: Any] {
        let registry = data.optOuts
        let now = clock.now()
        let preview = try MessagePreview.compute(messages: messages, messageClass: messageClass, configuration: configuration,
                                                 now: now, sims: MessagePreview.etaSIMs(configuration, dataDirectory: data, now: now)) {
            number in (try? registry.isOptedOut(number)) ?? false
        }
        let s = preview.summary
        let recipients: [[String: Any]] = preview.recipients.map { r in
            var entry: [String: Any] = ["raw": r.raw, "verdict": r.verdict, "encoding": r.encoding, "segments": r.segments,
                                        "segments_without_footer": r.segmentsWithoutFooter, "credits": r.credits,
                                        "credits_without_footer": r.creditsWithoutFooter, "non_gsm": r.nonGSMCharacters,
                                        "footer_added": r.footerAdded, "text": r.text]
            if let line = r.line { entry["line"] = line }
            if let number = r.number { entry["number"] = number }
            if let locale = r.locale { entry["footer_locale"] = locale }
            if let reason = r.reason { entry["reason"] = reason }
            if let held = r.heldUntil { entry["held_until"] = iso(held) }
            return entry
        }
        let summary: [String: Any] = [
            "recipients": s.recipients, "send": s.willSend, "held": s.held, "opted_out": s.optedOut, "invalid": s.invalid,
            "rejected": s.rejected, "duplicates": s.duplicates, "segments": s.segments, "segments_without_footer": s.segmentsWithoutFooter,
            "credits": s.credits, "credits_without_footer": s.creditsWithoutFooter, "ucs2_messages": s.ucs2Messages,
            "non_gsm": s.nonGSMCharacters,
        ].merging(etaFields(s.willSend + s.held > 0 ? s.eta : nil, now: now)) { $1 }
        return ["summary": summary, "stop_number": preview.stopNumber, "stop_number_is_placeholder": preview.stopNumberIsPlaceholder,
                "recipients": recipients]
    }

    /// The estimate as JSON fields: `eta` (when the last message leaves), `eta_seconds` (from now),
    /// or `eta_never` (why no SIM can send them); nothing when nothing is left to send.
    func etaFields(_ estimate: SendingETA.Estimate?, now: Date) -> [String: Any] {
        switch estimate {
        case .finishes(let at)?:
            let seconds = max(0, at.timeIntervalSince(now)).rounded(.up)
            return ["eta": iso(at), "eta_seconds": Int(exactly: seconds) ?? Int.max]
        case .never(let reason)?:
            return ["eta_seconds": NSNull(), "eta_never": reason]
        case nil:
            return ["eta_seconds": 0]
        }
    }

    func campaignJSON(_ t: CampaignProgress) -> [String: Any] {
        var object: [String: Any] = ["name": t.name, "queued": t.queued, "held": t.held, "sending": t.sending, "sent": t.sent,
                                     "suppressed": t.suppressed, "failed": t.failed, "total": t.total, "done": t.done]
        let now = clock.now()
        let estimate = MessagePreview.estimate(pending: t.pending, configuration: configuration, dataDirectory: data, now: now)
        object.merge(etaFields(estimate?.eta, now: now)) { $1 }
        if let delivered = t.delivered { object["delivered"] = delivered }
        if let undelivered = t.undelivered { object["undelivered"] = undelivered }
        return object
    }

    func campaigns(only name: String? = nil) throws -> [String: CampaignProgress] {
        try CampaignProgress.tally(messagesIn: data.records.messagesIn, deliveries: (try? deliveries.outcomes()) ?? [:], only: name,
                                   now: clock.now(), keepPending: true)
    }

    // MARK: Formatting

    func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
