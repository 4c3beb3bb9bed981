/// An unsolicited result code (URC): something the modem says on its own, not as an answer.
///
/// `Modem.unsolicited` delivers these; `transportClosed` is the stream's last event, emitted by the
/// `Modem` (never by the decoder) when the port goes away.
public enum UnsolicitedResult: Sendable, Hashable {
    /// `+CMTI: <mem>,<index>` — a new SMS was stored (TS 27.005 §3.4.1, `AT+CNMI` mt=1).
    case newMessage(storage: String, index: Int)
    /// `+CDSI: <mem>,<index>` — a status report was stored (TS 27.005 §3.4.1, ds=2).
    case statusReportStored(storage: String, index: Int)
    /// `+CMT: [<alpha>],<length>` and its PDU line — an SMS routed directly (mt=2).
    case deliver(pduHex: String, length: Int)
    /// `+CDS: <length>` and its PDU line — a status report routed directly (ds=1).
    case statusReport(pduHex: String, length: Int)
    /// `+CBM: <length>` and its PDU line — a cell broadcast message.
    case cellBroadcast(pduHex: String, length: Int)
    /// `RING` / `+CRING: …` — an incoming call (we never answer it).
    case ring
    /// `+CREG`/`+CGREG`/`+CEREG`/`+C5GREG` unsolicited registration change.
    case registration(RegistrationStatus)
    /// `+CPIN: <code>` arriving on its own (SIM inserted, removed, or ready after boot).
    case simStatus(SIMStatus)
    /// `RDY`, `START` — the modem (re)booted: settings such as `ATE0` and `AT+CNMI` are lost.
    case modemRestarted(String)
    /// Anything else (`^RSSI:`, `^BOOT:`, `^MODE:`, `^HCSQ:`, `+QIND:`, `Call Ready`, `SMS Ready` …), verbatim.
    case vendor(String)
    /// The transport closed (unplug, hang-up, close): no more events follow. `reason` is for people.
    case transportClosed(port: String, reason: String)

    /// The URC names this parser knows (the part before `:`, upper case), beyond `^…` which are all URCs.
    static let knownPrefixes: Set<String> = [
        "+CMTI", "+CDSI", "+CMT", "+CDS", "+CBM", "+CBMI", "+CRING", "+CREG", "+CGREG", "+CEREG", "+C5GREG",
        "+CPIN", "+CUSD", "+CLIP", "+CCWA", "+CGEV", "+CIEV", "+CTZV", "+CTZE", "+CTZU", "+QIND", "+QUSIM",
        "+QSTK", "+STIN", "+PACSP", "+CPSI", "+CNSMOD", "+CSQN", "+SIMCARD", "+CFUN",
    ]

    /// Whole lines that are URCs.
    static let knownLines: Set<String> = [
        "RING", "RDY", "START", "CALL READY", "SMS READY", "PB DONE", "NORMAL POWER DOWN",
        "POWERED DOWN", "+PACSP0", "+PACSP1", "UNDER-VOLTAGE WARNNING", "UNDER-VOLTAGE POWER DOWN",
    ]

    /// The PDU-carrying URCs: their next line is a PDU.
    static let pduPrefixes: Set<String> = ["+CMT", "+CDS", "+CBM"]

    /// Parses a URC line that does not announce a PDU.
    static func parse(_ line: String) -> UnsolicitedResult {
        let (name, fields) = ATFields.split(line)
        switch name?.uppercased() {
        case "+CMTI":
            if fields.count >= 2, let index = fields[1].int { return .newMessage(storage: fields[0].value, index: index) }
        case "+CDSI":
            if fields.count >= 2, let index = fields[1].int { return .statusReportStored(storage: fields[0].value, index: index) }
        case "+CRING":
            return .ring
        case "+CREG", "+CGREG", "+CEREG", "+C5GREG":
            if let status = RegistrationStatus.parseUnsolicited(line) { return .registration(status) }
        case "+CPIN":
            if let status = SIMStatus.parse(line) { return .simStatus(status) }
        default:
            break
        }
        switch line.uppercased() {
        case "RING": return .ring
        case "RDY", "START": return .modemRestarted(line)
        default: return .vendor(line)
        }
    }
}
