import Compliance

/// A message in gammu-smsd's FILES-backend outbox format, so that scripts written for gammu-smsd
/// keep working when pointed at smsagent's drop box (`outbox/new/`). The recipient and the options
/// are in the file's name, the text is the whole file:
///
/// - `OUT<recipient>.txt`
/// - `OUT<priority>_<recipient>_<serial>.txt`
/// - `OUT<priority><date>_<time>_<serial>_<recipient>_<note>.txt` (what gammu-smsd-inject writes)
///
/// `<priority>` is a letter A–Z (accepted; smsagent sends in arrival order). Letters appended to
/// the extension are options: `d` (status report asked: smsagent follows `sending.status_reports`),
/// `f` (flash SMS) and `b` (WAP bookmark) are refused with a reason. `.smsbackup` files (gammu's
/// backup format) are refused: write the text file instead. The text is UTF-16 when the file
/// starts with a byte-order mark (gammu's "Unicode" files), else UTF-8 when valid, else
/// ISO-8859-1; the line end that closes a text file is not part of the message. The class is the
/// installation's default (`compliance.default_class`).
public struct GammuRequest: Sendable, Equatable {
    public var to: String
    public var text: String
    /// The `d` option: gammu's way to ask for a status report.
    public var statusReportAsked: Bool

    /// True when `name` is a gammu outbox file name (`OUT…` with a `.txt…` or `.smsbackup` extension).
    public static func matches(fileName name: String) -> Bool {
        guard name.hasPrefix("OUT"), let dot = name.lastIndex(of: ".") else { return false }
        let ext = name[name.index(after: dot)...]
        return ext == "smsbackup" || (ext.hasPrefix("txt") && ext.dropFirst(3).allSatisfy { $0.isASCII && $0.isLetter })
    }

    public static func parse(fileName name: String, bytes: [UInt8]) throws(GammuRequestError) -> GammuRequest {
        guard matches(fileName: name), let dot = name.lastIndex(of: ".") else { throw .notGammu(name) }
        let ext = String(name[name.index(after: dot)...])
        guard ext != "smsbackup" else { throw .unsupported("gammu's .smsbackup format is not read by smsagent: write the text in a .txt file") }
        var statusReport = false
        for option in ext.dropFirst(3) {
            switch option {
            case "d": statusReport = true
            case "f": throw .unsupported("option f (flash SMS): smsagent does not send flash SMS")
            case "b": throw .unsupported("option b (WAP bookmark) is not supported by smsagent")
            default: throw .unsupported("option '\(option)' after .txt is unknown (gammu knows d, f and b)")
            }
        }
        let to = try recipient(in: String(name[name.index(name.startIndex, offsetBy: 3)..<dot]))
        var text = try decode(bytes)
        if text.hasSuffix("\r\n") { text.removeLast() } else if text.hasSuffix("\n") { text.removeLast() }
        guard !text.isEmpty else { throw .emptyText }
        return GammuRequest(to: to, text: text, statusReportAsked: statusReport)
    }

    /// The recipient field of the three name forms (what comes between `OUT` and the extension).
    static func recipient(in stem: String) throws(GammuRequestError) -> String {
        let fields = stem.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        let candidate: String
        switch fields.count {
        case 1:
            candidate = fields[0]   // OUT<recipient>
        case 3:
            // OUT<priority>_<recipient>_<serial>; the priority letter is optional in practice.
            guard fields[0].count <= 1, fields[0].allSatisfy({ $0.isASCII && $0.isUppercase }) else { throw .badName(stem) }
            candidate = fields[1]
        case 5...:
            // OUT<priority><date>_<time>_<serial>_<recipient>_<note> (the note may contain "_").
            candidate = fields[3]
        default:
            throw .badName(stem)
        }
        let allowed = candidate.allSatisfy { ($0.isASCII && $0.isNumber) || $0 == "+" }
        guard allowed, candidate.filter(\.isNumber).count >= 3, !candidate.dropFirst().contains("+") else {
            throw .badRecipient(candidate)
        }
        return candidate
    }

    static func decode(_ bytes: [UInt8]) throws(GammuRequestError) -> String {
        if bytes.count >= 2, (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) {
            let littleEndian = bytes[0] == 0xFF
            let body = bytes.dropFirst(2)
            guard body.count % 2 == 0 else { throw .badText("UTF-16 with an odd number of bytes") }
            var units: [UInt16] = []
            units.reserveCapacity(body.count / 2)
            var index = body.startIndex
            while index + 1 < body.endIndex {
                let (a, b) = (UInt16(body[index]), UInt16(body[index + 1]))
                units.append(littleEndian ? b << 8 | a : a << 8 | b)
                index += 2
            }
            var text = ""
            var iterator = units.makeIterator()
            var decoder = UTF16()
            while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar): text.unicodeScalars.append(scalar)
                case .emptyInput: return text
                case .error: throw .badText("not valid UTF-16")
                }
            }
        }
        if let text = String(validating: bytes, as: UTF8.self) {
            return text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }
}

/// Why a file in gammu-smsd's format was refused (the file goes to `outbox/failed/` with this).
public enum GammuRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    case notGammu(String)
    case badName(String)
    case badRecipient(String)
    case unsupported(String)
    case badText(String)
    case emptyText

    public var description: String {
        switch self {
        case .notGammu(let name): "gammu file: '\(name)' is not named OUT<recipient>.txt"
        case .badName(let stem): "gammu file: 'OUT\(stem)' is none of OUT<recipient>, OUT<priority>_<recipient>_<serial>, OUT<priority><date>_<time>_<serial>_<recipient>_<note>"
        case .badRecipient(let value): "gammu file: '\(value)' in the file name is not a phone number"
        case .unsupported(let what): "gammu file: \(what)"
        case .badText(let why): "gammu file: the text is \(why)"
        case .emptyText: "gammu file: the text is empty"
        }
    }
}

extension OutboxMessage {
    /// The request a gammu-smsd outbox file makes (`GammuRequest`).
    public init(gammuFileName name: String, bytes: [UInt8]) throws(GammuRequestError) {
        let request = try GammuRequest.parse(fileName: name, bytes: bytes)
        self.init(to: request.to, text: request.text)
    }
}
