/// A command line ready to write (without its terminating CR), built so that nothing taken from user
/// data can end the line early, open or close a string, or submit/abort a PDU: CR, LF, `"`, Ctrl-Z
/// (0x1A), ESC (0x1B) and other control characters are rejected, never stripped or escaped.
///
/// V.250 §5.2.1: a command line ends at S3 (CR); TS 27.007 §4.1: string constants are in double
/// quotes; TS 27.005 §3.5.1: Ctrl-Z submits and ESC aborts the PDU after the prompt.
public struct ATCommand: Sendable, Hashable, CustomStringConvertible {
    /// The command line, e.g. `AT+CMGS=23`.
    public let line: String
    /// True for commands answered by the `> ` prompt (`AT+CMGS`, `AT+CMGW`).
    public let expectsPrompt: Bool
    /// True when the command's information line is its whole answer if no final result follows it
    /// within a short grace: some Wavecom firmwares answer `AT+CPIN?` with `+CPIN: READY` and never
    /// send `OK`. A final that comes later belongs to this command and must be absorbed.
    public let informationSuffices: Bool

    private init(_ line: String, expectsPrompt: Bool = false, informationSuffices: Bool = false) {
        self.line = line
        self.expectsPrompt = expectsPrompt
        self.informationSuffices = informationSuffices
    }

    public var description: String { line }

    /// The bytes to write: the line and CR.
    public var bytes: [UInt8] { Array(line.utf8) + [0x0D] }

    // MARK: Fixed commands

    public static let attention = ATCommand("AT")
    public static let echoOff = ATCommand("ATE0")
    public static let verboseErrorsNumeric = ATCommand("AT+CMEE=1")
    public static let pduMode = ATCommand("AT+CMGF=0")
    /// `AT+CSMS=0` (TS 27.005 §3.2.1): no `+CNMA` owed for messages routed to the host.
    public static let smsServicePhase2 = ATCommand("AT+CSMS=0")
    /// `AT+CPIN?`: its `+CPIN:` line suffices (Wavecom sends no final result after it).
    public static let simStatus = ATCommand("AT+CPIN?", informationSuffices: true)
    public static let pinRetries = ATCommand("AT+CPINR")
    public static let manufacturer = ATCommand("AT+CGMI")
    public static let model = ATCommand("AT+CGMM")
    public static let revision = ATCommand("AT+CGMR")
    public static let imei = ATCommand("AT+CGSN")
    public static let imsi = ATCommand("AT+CIMI")
    public static let iccid = ATCommand("AT+CCID")
    public static let signalQuality = ATCommand("AT+CSQ")
    public static let ownNumber = ATCommand("AT+CNUM")
    public static let serviceCentre = ATCommand("AT+CSCA?")
    public static let storageQuery = ATCommand("AT+CPMS?")
    public static let errorReportingQuery = ATCommand("AT+CMEE?")
    public static let characterSetQuery = ATCommand("AT+CSCS?")
    public static let messageFormatQuery = ATCommand("AT+CMGF?")

    /// `AT+CREG?` / `AT+CGREG?` / `AT+CEREG?`.
    public static func registrationQuery(_ domain: RegistrationStatus.Domain) -> ATCommand {
        ATCommand("AT\(domain.rawValue)?")
    }

    // MARK: Commands with parameters (validated)

    /// `AT+CPIN="<pin>"` (TS 27.007 §8.3): the PIN must be 4 to 8 digits.
    public static func enterPIN(_ pin: String) throws(ATCommandError) -> ATCommand {
        guard (4...8).contains(pin.count), pin.allSatisfy(\.isASCIIDigit) else {
            throw .invalidValue(field: "PIN", reason: "a SIM PIN is 4 to 8 digits")
        }
        return ATCommand("AT+CPIN=\"\(pin)\"")
    }

    /// `AT+CMGS=<length>` (TS 27.005 §3.5.1): the TPDU length in octets, 1…255 (without the SMSC field).
    public static func sendPDU(tpduLength: Int) throws(ATCommandError) -> ATCommand {
        guard (1...255).contains(tpduLength) else {
            throw .invalidValue(field: "TPDU length", reason: "must be 1…255 octets, got \(tpduLength)")
        }
        return ATCommand("AT+CMGS=\(tpduLength)", expectsPrompt: true)
    }

    /// The PDU written after the prompt, terminated by Ctrl-Z: hexadecimal digits only, even count.
    public static func pduPayload(_ hex: String) throws(ATCommandError) -> [UInt8] {
        guard !hex.isEmpty, hex.utf8.count % 2 == 0, hex.utf8.allSatisfy(\.isHexDigit) else {
            throw .invalidValue(field: "PDU", reason: "a PDU is an even number of hexadecimal digits")
        }
        return Array(hex.utf8) + [0x1A]
    }

    /// Ctrl-Z: ends a PDU entered after the prompt; only then does the modem send it (TS 27.005 §3.5.1).
    public static let endPDU: [UInt8] = [0x1A]

    /// ESC: aborts a PDU being entered after the prompt (TS 27.005 §3.5.1).
    public static let abortPDU: [UInt8] = [0x1B]

    /// `AT+CMGL=<stat>` (TS 27.005 §3.4.2): 0 unread, 1 read, 2 unsent, 3 sent, 4 all.
    public static func listMessages(status: Int = 4) throws(ATCommandError) -> ATCommand {
        guard (0...4).contains(status) else { throw .invalidValue(field: "status", reason: "0…4") }
        return ATCommand("AT+CMGL=\(status)")
    }

    /// `AT+CMGR=<index>` (TS 27.005 §3.4.3).
    public static func readMessage(index: Int) throws(ATCommandError) -> ATCommand {
        guard (0...65535).contains(index) else { throw .invalidValue(field: "index", reason: "0…65535") }
        return ATCommand("AT+CMGR=\(index)")
    }

    /// `AT+CMGD=<index>[,<delflag>]` (TS 27.005 §3.5.4).
    public static func deleteMessage(index: Int, flag: Int? = nil) throws(ATCommandError) -> ATCommand {
        guard (0...65535).contains(index) else { throw .invalidValue(field: "index", reason: "0…65535") }
        if let flag {
            guard (0...4).contains(flag) else { throw .invalidValue(field: "delflag", reason: "0…4") }
            return ATCommand("AT+CMGD=\(index),\(flag)")
        }
        return ATCommand("AT+CMGD=\(index)")
    }

    /// `AT+CPMS="<mem1>"[,"<mem2>"[,"<mem3>"]]` (TS 27.005 §3.2.2): storage names are 2 upper-case letters.
    public static func selectStorage(_ memories: [String]) throws(ATCommandError) -> ATCommand {
        guard (1...3).contains(memories.count) else { throw .invalidValue(field: "storage", reason: "1 to 3 memories") }
        for memory in memories where !(memory.count == 2 && memory.allSatisfy({ ("A"..."Z").contains($0) })) {
            throw .invalidValue(field: "storage", reason: "\(memory.debugDescription) is not a storage name like SM, ME, MT")
        }
        return ATCommand("AT+CPMS=" + memories.map { "\"\($0)\"" }.joined(separator: ","))
    }

    /// `AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>` (TS 27.005 §3.4.1).
    public static func newMessageIndications(_ values: [Int]) throws(ATCommandError) -> ATCommand {
        guard (1...5).contains(values.count), values.allSatisfy({ (0...3).contains($0) }) else {
            throw .invalidValue(field: "CNMI", reason: "1 to 5 values, each 0…3")
        }
        return ATCommand("AT+CNMI=" + values.map(String.init).joined(separator: ","))
    }

    /// `AT+CSCA="<number>",<type>` (TS 27.005 §3.3.1): `+` then digits (type 145) or digits (129).
    public static func setServiceCentre(_ number: String) throws(ATCommandError) -> ATCommand {
        let international = number.hasPrefix("+")
        let digits = international ? number.dropFirst() : Substring(number)
        guard (1...20).contains(digits.count), digits.allSatisfy(\.isASCIIDigit) else {
            throw .invalidValue(field: "service centre", reason: "\(number.debugDescription) is not + and digits")
        }
        return ATCommand("AT+CSCA=\"\(number)\",\(international ? 145 : 129)")
    }

    /// A quoted string parameter: rejects `"`, `\`, and every control character.
    public static func quoted(_ value: String, field: String) throws(ATCommandError) -> String {
        try checkPrintable(value, field: field, forbidQuote: true)
        if value.contains("\\") { throw .forbiddenCharacter(field: field, character: "\\") }
        return "\"\(value)\""
    }

    /// A command line given whole by a person (`smsagent modem at …`, a configured reset string). It
    /// must start with `AT`; quotes are allowed (the person writes the whole line) but CR, LF, Ctrl-Z,
    /// ESC and other control characters are not.
    public static func raw(_ line: String) throws(ATCommandError) -> ATCommand {
        try checkPrintable(line, field: "command", forbidQuote: false)
        guard line.count >= 2, line.prefix(2).uppercased() == "AT" else {
            throw .invalidValue(field: "command", reason: "an AT command starts with AT")
        }
        guard line.utf8.count <= 512 else { throw .invalidValue(field: "command", reason: "longer than 512 bytes") }
        let expectsPrompt = ["AT+CMGS=", "AT+CMGW"].contains { line.uppercased().hasPrefix($0) }
        return ATCommand(line, expectsPrompt: expectsPrompt)
    }

    private static func checkPrintable(_ value: String, field: String, forbidQuote: Bool) throws(ATCommandError) {
        for scalar in value.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) || (forbidQuote && scalar == "\"") {
                throw .forbiddenCharacter(field: field, character: Character(scalar))
            }
            if scalar.value > 0x7E { throw .forbiddenCharacter(field: field, character: Character(scalar)) }
        }
    }
}

/// Why a command could not be built. Nothing is sent when this is thrown.
public enum ATCommandError: Error, Sendable, Hashable, CustomStringConvertible {
    case forbiddenCharacter(field: String, character: Character)
    case invalidValue(field: String, reason: String)

    public var description: String {
        switch self {
        case .forbiddenCharacter(let field, let character):
            let code = character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined()
            return "\(field): character \(code) is not allowed in an AT command"
        case .invalidValue(let field, let reason): return "\(field): \(reason)"
        }
    }
}
