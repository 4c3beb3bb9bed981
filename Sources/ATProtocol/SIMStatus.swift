/// SIM state from `+CPIN: <code>` (TS 27.007 §8.3), plus "not inserted" (CME 10).
public enum SIMStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    case ready
    case pinRequired
    case pukRequired
    case pin2Required
    case puk2Required
    case notInserted
    /// A phone or network lock (`PH-SIM PIN`, `PH-NET PIN` …): the SIM needs something we do not enter.
    case locked(String)

    public var description: String {
        switch self {
        case .ready: "ready"
        case .pinRequired: "SIM PIN required"
        case .pukRequired: "SIM PUK required"
        case .pin2Required: "SIM PIN2 required"
        case .puk2Required: "SIM PUK2 required"
        case .notInserted: "SIM not inserted"
        case .locked(let code): "locked (\(code))"
        }
    }

    /// Parses `+CPIN: READY` / `+CPIN: SIM PIN` / … (quotes tolerated).
    public static func parse(_ line: String) -> SIMStatus? {
        guard let fields = ATFields.fields(of: line, prefix: "+CPIN"), let code = fields.first?.value else { return nil }
        return parse(code: code)
    }

    /// Parses the bare `<code>` of `+CPIN`.
    public static func parse(code: String) -> SIMStatus? {
        switch code.uppercased() {
        case "READY": .ready
        case "SIM PIN": .pinRequired
        case "SIM PUK": .pukRequired
        case "SIM PIN2": .pin2Required
        case "SIM PUK2": .puk2Required
        case "NOT INSERTED", "SIM NOT INSERTED", "NOT READY", "": .notInserted
        default: .locked(code)
        }
    }
}

/// Remaining attempts for PIN and PUK, where the modem tells.
public struct PINRetries: Sendable, Hashable, Codable {
    public var pin: Int?
    public var puk: Int?

    public init(pin: Int?, puk: Int?) {
        self.pin = pin
        self.puk = puk
    }

    /// Parses any of the retry counters modems offer, from all the lines of one answer:
    /// - `+CPINR: SIM PIN,3,3` / `+CPINR: SIM PUK,10,10` (TS 27.007 §8.65; one line per code)
    /// - `^CPIN: SIM PIN,3,10,3,10,3` (Huawei: code,[times],puk_times,pin_times,puk2_times,pin2_times)
    /// - `+QPINC: "SC",3,10` (Quectel: facility, PIN, PUK)
    /// - `+SPIC: 3,10,3,10` (SIMCom: PIN1, PUK1, PIN2, PUK2)
    /// - `+CPINC: 3,3,10,10` (Wavecom: PIN1, PIN2, PUK1, PUK2)
    /// - `+CPNNUM`-style answers are not counters and give nil.
    public static func parse(_ lines: [String]) -> PINRetries? {
        var result = PINRetries(pin: nil, puk: nil)
        var found = false
        for line in lines {
            let (name, fields) = ATFields.split(line)
            switch name?.uppercased() {
            case "+CPINR":
                guard fields.count >= 2, let count = fields[1].int else { continue }
                switch fields[0].value.uppercased() {
                case "SIM PIN": result.pin = count; found = true
                case "SIM PUK": result.puk = count; found = true
                default: continue
                }
            case "^CPIN":
                guard fields.count >= 4 else { continue }
                if let puk = fields[2].int { result.puk = puk; found = true }
                if let pin = fields[3].int { result.pin = pin; found = true }
            case "+QPINC":
                guard fields.count >= 3, fields[0].value.uppercased() == "SC" else { continue }
                result.pin = fields[1].int
                result.puk = fields[2].int
                found = true
            case "+SPIC":
                guard fields.count >= 2 else { continue }
                result.pin = fields[0].int
                result.puk = fields[1].int
                found = true
            case "+CPINC":
                guard fields.count >= 3 else { continue }
                result.pin = fields[0].int
                result.puk = fields[2].int
                found = true
            default: continue
            }
        }
        return found ? result : nil
    }
}
