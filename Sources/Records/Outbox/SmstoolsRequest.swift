import Compliance
import SMSCodec

/// A message in smstools3's outgoing-file format, so that scripts written for smstools keep
/// working when pointed at smsagent's drop box (`outbox/new/`):
///
/// ```
/// To: 33612345678
/// Alphabet: UTF-8
/// X-Class: notification
///
/// Votre commande est prête.
/// ```
///
/// Headers (case-insensitive names, one per line, up to the first empty line): `To:` (required;
/// smstools writes international numbers without `+`, so a number of 10 digits or more that does
/// not start with 0 gets one), `Alphabet:` how the text after the empty line is encoded —
/// `ISO`/`Latin` (ISO-8859-15, smstools' default), `GSM` (the GSM 03.38 default alphabet, one
/// byte per septet, 0x1B escapes), `UTF-8`, `UCS2`/`UCS-2`/`Unicode` (UTF-16 big-endian) —
/// `Flash:`, `Report:`, `Validity:`, `Queue:` (smstools' queue: the modem to use), and ours,
/// `X-Class:` (`marketing` or `notification`; absent: the installation's default).
/// Without `Alphabet:` the text is UTF-8 when it is valid UTF-8, else ISO-8859-15.
/// Headers smstools writes for its own bookkeeping (`From:`, `Sent:`, `Modem:`, `IMSI:`, …) and
/// `Autosplit:`/`Priority:` are accepted and have no effect; headers that would change the
/// message's nature (`Binary:`, `UDH:`, `UDH-DATA:`, `Hex:`, `Voicecall:`, `Replace:`, `SMSC:`,
/// `Include:`, `Macro:`, `System_message:`…) are refused with their name, as is any unknown one.
public struct SmstoolsRequest: Sendable, Equatable {
    public enum Alphabet: String, Sendable, Equatable {
        case iso = "ISO-8859-15", gsm = "GSM", utf8 = "UTF-8", ucs2 = "UCS-2"
    }

    public var to: String
    public var text: String
    public var alphabet: Alphabet
    /// `X-Class:`; nil: the installation's default class.
    public var messageClass: MessageClass?
    /// `Queue:`: smstools' queue, which names the modem (or group of modems) to send with.
    public var queue: String?
    /// `Flash:` yes (a class 0 SMS shown at once, not stored).
    public var flash: Bool
    /// `Report:` yes/no: a status report asked for this message; nil: the installation's setting.
    public var statusReport: Bool?
    /// `Validity:`: how long the SMSC keeps trying; nil: the installation's setting.
    public var validity: Duration?

    /// True when `bytes` start like a header line (`Name: value`) rather than like JSON.
    public static func looksLike(_ bytes: [UInt8]) -> Bool {
        guard let start = bytes.firstIndex(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) else { return false }
        guard bytes[start] != UInt8(ascii: "{") else { return false }
        guard let colon = bytes[start...].firstIndex(of: UInt8(ascii: ":")) else { return false }
        let name = bytes[start..<colon]
        return !name.isEmpty && name.allSatisfy { isHeaderNameByte($0) }
    }

    /// Parses a whole file. Errors name the header or line at fault.
    public static func parse(_ bytes: [UInt8]) throws(SmstoolsRequestError) -> SmstoolsRequest {
        // Headers: ASCII lines up to the first empty line (LF or CRLF).
        // Blank lines before the first header are skipped (as smstools does).
        var index = bytes.firstIndex(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) ?? bytes.endIndex
        var headers: [(name: String, value: String, line: Int)] = []
        var lineNumber = 0
        var sawEmptyLine = false
        while index < bytes.endIndex {
            lineNumber += 1
            let end = bytes[index...].firstIndex(of: 0x0A) ?? bytes.endIndex
            var line = bytes[index..<end]
            if line.last == 0x0D { line = line.dropLast() }
            index = end < bytes.endIndex ? end + 1 : end
            if line.isEmpty {
                sawEmptyLine = true
                break
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                  line[..<colon].allSatisfy({ isHeaderNameByte($0) }) else {
                throw .malformedHeader(line: lineNumber)
            }
            guard line.allSatisfy({ $0 >= 0x20 && $0 < 0x7F || $0 == 0x09 || $0 >= 0x80 }) else {
                throw .malformedHeader(line: lineNumber)
            }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces()
            headers.append((name, value, lineNumber))
        }
        guard sawEmptyLine else { throw .noBody }
        let body = Array(bytes[index...])

        var to: String?
        var alphabet: Alphabet?
        var request = SmstoolsRequest(to: "", text: "", alphabet: .utf8, messageClass: nil, queue: nil, flash: false,
                                      statusReport: nil, validity: nil)
        var seen: Set<String> = []
        for header in headers {
            let key = header.name.lowercased()
            guard seen.insert(key).inserted || ignored.contains(key) else { throw .repeatedHeader(header.name) }
            switch key {
            case "to":
                to = header.value
            case "alphabet":
                switch header.value.lowercased() {
                case "iso", "latin", "latin1", "latin-1", "iso-8859-15", "iso-8859-1", "def", "default": alphabet = .iso
                case "gsm": alphabet = .gsm
                case "utf-8", "utf8": alphabet = .utf8
                case "ucs2", "ucs-2", "unicode", "utf-16be": alphabet = .ucs2
                default: throw .badValue(header: header.name, value: header.value, expected: "ISO, GSM, UTF-8 or UCS2")
                }
            case "flash":
                request.flash = try yesNo(header)
            case "report":
                request.statusReport = try yesNo(header)
            case "validity":
                request.validity = try validity(header)
            case "queue":
                guard !header.value.isEmpty else { throw .badValue(header: header.name, value: header.value, expected: "a queue (modem) name") }
                request.queue = header.value
            case "x-class":
                guard let messageClass = MessageClass(rawValue: header.value.lowercased()) else {
                    throw .badValue(header: header.name, value: header.value, expected: "marketing or notification")
                }
                request.messageClass = messageClass
            default:
                guard ignored.contains(key) else { throw .unsupportedHeader(header.name) }
            }
        }
        guard let to, !to.isEmpty else { throw .missingRecipient }
        request.to = normalise(to)
        let chosen = alphabet ?? (String(validating: body, as: UTF8.self) != nil ? .utf8 : .iso)
        request.alphabet = chosen
        var text = try decode(body, alphabet: chosen)
        // The line end that closes a text file is not part of the message.
        if text.hasSuffix("\r\n") { text.removeLast() } else if text.hasSuffix("\n") { text.removeLast() }
        guard !text.isEmpty else { throw .emptyText }
        request.text = text
        return request
    }

    // MARK: - Internals

    /// Headers smstools writes in its own files, or that change nothing here.
    static let ignored: Set<String> = [
        "from", "sent", "received", "modem", "imsi", "imei", "message_id", "fail_reason", "failed", "retries",
        "autosplit", "priority", "length", "smsc_time", "subject", "call_type", "report_requested",
    ]

    static func isHeaderNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F
    }

    static func yesNo(_ header: (name: String, value: String, line: Int)) throws(SmstoolsRequestError) -> Bool {
        switch header.value.lowercased() {
        case "yes", "y", "true", "on", "1": return true
        case "no", "n", "false", "off", "0": return false
        default: throw .badValue(header: header.name, value: header.value, expected: "yes or no")
        }
    }

    /// smstools' `Validity:`: a relative-validity code 0…255 (TS 23.040 §9.2.3.12.1), or a number
    /// and a unit (`30 min`, `12 hours`, `2 days`, `1 week`); at most 63 weeks.
    static func validity(_ header: (name: String, value: String, line: Int)) throws(SmstoolsRequestError) -> Duration {
        let value = header.value.lowercased()
        let digits = value.prefix { $0.isASCII && $0.isNumber }
        let unit = value.dropFirst(digits.count).trimmingSpaces()
        guard !digits.isEmpty, digits.count <= 4, let number = Int64(digits) else {
            throw .badValue(header: header.name, value: header.value, expected: "0-255, or a number and min, hour, day or week")
        }
        let minutes: Int64
        switch unit {
        case "":
            guard number <= 255 else { throw .badValue(header: header.name, value: header.value, expected: "a relative validity code 0-255") }
            switch number {
            case 0...143: minutes = (number + 1) * 5
            case 144...167: minutes = 12 * 60 + (number - 143) * 30
            case 168...196: minutes = (number - 166) * 24 * 60
            default: minutes = (number - 192) * 7 * 24 * 60
            }
        case "m", "min", "mins", "minute", "minutes": minutes = number
        case "h", "hour", "hours": minutes = number * 60
        case "d", "day", "days": minutes = number * 24 * 60
        case "w", "week", "weeks": minutes = number * 7 * 24 * 60
        default: throw .badValue(header: header.name, value: header.value, expected: "a unit among min, hour, day, week")
        }
        guard minutes >= 5, minutes <= 63 * 7 * 24 * 60 else {
            throw .badValue(header: header.name, value: header.value, expected: "between 5 minutes and 63 weeks")
        }
        return .seconds(minutes * 60)
    }

    /// smstools numbers are international without `+` (`33612345678`); national ones start with 0.
    static func normalise(_ number: String) -> String {
        let trimmed = number.trimmingSpaces()
        if trimmed.hasPrefix("s") || trimmed.hasPrefix("S") {
            // smstools' "s" prefix forces a national number: keep the digits as written.
            return String(trimmed.dropFirst())
        }
        let digits = trimmed.filter { $0.isASCII && $0.isNumber }
        if digits.count == trimmed.count, digits.count >= 10, !digits.hasPrefix("0") { return "+" + digits }
        return trimmed
    }

    static func decode(_ body: [UInt8], alphabet: Alphabet) throws(SmstoolsRequestError) -> String {
        switch alphabet {
        case .utf8:
            guard let text = String(validating: body, as: UTF8.self) else { throw .badText(alphabet) }
            return text
        case .iso:
            return String(String.UnicodeScalarView(body.map(iso885915)))
        case .gsm:
            guard body.allSatisfy({ $0 < 0x80 }), body.last != GSMAlphabet.escape else { throw .badText(alphabet) }
            return GSMAlphabet.text(from: body)
        case .ucs2:
            guard body.count % 2 == 0 else { throw .badText(alphabet) }
            var units: [UInt16] = []
            units.reserveCapacity(body.count / 2)
            var index = 0
            while index + 1 < body.count {
                units.append(UInt16(body[index]) << 8 | UInt16(body[index + 1]))
                index += 2
            }
            var text = ""
            var iterator = units.makeIterator()
            var decoder = UTF16()
            loop: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar): text.unicodeScalars.append(scalar)
                case .emptyInput: break loop
                case .error: throw .badText(alphabet)
                }
            }
            return text
        }
    }

    /// ISO-8859-15 differs from ISO-8859-1 in eight places (€ Š š Ž ž Œ œ Ÿ).
    static func iso885915(_ byte: UInt8) -> Unicode.Scalar {
        let special: [UInt8: UInt32] = [0xA4: 0x20AC, 0xA6: 0x0160, 0xA8: 0x0161, 0xB4: 0x017D, 0xB8: 0x017E,
                                        0xBC: 0x0152, 0xBD: 0x0153, 0xBE: 0x0178]
        return Unicode.Scalar(special[byte] ?? UInt32(byte)) ?? "?"
    }
}

/// Why a file in smstools3's format was refused (the file goes to `outbox/failed/` with this).
public enum SmstoolsRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedHeader(line: Int)
    case noBody
    case repeatedHeader(String)
    case unsupportedHeader(String)
    case badValue(header: String, value: String, expected: String)
    case missingRecipient
    case badText(SmstoolsRequest.Alphabet)
    case emptyText

    public var description: String {
        switch self {
        case .malformedHeader(let line): "smstools file: line \(line) is not a header (Name: value) and no empty line came before it"
        case .noBody: "smstools file: no empty line between the headers and the text"
        case .repeatedHeader(let name): "smstools file: header \(name) given twice"
        case .unsupportedHeader(let name): "smstools file: header \(name) is not supported by smsagent"
        case .badValue(let header, let value, let expected): "smstools file: \(header): expected \(expected), got '\(value)'"
        case .missingRecipient: "smstools file: no To: header"
        case .badText(let alphabet): "smstools file: the text is not valid \(alphabet.rawValue)"
        case .emptyText: "smstools file: the text is empty"
        }
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}

extension OutboxMessage {
    /// The drop-box message for a file in smstools3's format. `Queue:`, `Report:` and
    /// `Validity:` have no per-message field yet: the message goes through any modem with the
    /// installation's settings. A flash SMS is refused rather than sent as an ordinary one.
    public init(smstools bytes: [UInt8]) throws(SmstoolsRequestError) {
        let request = try SmstoolsRequest.parse(bytes)
        guard !request.flash else {
            throw .badValue(header: "Flash", value: "yes", expected: "no (smsagent does not send flash SMS)")
        }
        self.init(to: request.to, text: request.text, messageClass: request.messageClass)
    }
}
