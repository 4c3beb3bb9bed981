/// Cuts the bytes a modem sends into `ATFrame`s. A value type: feed it chunks of any size, in order;
/// the frames do not depend on how the bytes were chunked.
///
/// What it knows of the conversation is what its owner tells it (`commandSent`, `dataSent`): the
/// command in flight gives the echo to expect and the response prefix (`AT+CSQ` → `+CSQ`) that makes a
/// `+…:` line an answer rather than a URC. Lines end at CR or LF (V.250 §5.7.1: `<CR><LF>` around
/// results, a bare `<CR>` after an echo); blank lines are ignored. The `> ` prompt (TS 27.005 §3.5.1)
/// has no line end and is recognised as soon as its bytes arrive.
public struct ATFrameDecoder: Sendable {
    /// Lines longer than this are dropped with `.discarded(.lineTooLong)` and the decoder resynchronises
    /// on the next CR/LF. A PDU line is at most 2 × 184 hex digits; vendor lines are shorter.
    public let maximumLineLength: Int

    private var buffer: [UInt8] = []
    private var discardingOverlongLine = false
    private var pending: Pending?
    private var pduAnnouncement: (kind: String, length: Int, line: String)?

    private struct Pending: Sendable {
        var echo: String
        var responsePrefix: String?
        var expectsPrompt: Bool
        var echoSeen = false
        /// A resynchronising query: stays in flight across finals until one follows its own answer line.
        var untilOwnAnswer = false
        var answerSeen = false
    }

    public init(maximumLineLength: Int = 1024) {
        self.maximumLineLength = maximumLineLength
    }

    /// Tells the decoder that `commandLine` (without the trailing CR) was written. `expectsPrompt` for
    /// `AT+CMGS`/`AT+CMGW`, whose `>` is then accepted even before its space arrives.
    public mutating func commandSent(_ commandLine: String, expectsPrompt: Bool = false) {
        pending = Pending(echo: commandLine, responsePrefix: Self.responsePrefix(of: commandLine), expectsPrompt: expectsPrompt)
    }

    /// Tells the decoder that a query was written to find the conversation again after a timeout
    /// (`AT+CMEE?` after an abandoned `AT+CSQ`). The late answers of abandoned commands come first,
    /// each with its own final; the query stays in flight until a final that follows a line with its
    /// response prefix, so that line is an answer even when it arrives in one chunk after another final.
    public mutating func resyncQuerySent(_ commandLine: String) {
        commandSent(commandLine)
        pending?.untilOwnAnswer = true
    }

    /// Tells the decoder that data was written after a prompt (the PDU hex): its echo is expected, and
    /// the command's response prefix stays in force.
    public mutating func dataSent(_ text: String) {
        pending?.echo = text
        pending?.echoSeen = false
        pending?.expectsPrompt = false
    }

    /// Forgets the command in flight (after a timeout): later lines are treated as unsolicited.
    public mutating func commandAbandoned() {
        pending = nil
    }

    /// True while a command is in flight (between `commandSent` and its final result).
    public var hasCommandInFlight: Bool { pending != nil }

    /// `AT+CSQ` → `+CSQ`, `AT^ICCID?` → `^ICCID`, `ATE0` → nil.
    public static func responsePrefix(of commandLine: String) -> String? {
        let upper = commandLine.uppercased()
        guard upper.hasPrefix("AT"), upper.count > 3 else { return nil }
        let body = upper.dropFirst(2)
        guard let first = body.first, first == "+" || first == "^" || first == "$" || first == "!" || first == "*" else { return nil }
        let name = body.prefix { $0 != "=" && $0 != "?" && $0 != ";" }
        return String(name)
    }

    /// Feeds bytes and returns the frames they complete.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [ATFrame] where Bytes.Element == UInt8 {
        var frames: [ATFrame] = []
        for byte in bytes {
            if discardingOverlongLine {
                if byte == 0x0D || byte == 0x0A { discardingOverlongLine = false }
                continue
            }
            switch byte {
            case 0x0D, 0x0A:
                if !buffer.isEmpty {
                    processLine(&frames)
                    buffer.removeAll(keepingCapacity: true)
                }
            case 0x1A, 0x1B:
                continue  // Ctrl-Z / ESC echoed after a PDU: not part of any line
            case 0x20 where buffer.isEmpty, 0x09 where buffer.isEmpty:
                continue  // leading white space
            default:
                buffer.append(byte)
                if buffer.count > maximumLineLength {
                    frames.append(.discarded(.lineTooLong(prefix: Self.printable(buffer.prefix(24)), limit: maximumLineLength)))
                    buffer.removeAll(keepingCapacity: true)
                    discardingOverlongLine = true
                } else if buffer.first == 0x3E, pduAnnouncement == nil,  // ">"
                          (buffer.count == 2 && byte == 0x20) || (buffer.count == 1 && pending?.expectsPrompt == true) {
                    frames.append(.prompt)
                    pending?.expectsPrompt = false
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        }
        return frames
    }

    private mutating func processLine(_ frames: inout [ATFrame]) {
        while let last = buffer.last, last == 0x20 || last == 0x09 { buffer.removeLast() }
        guard !buffer.isEmpty else { return }
        guard buffer.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }), let line = String(validating: buffer, as: UTF8.self) else {
            frames.append(.discarded(.invalidBytes(hexPrefix: Self.hex(buffer.prefix(16)), count: buffer.count)))
            if let announcement = pduAnnouncement {
                frames.append(.discarded(.missingPDU(after: announcement.line, got: "")))
                pduAnnouncement = nil
            }
            return
        }

        if let announcement = pduAnnouncement {
            pduAnnouncement = nil
            if StoredMessage.isHexPDU(line) {
                switch announcement.kind {
                case "+CMT": frames.append(.unsolicited(.deliver(pduHex: line, length: announcement.length)))
                case "+CDS": frames.append(.unsolicited(.statusReport(pduHex: line, length: announcement.length)))
                default: frames.append(.unsolicited(.cellBroadcast(pduHex: line, length: announcement.length)))
                }
                return
            }
            frames.append(.discarded(.missingPDU(after: announcement.line, got: line)))
        }

        if var command = pending, !command.echoSeen,
           line.uppercased() == command.echo.uppercased() || (line.count >= 2 && line.prefix(2).uppercased() == "AT" && command.echo.uppercased().hasPrefix("AT")) {
            command.echoSeen = true
            pending = command
            frames.append(.echo(line))
            return
        }

        if let final = ATFinalResult.parse(line) {
            frames.append(.final(final))
            if let command = pending, command.untilOwnAnswer, !command.answerSeen { return }
            pending = nil
            return
        }

        let name = Self.urcName(of: line)
        if let prefix = pending?.responsePrefix, name == prefix {
            pending?.answerSeen = true
            frames.append(.information(line))
            return
        }
        if UnsolicitedResult.pduPrefixes.contains(name) {
            let fields = ATFields.split(line).fields
            if let length = fields.last?.int {
                pduAnnouncement = (name, length, line)
                return
            }
        }
        if UnsolicitedResult.knownPrefixes.contains(name) || UnsolicitedResult.knownLines.contains(line.uppercased())
            || name.hasPrefix("^") || pending == nil {
            frames.append(.unsolicited(UnsolicitedResult.parse(line)))
            return
        }
        frames.append(.information(line))
    }

    /// `+CMTI: "SM",3` → `+CMTI`; a line without `:` → the whole line, upper case.
    static func urcName(of line: String) -> String {
        if let first = line.first, first == "+" || first == "^", let colon = line.firstIndex(of: ":") {
            return line[..<colon].uppercased()
        }
        return line.uppercased()
    }

    static func printable<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: bytes.map { (0x20..<0x7F).contains($0) ? $0 : 0x2E }, as: UTF8.self)
    }

    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        bytes.map { byte in
            let digits = Array("0123456789ABCDEF".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
        }.joined()
    }
}
