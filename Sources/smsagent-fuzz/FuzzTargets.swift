import Agent
import ATProtocol
import Foundation
import Records
import SMSCodec

/// One function per fuzz target. Each feeds the bytes to a reader of outside input and ignores the
/// outcome: an error is the expected answer to garbage; only a trap, a hang or a leak is a finding.
enum FuzzTargets {
    /// The reader of files dropped into `outbox/new/`.
    static func spool(_ bytes: [UInt8]) {
        _ = try? OutboxRequest.decode(bytes)
    }

    /// The campaign CSV reader (bytes: UTF-8 or Windows-1252) and the template engine.
    static func csv(_ bytes: [UInt8]) {
        guard let campaign = try? CampaignFile.parse(bytes: bytes) else { return }
        if let template = try? MessageTemplate(campaign.columns.joined(separator: "{") ) {
            for row in campaign.rows.prefix(8) { _ = template.render(row.values) }
        }
    }

    /// The configuration loader (YAML → `AgentConfiguration`, every key checked).
    static func config(_ bytes: [UInt8]) {
        _ = try? ConfigurationLoader.parse(yaml: String(decoding: bytes, as: UTF8.self))
    }
}
