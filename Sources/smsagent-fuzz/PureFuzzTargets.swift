// The targets over the pure layers only (SMSCodec, ATProtocol). `Fuzz/quick.sh` also compiles
// this file with those two layers' sources as one module, without SwiftPM, for a fast build.
#if canImport(SMSCodec)
import ATProtocol
import SMSCodec
#endif
import Foundation

extension FuzzTargets {
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
}
