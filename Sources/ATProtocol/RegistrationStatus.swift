/// Network registration as reported by `+CREG` (circuit switched, TS 27.007 §7.2), `+CGREG` (GPRS,
/// §10.1.20), `+CEREG` (EPS, §10.1.22) and `+C5GREG` (5GS, §10.1.42).
public struct RegistrationStatus: Sendable, Hashable, Codable {
    public enum Domain: String, Sendable, Hashable, Codable { case cs = "+CREG", gprs = "+CGREG", eps = "+CEREG", fiveG = "+C5GREG" }

    /// `<stat>` (TS 27.007 §7.2).
    public enum State: Int, Sendable, Hashable, Codable {
        case notRegistered = 0, home = 1, searching = 2, denied = 3, unknown = 4, roaming = 5
        case smsOnlyHome = 6, smsOnlyRoaming = 7, emergencyOnly = 8
        case csfbNotPreferredHome = 9, csfbNotPreferredRoaming = 10, attachedForEmergencyOnly = 11
    }

    public var domain: Domain
    public var state: State
    /// Location/tracking area code (hex as the modem gives it), when reported (`<n>=2`).
    public var areaCode: String?
    /// Cell identity (hex), when reported.
    public var cellID: String?
    /// `<AcT>` (0 GSM, 2 UTRAN, 7 E-UTRAN …), when reported.
    public var accessTechnology: Int?

    public init(domain: Domain, state: State, areaCode: String? = nil, cellID: String? = nil, accessTechnology: Int? = nil) {
        self.domain = domain
        self.state = state
        self.areaCode = areaCode
        self.cellID = cellID
        self.accessTechnology = accessTechnology
    }

    /// True when the modem can send SMS through this registration (home, roaming, SMS-only, CSFB).
    public var isRegistered: Bool {
        switch state {
        case .home, .roaming, .smsOnlyHome, .smsOnlyRoaming, .csfbNotPreferredHome, .csfbNotPreferredRoaming: true
        default: false
        }
    }

    /// Parses the answer to a read command (`AT+CREG?`): `+CREG: <n>,<stat>[,<lac>,<ci>[,<AcT>]]`.
    public static func parseQueryResponse(_ line: String) -> RegistrationStatus? {
        guard let (domain, fields) = split(line), fields.count >= 2, fields[0].int != nil else { return nil }
        return make(domain, Array(fields.dropFirst()))
    }

    /// Parses an unsolicited code: `+CREG: <stat>[,<lac>,<ci>[,<AcT>]]` (`<n>` is never present).
    public static func parseUnsolicited(_ line: String) -> RegistrationStatus? {
        guard let (domain, fields) = split(line), !fields.isEmpty else { return nil }
        return make(domain, fields)
    }

    private static func split(_ line: String) -> (Domain, [ATField])? {
        let parts = ATFields.split(line)
        guard let name = parts.name?.uppercased(), let domain = Domain(rawValue: name) else { return nil }
        return (domain, parts.fields)
    }

    private static func make(_ domain: Domain, _ fields: [ATField]) -> RegistrationStatus? {
        guard let raw = fields.first?.int, let state = State(rawValue: raw) else { return nil }
        func text(_ i: Int) -> String? { i < fields.count && !fields[i].isEmpty ? fields[i].value : nil }
        // +CEREG/+C5GREG put <tac>,<ci>,<AcT> in the same places as <lac>,<ci>,<AcT>.
        return RegistrationStatus(domain: domain, state: state, areaCode: text(1), cellID: text(2),
                                  accessTechnology: fields.count > 3 ? fields[3].int : nil)
    }
}
