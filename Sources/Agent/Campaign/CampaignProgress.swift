import Foundation
import Records

/// How far each campaign got, from the outbox folders and `deliveries.csv`: the same fold
/// `smsagent campaign status` prints, as a value the HTTP API and the dashboard serve.
public struct CampaignProgress: Sendable, Equatable {
    public var name: String
    public var queued = 0
    /// In `new/` with a `not_before` in the future (quiet hours, `--at`).
    public var held = 0
    public var sending = 0
    public var sent = 0
    public var suppressed = 0
    public var failed = 0
    /// Sent messages whose every part has a "delivered" report, and those with a part the SMSC
    /// gave up on; nil when no report names the campaign.
    public var delivered: Int?
    public var undelivered: Int?
    /// The messages still to send (queued, held, sending) when `tally` was asked to keep them:
    /// what an estimate of the campaign's end needs.
    public var pending: [OutboxMessage] = []

    public init(name: String) { self.name = name }

    public var total: Int { queued + held + sending + sent + suppressed + failed }
    public var done: Int { sent + suppressed + failed }

    /// Every campaign (or only `name`), keyed by name. Reads every message file once.
    public static func tally(_ outbox: FileOutbox, deliveries: [String: [Int: DeliveryReportLog.Outcome]],
                             only name: String? = nil, now: Date = Date(), keepPending: Bool = false) throws -> [String: CampaignProgress] {
        try tally(messagesIn: { try outbox.messages(in: $0) }, deliveries: deliveries, only: name, now: now, keepPending: keepPending)
    }

    /// The same over any records (`RecordSet.messagesIn`: the files or the shared database).
    public static func tally(messagesIn: (OutboxFolder) throws -> [OutboxMessage], deliveries: [String: [Int: DeliveryReportLog.Outcome]],
                             only name: String? = nil, now: Date = Date(), keepPending: Bool = false) throws -> [String: CampaignProgress] {
        var result: [String: CampaignProgress] = [:]
        for folder in [OutboxFolder.new, .queued, .sending, .sent, .failed] {
            for message in try messagesIn(folder) {
                guard let campaign = message.campaign, name == nil || campaign == name else { continue }
                var t = result[campaign] ?? CampaignProgress(name: campaign)
                if keepPending, folder == .new || folder == .queued || folder == .sending { t.pending.append(message) }
                switch folder {
                case .new, .queued:
                    if let notBefore = message.notBefore, notBefore > now { t.held += 1 } else { t.queued += 1 }
                case .sending: t.sending += 1
                case .sent:
                    t.sent += 1
                    if let parts = deliveries[message.id] {
                        let segments = max(1, message.result?.segments ?? 1)
                        var delivered = t.delivered ?? 0, undelivered = t.undelivered ?? 0
                        if parts.values.contains(.failed) {
                            undelivered += 1
                        } else if (1...segments).allSatisfy({ parts[$0] == .delivered }) {
                            delivered += 1
                        }
                        (t.delivered, t.undelivered) = (delivered, undelivered)
                    }
                default:
                    if message.result?.status == .suppressed { t.suppressed += 1 } else { t.failed += 1 }
                }
                result[campaign] = t
            }
        }
        return result
    }
}
