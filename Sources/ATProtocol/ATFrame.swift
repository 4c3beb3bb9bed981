/// One unit of what a modem says, as cut by `ATFrameDecoder`.
///
/// TS 27.007 §4 / V.250 §5.7: a response is optional echo, information text lines, then exactly one
/// final result code. Unsolicited result codes (URCs) may arrive at any time, also between the lines
/// of a response.
public enum ATFrame: Sendable, Hashable {
    /// The modem repeating the command line we sent (echo on, `ATE1`, the default after power-up).
    case echo(String)
    /// An information text line belonging to the command in flight (e.g. `+CSQ: 17,99`, a PDU line).
    case information(String)
    /// The final result code that ends the command in flight.
    case final(ATFinalResult)
    /// The `> ` prompt of `AT+CMGS`/`AT+CMGW` (TS 27.005 §3.5.1): the modem waits for the PDU.
    case prompt
    /// An unsolicited result code, already parsed.
    case unsolicited(UnsolicitedResult)
    /// Bytes that could not be understood and were dropped; the decoder resynchronised on the next line.
    case discarded(ATDiscardReason)
}

/// Why bytes were dropped by the decoder.
public enum ATDiscardReason: Sendable, Hashable, CustomStringConvertible {
    /// A line longer than the decoder's limit; everything up to the next CR/LF was dropped.
    case lineTooLong(prefix: String, limit: Int)
    /// A line holding control characters or bytes that are not UTF-8.
    case invalidBytes(hexPrefix: String, count: Int)
    /// `+CMT:`/`+CDS:`/`+CBM:` announced a PDU but the next line was not hexadecimal.
    case missingPDU(after: String, got: String)

    public var description: String {
        switch self {
        case .lineTooLong(let prefix, let limit): "line longer than \(limit) bytes dropped (starts \(prefix.debugDescription))"
        case .invalidBytes(let hex, let count): "\(count) undecodable bytes dropped (\(hex))"
        case .missingPDU(let after, let got): "\(after) not followed by a PDU line (got \(got.debugDescription))"
        }
    }
}

/// A final result code (V.250 §5.7.1, TS 27.007 §9.1, TS 27.005 §3.2.5).
public enum ATFinalResult: Sendable, Hashable, CustomStringConvertible {
    case ok
    case error
    /// `+CME ERROR: <err>` — TS 27.007 §9.2 (numeric with `AT+CMEE=1`, verbose with `AT+CMEE=2`).
    case cmeError(ATErrorDetail)
    /// `+CMS ERROR: <err>` — TS 27.005 §3.2.5.
    case cmsError(ATErrorDetail)
    case noCarrier
    case busy
    case noAnswer
    case noDialtone
    /// Vendor finals that mean failure: `COMMAND NOT SUPPORT` (Huawei), `TOO MANY PARAMETERS`, `ABORTED`.
    case vendorError(String)

    public var isSuccess: Bool { self == .ok }

    public var description: String {
        switch self {
        case .ok: "OK"
        case .error: "ERROR"
        case .cmeError(let detail): "+CME ERROR: \(detail)"
        case .cmsError(let detail): "+CMS ERROR: \(detail)"
        case .noCarrier: "NO CARRIER"
        case .busy: "BUSY"
        case .noAnswer: "NO ANSWER"
        case .noDialtone: "NO DIALTONE"
        case .vendorError(let text): text
        }
    }

    /// Recognises a final result line, or returns nil.
    public static func parse(_ line: String) -> ATFinalResult? {
        switch line.uppercased() {
        case "OK": return .ok
        case "ERROR": return .error
        case "NO CARRIER": return .noCarrier
        case "BUSY": return .busy
        case "NO ANSWER": return .noAnswer
        case "NO DIALTONE", "NO DIAL TONE": return .noDialtone
        case "COMMAND NOT SUPPORT", "COMMAND NOT SUPPORTED", "TOO MANY PARAMETERS", "ABORTED":
            return .vendorError(line)
        default: break
        }
        if let rest = line.dropPrefix(caseInsensitive: "+CME ERROR:") {
            return .cmeError(ATErrorDetail(text: rest, table: .cme))
        }
        if let rest = line.dropPrefix(caseInsensitive: "+CMS ERROR:") {
            return .cmsError(ATErrorDetail(text: rest, table: .cms))
        }
        return nil
    }
}

/// A CME or CMS error: the numeric code when known, and what it means.
public struct ATErrorDetail: Sendable, Hashable, CustomStringConvertible {
    /// The numeric code (also recovered from a verbose text via the table); nil for unknown verbose text.
    public let code: Int?
    /// The meaning from TS 27.007 §9.2 / TS 27.005 §3.2.5, or the modem's own text.
    public let meaning: String

    public init(code: Int?, meaning: String) {
        self.code = code
        self.meaning = meaning
    }

    init(text raw: String, table: ATErrorCatalogue.Table) {
        let text = raw.trimmingATWhitespace()
        if let number = Int(text) {
            self.init(code: number, meaning: ATErrorCatalogue.meaning(of: number, in: table))
        } else if let code = ATErrorCatalogue.code(forMeaning: text, in: table) {
            self.init(code: code, meaning: text)
        } else {
            self.init(code: nil, meaning: text)
        }
    }

    public var description: String {
        if let code { return "\(code) (\(meaning))" }
        return meaning
    }
}

extension String {
    func dropPrefix(caseInsensitive prefix: String) -> String? {
        guard count >= prefix.count else { return nil }
        let head = self.prefix(prefix.count)
        guard head.uppercased() == prefix.uppercased() else { return nil }
        return String(dropFirst(prefix.count))
    }

    func trimmingATWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
