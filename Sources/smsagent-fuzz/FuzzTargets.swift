import Agent
import ATProtocol
import Foundation
import Records
import SMSCodec

/// One function per fuzz target. Each feeds the bytes to a reader of outside input and ignores the
/// outcome: an error is the expected answer to garbage; only a trap, a hang or a leak is a finding.
enum FuzzTargets {
    /// PDU decoder (with and without the SMSC field) and the reassembler: the input is a list of
    /// PDUs, each prefixed by one length byte, fed to one reassembler.
    static func pdu(_ bytes: [UInt8]) {
        _ = try? PDUDecoder.decode(bytes: bytes, includesSMSC: true)
        _ = try? PDUDecoder.decode(bytes: bytes, includesSMSC: false)
        _ = try? PDUDecoder.decode(hex: String(decoding: bytes, as: UTF8.self))
        var reassembler = Reassembler(timeout: .seconds(60))
        var rest = bytes[...]
        var time = Date(timeIntervalSince1970: 1_795_946_400)
        while let length = rest.popFirst() {
            let pdu = Array(rest.prefix(Int(length)))
            rest = rest.dropFirst(Int(length))
            if case .deliver(let deliver)? = try? PDUDecoder.decode(bytes: pdu, includesSMSC: length & 1 == 0) {
                _ = reassembler.add(deliver, receivedAt: time)
            }
            time = time.addingTimeInterval(7)
            if length & 0x0F == 0x0F { _ = reassembler.expire(now: time.addingTimeInterval(3600)) }
        }
    }

    /// AT frame decoder, fed in chunks whose sizes come from the input, then every line through
    /// the response parsers.
    static func at(_ bytes: [UInt8]) {
        guard let mode = bytes.first else { return }
        var decoder = ATFrameDecoder(maximumLineLength: 256)
        switch mode % 4 {
        case 0: decoder.commandSent("AT+CMGL=4")
        case 1: decoder.commandSent("AT+CMGS=23", expectsPrompt: true)
        case 2: decoder.commandSent("AT+CSQ")
        default: break
        }
        var rest = bytes.dropFirst()
        var lines: [String] = []
        while !rest.isEmpty {
            let size = Int(rest.first ?? 1) % 17 + 1
            for frame in decoder.feed(rest.prefix(size)) {
                if case .information(let line) = frame { lines.append(line) }
            }
            rest = rest.dropFirst(size)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in lines + text.split(whereSeparator: \.isNewline).map(String.init) {
            _ = ATFinalResult.parse(line)
            _ = SignalQuality.parse(line)
            _ = RegistrationStatus.parseQueryResponse(line)
            _ = RegistrationStatus.parseUnsolicited(line)
            _ = SIMStatus.parse(line)
            _ = StorageUsage.parse(line)
            _ = ModemInfoParsers.serviceCentre(line)
            _ = ATFields.split(line)
        }
        _ = StoredMessage.parseList(lines)
        _ = StoredMessage.parseRead(lines, index: 1)
        _ = PINRetries.parse(lines)
        _ = ModemInfoParsers.ownNumbers(lines)
        _ = ModemInfoParsers.messageReference(lines)
    }

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
