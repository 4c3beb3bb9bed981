import Compliance
import Foundation
import Logging
import ModemKit
import Records
import SMSCodec

/// Per modem: the reassembler and the groups it holds (to tell, for a part listed again, whether
/// its message is still pending or already complete).
struct ModemReassembly: Sendable {
    var reassembler: Reassembler
    var pending: Set<ReassemblyGroupKey> = []
}

/// A whole inbound message (single, reassembled, or given up as incomplete) ready to archive.
struct CompleteInbound: Sendable {
    var originator: String
    var text: String
    var sentAt: Date?
    var receivedAt: Date
    var parts: Int
    var simIndices: [Int]
    /// `complete` or `incomplete` (the archive's status column).
    var status: String
    /// Whether the first part is there: the keyword rule reads the first word.
    var hasFirstPart: Bool

    init(single deliver: SMSDeliver, simIndex: Int, receivedAt: Date) {
        originator = deliver.originator
        text = deliver.text
        sentAt = deliver.timestamp
        self.receivedAt = receivedAt
        parts = 1
        simIndices = [simIndex]
        status = "complete"
        hasFirstPart = true
    }

    init(_ message: InboundMessage, simIndices: [Int]) {
        originator = message.originator
        text = message.text
        sentAt = message.timestamp
        receivedAt = message.receivedAt
        parts = message.parts.count
        self.simIndices = simIndices.sorted()
        status = "complete"
        hasFirstPart = true
    }

    init(incomplete: IncompleteMessage) {
        originator = incomplete.originator
        text = incomplete.partialText
        sentAt = incomplete.parts.first?.timestamp
        receivedAt = incomplete.firstReceivedAt
        parts = incomplete.parts.count
        simIndices = []
        status = "incomplete"
        hasFirstPart = !incomplete.missing.contains(1)
    }

    var fingerprint: String { InboundRecord.fingerprint(from: originator, sentAt: sentAt, text: text) }
}

extension InboundProcessor {
    // MARK: Reassembly state

    /// The modem's reassembler, rebuilt from the store on first use (parts are re-decoded from the
    /// PDUs kept there). `nil` when the store cannot be read: multi-part messages then stay on the
    /// SIM until it can.
    func loadReassembly(modemID: String, now: Date, report: inout InboundReport) -> ModemReassembly? {
        if let loaded = reassemblers[modemID] { return loaded }
        var state = ModemReassembly(reassembler: Reassembler(timeout: configuration.inbound.reassemblyTimeout))
        let parts: [StoredInboundPart]
        do {
            parts = try stores.reassembly.all().filter { $0.modem == modemID }
        } catch {
            logger.error("reassembly store unreadable; multi-part messages stay on the SIM",
                         metadata: ["modem": "\(modemID)", "error": "\(error)"])
            report.failures.append("reassembly store: \(error)")
            return nil
        }
        for part in parts {
            guard case .deliver(let deliver)? = try? PDUDecoder.decode(hex: part.pduHex) else {
                logger.error("stored part no longer decodes; kept in the store for a person",
                             metadata: ["modem": "\(modemID)", "sms.from": "\(part.originator)"])
                continue
            }
            switch state.reassembler.add(deliver, receivedAt: part.receivedAt) {
            case .pending, .duplicate:
                state.pending.insert(part.group)
            case .complete(let whole):
                // Every part was stored but the message was never archived (a crash in between).
                state.pending.remove(part.group)
                if handle(CompleteInbound(whole, simIndices: []), modemID: modemID, now: now, report: &report) {
                    _ = forget(part.group, report: &report)
                }
            }
        }
        return state
    }

    func persist(_ part: StoredInboundPart, report: inout InboundReport) -> Bool {
        do {
            try stores.reassembly.save(part)
            return true
        } catch {
            report.failures.append("index \(part.simIndex ?? -1): storing part \(part.sequence)/\(part.total): \(error)")
            logger.error("could not store a message part; it stays on the SIM",
                         metadata: ["modem": "\(part.modem)", "sim.index": "\(part.simIndex ?? -1)", "error": "\(error)"])
            return false
        }
    }

    func forget(_ group: ReassemblyGroupKey, report: inout InboundReport) -> Bool {
        do {
            try stores.reassembly.remove(group)
            return true
        } catch {
            report.failures.append("reassembly store: removing a finished group: \(error)")
            logger.error("could not remove a finished group from the reassembly store",
                         metadata: ["modem": "\(group.modem)", "error": "\(error)"])
            return false
        }
    }

    /// Whether an expired group is what remains of a message archived complete: same sender,
    /// archived within the reassembly timeout, whose text holds every part that came.
    func isLeftoverOfArchived(_ incomplete: IncompleteMessage) -> Bool {
        guard let records = try? stores.archive.all() else { return false }
        let horizon = incomplete.firstReceivedAt.addingTimeInterval(-seconds(configuration.inbound.reassemblyTimeout))
        return records.contains { record in
            (record.from == incomplete.originator || record.from == hashedSender(incomplete.originator))
                && record.status == "complete" && record.parts == incomplete.totalParts
                && record.receivedAt >= horizon
                && incomplete.parts.allSatisfy { !$0.text.isEmpty && record.text.contains($0.text) }
        }
    }

    /// The hashed form of a sender, as the archive keeps it in hashed mode.
    func hashedSender(_ originator: String) -> String? {
        guard let hashed = stores.hashedIdentifier,
              let number = try? PhoneNumber.parse(originator, defaultCountry: configuration.compliance.defaultCountry) else { return nil }
        return hashed(number)
    }

    // MARK: One whole message

    /// Archives `inbound`, then acts on its keyword. Returns whether everything it carries is on
    /// disk (only then may its SIM indices be deleted).
    func handle(_ inbound: CompleteInbound, modemID: String, now: Date, report: inout InboundReport) -> Bool {
        let fingerprint = inbound.fingerprint
        let number = try? PhoneNumber.parse(inbound.originator, defaultCountry: configuration.compliance.defaultCountry)
        // The sender's region decides the wording rule (US: any reasonable wording opts out).
        var match = matcher.classify(inbound.text, region: number?.region)
        if inbound.status != "complete" {
            // Part of a message: only a STOP in its first words counts; other keywords need a person.
            if case .optOut = match, inbound.hasFirstPart {} else if let keyword = match.keyword {
                match = .review(keyword: keyword)
            }
        }
        if case .optOut(let keyword) = match, number == nil {
            // An opt-out from a sender we cannot write to (alphanumeric): a person should see it.
            match = .review(keyword: keyword)
        }
        var from = inbound.originator
        if let number, let hashed = stores.hashedIdentifier {
            switch match {
            case .optOut, .optIn: from = hashed(number)
            default: break
            }
        }
        let record = InboundRecord(receivedAt: inbound.receivedAt, from: from, text: inbound.text,
                                   modem: modemID, parts: inbound.parts, keywordResult: Self.describe(match),
                                   simIndices: inbound.simIndices, sentAt: inbound.sentAt, fingerprint: fingerprint,
                                   status: inbound.status)
        let isNew: Bool
        do {
            isNew = try stores.archive.append(record)
            if isNew { report.archived += 1 } else { report.alreadyArchived += 1 }
        } catch {
            report.failures.append("indices \(inbound.simIndices): archive: \(error)")
            logger.error("could not archive an inbound SMS; it stays on the SIM",
                         metadata: ["modem": "\(modemID)", "sim.index": "\(inbound.simIndices)", "error": "\(error)"])
            return false
        }

        do {
            switch match {
            case .optOut(let keyword):
                if let number {
                    try applyOptOut(number, keyword: keyword, text: inbound.text, fingerprint: fingerprint,
                                    modemID: modemID, now: now, report: &report)
                }
            case .optIn(let keyword):
                if let number, try stores.optOuts.state(of: number)?.optedOut == true {
                    if try stores.optOuts.optIn(number, keyword: keyword, modem: modemID,
                                                source: Self.smsSourcePrefix + fingerprint, at: now) {
                        report.optIns += 1
                        logger.info("opt-in recorded", metadata: ["modem": "\(modemID)", "keyword": "\(keyword)"])
                        try queueOptInAcknowledgement(match, to: number, fingerprint: fingerprint, now: now)
                    }
                }
            case .help(let keyword):
                if let number, configuration.inbound.helpReplies {
                    try queueHelp(number, fingerprint: fingerprint, keyword: keyword, now: now, report: &report)
                }
            case .review(let keyword):
                report.review += 1
                logger.notice("inbound SMS kept for review (mentions a keyword without matching the rule)",
                              metadata: ["modem": "\(modemID)", "keyword": "\(keyword)"])
            case .none:
                break
            }
        } catch {
            report.failures.append("indices \(inbound.simIndices): \(Self.describe(match)): \(error)")
            logger.error("could not record what an inbound SMS asked for; it stays on the SIM",
                         metadata: ["modem": "\(modemID)", "sim.index": "\(inbound.simIndices)", "error": "\(error)"])
            return false
        }
        if isNew { postReceived(record) }
        return true
    }

    /// Tells the `on_receive` hook, once per archived message (a re-listed one is not new).
    func postReceived(_ record: InboundRecord) {
        guard let hooks else { return }
        hooks.post(HookEvent(kind: .received, fields: [
            ("id", record.fingerprint), ("from", record.from), ("text", record.text), ("modem", record.modem),
            ("received_at", InboundTime.iso(record.receivedAt)), ("sent_at", record.sentAt.map(InboundTime.iso) ?? ""),
            ("parts", String(record.parts)), ("keyword_result", record.keywordResult), ("status", record.status),
        ]))
    }

    /// Records the opt-out (fsync) unless the number is already opted out, then queues its
    /// confirmation. Processing the same SMS again finds its own event (source `sms:<fingerprint>`)
    /// and only makes sure the confirmation is queued.
    func applyOptOut(_ number: PhoneNumber, keyword: String, text: String, fingerprint: String, modemID: String,
                     now: Date, report: inout InboundReport) throws {
        let source = Self.smsSourcePrefix + fingerprint
        if let state = try stores.optOuts.state(of: number), state.optedOut {
            guard state.lastEvent.source == source else {
                logger.info("opt-out from a number already opted out: nothing to record",
                            metadata: ["modem": "\(modemID)", "keyword": "\(keyword)"])
                return
            }
        } else if try stores.optOuts.optOut(number, keyword: keyword, text: text, modem: modemID, source: source, at: now) {
            report.optOuts += 1
            logger.info("opt-out recorded", metadata: ["modem": "\(modemID)", "keyword": "\(keyword)"])
        }
        if configuration.inbound.confirmations {
            try queueConfirmation(number, fingerprint: fingerprint, now: now, report: &report)
        }
    }

    /// Queues the confirmation of an opt-out: once per inbound SMS (id from its fingerprint), and
    /// at most one per number per 24 h (`confirmations.csv`).
    func queueConfirmation(_ number: PhoneNumber, fingerprint: String, now: Date, report: inout InboundReport) throws {
        let id = Self.replyID(kind: "confirmation", fingerprint: fingerprint)
        if try stores.outbox.find(id) != nil {
            // Queued before a crash: make sure the 24 h log knows it (no-op when it does).
            _ = try stores.confirmations.claim(for: number, messageID: id, now: now)
            return
        }
        if try stores.confirmations.wasSent(to: number, within: Self.confirmationWindow, now: now) {
            logger.info("opt-out already confirmed to this number within 24 h: no second confirmation")
            return
        }
        let text = texts.text(locale: locale(for: number), brand: configuration.sender.brand ?? "")
        try stores.outbox.enqueue(OutboxMessage(id: id, to: number.e164, text: text, messageClass: .notification,
                                                createdAt: now, kind: "confirmation"))
        _ = try stores.confirmations.claim(for: number, messageID: id, now: now)
        report.confirmationsQueued += 1
    }

    /// One acknowledgement of a START/UNSTOP where the region's practice expects it
    /// (`compliance.optin_ack_regions`, default US), queued like a confirmation (counted in credits).
    /// Processing the same SMS again re-enqueues under the same id, which the outbox ignores.
    func queueOptInAcknowledgement(_ match: KeywordMatch, to number: PhoneNumber, fingerprint: String, now: Date) throws {
        let rule = OptInAcknowledgement(regions: configuration.compliance.optInAcknowledgementRegions)
        guard let text = rule.decide(match, from: number, wasOptedOut: true, locale: locale(for: number),
                                     brand: configuration.sender.brand ?? "", number: configuration.sender.stopNumber) else { return }
        let id = Self.replyID(kind: "optin_ack", fingerprint: fingerprint)
        guard try stores.outbox.find(id) == nil else { return }
        try stores.outbox.enqueue(OutboxMessage(id: id, to: number.e164, text: text, messageClass: .notification,
                                                createdAt: now, kind: "optin_ack"))
    }

    func queueHelp(_ number: PhoneNumber, fingerprint: String, keyword: String, now: Date, report: inout InboundReport) throws {
        let id = Self.replyID(kind: "help", fingerprint: fingerprint)
        if try stores.outbox.find(id) != nil {
            _ = try stores.helpReplies?.claim(for: number, messageID: id, now: now)
            return
        }
        if let log = stores.helpReplies, try log.wasSent(to: number, within: Self.confirmationWindow, now: now) {
            logger.info("HELP already answered to this number within 24 h: no second reply", metadata: ["keyword": "\(keyword)"])
            return
        }
        let text = texts.helpText(locale: locale(for: number), brand: configuration.sender.brand ?? "",
                                  number: configuration.sender.stopNumber)
        try stores.outbox.enqueue(OutboxMessage(id: id, to: number.e164, text: text, messageClass: .notification,
                                                createdAt: now, kind: "help"))
        _ = try stores.helpReplies?.claim(for: number, messageID: id, now: now)
        report.helpRepliesQueued += 1
    }

    // MARK: Undecodable PDUs and status reports

    func archiveUndecodable(_ message: StoredMessage, error: any Error, modemID: String, now: Date,
                            report: inout InboundReport) -> Bool {
        report.malformed += 1
        logger.warning("undecodable PDU on the SIM: archived raw, then deleted",
                       metadata: ["modem": "\(modemID)", "sim.index": "\(message.index)", "error": "\(error)"])
        let record = InboundRecord(receivedAt: now, from: "", text: message.pduHex, modem: modemID, parts: 1,
                                   keywordResult: "undecodable: \(error)", simIndices: [message.index], sentAt: nil,
                                   fingerprint: InboundRecord.fingerprint(from: "", sentAt: nil, text: message.pduHex.uppercased()),
                                   status: "undecodable")
        do {
            if try stores.archive.append(record) {
                report.archived += 1
                postReceived(record)
            } else {
                report.alreadyArchived += 1
            }
            return true
        } catch {
            report.failures.append("index \(message.index): archiving an undecodable PDU: \(error)")
            return false
        }
    }

    /// Writes the report to `deliveries.csv`, naming the sent message it is about (same modem,
    /// same TP-MR, most recent).
    func recordStatusReport(_ statusReport: SMSStatusReport, modemID: String, now: Date, report: inout InboundReport) -> Bool {
        let match = sentMessage(modemID: modemID, reference: statusReport.messageReference)
        let entry = DeliveryReportLog.Entry(
            receivedAt: now, messageID: match?.id, part: match?.part, modem: modemID,
            reference: statusReport.messageReference, recipient: statusReport.recipient, status: statusReport.status,
            meaning: statusReport.statusMeaning, delivered: statusReport.delivered, dischargedAt: statusReport.dischargeTime)
        do {
            try stores.deliveries.append(entry)
            report.statusReports += 1
            logger.debug("status report", metadata: ["modem": "\(modemID)", "sms.ref": "\(statusReport.messageReference)",
                                                     "message": "\(match?.id ?? "-")", "status": "\(statusReport.statusMeaning)"])
            return true
        } catch {
            report.failures.append("status report ref \(statusReport.messageReference): \(error)")
            return false
        }
    }

    /// The message (and part) that modem `modemID` accepted with TP-MR `reference`, most recent first.
    func sentMessage(modemID: String, reference: Int) -> (id: String, part: Int)? {
        var best: (id: String, part: Int, at: Date)?
        for folder in [OutboxFolder.sending, .sent] {
            guard let messages = try? stores.outboxMessages(folder) else { continue }
            for message in messages {
                for attempt in message.attempts where attempt.modem == modemID && attempt.reference == reference
                    && attempt.status == .accepted {
                    let at = attempt.answeredAt ?? attempt.startedAt
                    if best.map({ at > $0.at }) ?? true { best = (message.id, attempt.part, at) }
                }
            }
        }
        return best.map { ($0.id, $0.part) }
    }

    // MARK: Helpers

    static let confirmationWindow: TimeInterval = 24 * 3600

    /// Reply ids sort before the time-stamped ids of ordinary messages (`claimNext` takes names in
    /// order), so a confirmation leaves at once even behind a queued campaign; and they derive
    /// from the inbound fingerprint, so processing the SMS again finds the reply already queued.
    static func replyID(kind: String, fingerprint: String) -> String {
        "0-\(kind)-\(fingerprint)"
    }

    static func describe(_ match: KeywordMatch) -> String {
        switch match {
        case .optOut(let keyword): "optout:\(keyword)"
        case .optIn(let keyword): "optin:\(keyword)"
        case .help(let keyword): "help:\(keyword)"
        case .review(let keyword): "review:\(keyword)"
        case .none: "none"
        }
    }

    func locale(for number: PhoneNumber) -> String {
        configuration.compliance.locale(for: number)
    }

    func seconds(_ duration: Duration) -> TimeInterval {
        let c = duration.components
        return TimeInterval(c.seconds) + TimeInterval(c.attoseconds) / 1e18
    }
}

extension InboundReport {
    var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["modem": "\(modemID)", "listed": "\(listed)", "archived": "\(archived)",
                                         "deleted": "\(deleted.count)"]
        if optOuts > 0 { metadata["optouts"] = "\(optOuts)" }
        if optIns > 0 { metadata["optins"] = "\(optIns)" }
        if confirmationsQueued > 0 { metadata["confirmations"] = "\(confirmationsQueued)" }
        if helpRepliesQueued > 0 { metadata["help"] = "\(helpRepliesQueued)" }
        if review > 0 { metadata["review"] = "\(review)" }
        if malformed > 0 { metadata["undecodable"] = "\(malformed)" }
        if pendingParts > 0 { metadata["pending_parts"] = "\(pendingParts)" }
        if !kept.isEmpty { metadata["kept"] = "\(kept)" }
        if !failures.isEmpty { metadata["failures"] = "\(failures.count)" }
        return metadata
    }
}
