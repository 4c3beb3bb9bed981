/// One country's (or territory's) numbering plan, as far as smsagent needs it: enough to turn
/// what people type into E.164 (ITU-T E.164 §6) and back into the form a recipient dials.
///
/// Lengths are those of the *national significant number* (NSN: the digits after the country
/// calling code, without trunk prefix), from the ITU-T national numbering plans (E.164 Annex to
/// Operational Bulletin). They are deliberately a little lenient where a plan has several lengths.
public struct NumberingPlan: Sendable, Hashable, Codable {
    /// ISO 3166-1 alpha-2 code, upper case ("FR").
    public var region: String
    /// Country calling code without "+" ("33").
    public var callingCode: String
    /// National trunk prefixes, the first one used for display ("0" in France, "1" in the NANP,
    /// "06" in Hungary). Empty where the plan has none (Italy, Spain, Monaco ...).
    public var trunkPrefixes: [String]
    /// Allowed NSN lengths.
    public var nationalLengths: ClosedRange<Int>
    /// For calling codes shared by several regions: NSN prefixes that identify this region.
    /// Empty for the main region of a calling code.
    public var leadingDigits: [String]
    /// Whether the region dials inside the French national numbering plan (mainland and the
    /// overseas departments share one 10-digit plan: `0692…` dialled from Paris reaches Réunion).
    public var frenchPlan: Bool

    public init(region: String, callingCode: String, trunkPrefixes: [String], nationalLengths: ClosedRange<Int>,
                leadingDigits: [String] = [], frenchPlan: Bool = false) {
        self.region = region
        self.callingCode = callingCode
        self.trunkPrefixes = trunkPrefixes
        self.nationalLengths = nationalLengths
        self.leadingDigits = leadingDigits
        self.frenchPlan = frenchPlan
    }

    /// The main display trunk prefix ("" when the plan has none).
    public var trunkPrefix: String { trunkPrefixes.first ?? "" }
}

extension NumberingPlan {
    /// The regions smsagent knows: EU/EEA, the UK, Switzerland, the NANP (US/CA), the Maghreb,
    /// Monaco, Andorra and the French overseas departments and collectivities.
    public static let all: [NumberingPlan] = [
        // France and the overseas departments (one national plan; ARCEP numbering plan).
        .init(region: "FR", callingCode: "33", trunkPrefixes: ["0"], nationalLengths: 9...9, frenchPlan: true),
        .init(region: "GP", callingCode: "590", trunkPrefixes: ["0"], nationalLengths: 9...9, frenchPlan: true),
        .init(region: "BL", callingCode: "590", trunkPrefixes: ["0"], nationalLengths: 9...9,
              leadingDigits: ["59027"], frenchPlan: true),
        .init(region: "MF", callingCode: "590", trunkPrefixes: ["0"], nationalLengths: 9...9,
              leadingDigits: ["59087"], frenchPlan: true),
        .init(region: "MQ", callingCode: "596", trunkPrefixes: ["0"], nationalLengths: 9...9, frenchPlan: true),
        .init(region: "GF", callingCode: "594", trunkPrefixes: ["0"], nationalLengths: 9...9, frenchPlan: true),
        .init(region: "RE", callingCode: "262", trunkPrefixes: ["0"], nationalLengths: 9...9, frenchPlan: true),
        .init(region: "YT", callingCode: "262", trunkPrefixes: ["0"], nationalLengths: 9...9,
              leadingDigits: ["269", "639"], frenchPlan: true),
        // French collectivities with their own plans.
        .init(region: "PM", callingCode: "508", trunkPrefixes: [], nationalLengths: 6...6),
        .init(region: "NC", callingCode: "687", trunkPrefixes: [], nationalLengths: 6...6),
        .init(region: "PF", callingCode: "689", trunkPrefixes: [], nationalLengths: 8...8),
        .init(region: "WF", callingCode: "681", trunkPrefixes: [], nationalLengths: 6...6),
        // Neighbours.
        .init(region: "MC", callingCode: "377", trunkPrefixes: ["0"], nationalLengths: 8...9),
        .init(region: "AD", callingCode: "376", trunkPrefixes: [], nationalLengths: 6...9),
        .init(region: "CH", callingCode: "41", trunkPrefixes: ["0"], nationalLengths: 9...9),
        .init(region: "LI", callingCode: "423", trunkPrefixes: [], nationalLengths: 7...9),
        .init(region: "GB", callingCode: "44", trunkPrefixes: ["0"], nationalLengths: 7...10),
        // EU.
        .init(region: "AT", callingCode: "43", trunkPrefixes: ["0"], nationalLengths: 4...13),
        .init(region: "BE", callingCode: "32", trunkPrefixes: ["0"], nationalLengths: 8...9),
        .init(region: "BG", callingCode: "359", trunkPrefixes: ["0"], nationalLengths: 7...9),
        .init(region: "HR", callingCode: "385", trunkPrefixes: ["0"], nationalLengths: 8...9),
        .init(region: "CY", callingCode: "357", trunkPrefixes: [], nationalLengths: 8...8),
        .init(region: "CZ", callingCode: "420", trunkPrefixes: [], nationalLengths: 9...9),
        .init(region: "DK", callingCode: "45", trunkPrefixes: [], nationalLengths: 8...8),
        .init(region: "EE", callingCode: "372", trunkPrefixes: [], nationalLengths: 7...8),
        .init(region: "FI", callingCode: "358", trunkPrefixes: ["0"], nationalLengths: 5...12),
        .init(region: "DE", callingCode: "49", trunkPrefixes: ["0"], nationalLengths: 6...13),
        .init(region: "GR", callingCode: "30", trunkPrefixes: [], nationalLengths: 10...10),
        .init(region: "HU", callingCode: "36", trunkPrefixes: ["06"], nationalLengths: 8...9),
        .init(region: "IE", callingCode: "353", trunkPrefixes: ["0"], nationalLengths: 7...9),
        .init(region: "IT", callingCode: "39", trunkPrefixes: [], nationalLengths: 6...11),
        .init(region: "LV", callingCode: "371", trunkPrefixes: [], nationalLengths: 8...8),
        // Lithuania moved its trunk prefix from 8 to 0 (2025); both are accepted.
        .init(region: "LT", callingCode: "370", trunkPrefixes: ["0", "8"], nationalLengths: 8...8),
        .init(region: "LU", callingCode: "352", trunkPrefixes: [], nationalLengths: 4...11),
        .init(region: "MT", callingCode: "356", trunkPrefixes: [], nationalLengths: 8...8),
        .init(region: "NL", callingCode: "31", trunkPrefixes: ["0"], nationalLengths: 9...9),
        .init(region: "PL", callingCode: "48", trunkPrefixes: [], nationalLengths: 9...9),
        .init(region: "PT", callingCode: "351", trunkPrefixes: [], nationalLengths: 9...9),
        .init(region: "RO", callingCode: "40", trunkPrefixes: ["0"], nationalLengths: 9...9),
        .init(region: "SK", callingCode: "421", trunkPrefixes: ["0"], nationalLengths: 9...9),
        .init(region: "SI", callingCode: "386", trunkPrefixes: ["0"], nationalLengths: 8...8),
        .init(region: "ES", callingCode: "34", trunkPrefixes: [], nationalLengths: 9...9),
        .init(region: "SE", callingCode: "46", trunkPrefixes: ["0"], nationalLengths: 7...9),
        // EEA outside the EU.
        .init(region: "IS", callingCode: "354", trunkPrefixes: [], nationalLengths: 7...9),
        .init(region: "NO", callingCode: "47", trunkPrefixes: [], nationalLengths: 8...8),
        // North American Numbering Plan: 3-digit area code + 7 digits; CA told apart by area code.
        .init(region: "US", callingCode: "1", trunkPrefixes: ["1"], nationalLengths: 10...10),
        .init(region: "CA", callingCode: "1", trunkPrefixes: ["1"], nationalLengths: 10...10,
              leadingDigits: canadianAreaCodes),
        // Maghreb.
        .init(region: "MA", callingCode: "212", trunkPrefixes: ["0"], nationalLengths: 9...9),
        .init(region: "DZ", callingCode: "213", trunkPrefixes: ["0"], nationalLengths: 8...9),
        .init(region: "TN", callingCode: "216", trunkPrefixes: [], nationalLengths: 8...8),
    ]

    /// Canadian NANP area codes (CNAC list), so `+1` numbers can be told apart from US ones.
    static let canadianAreaCodes: [String] = [
        "204", "226", "236", "249", "250", "257", "263", "289", "306", "343", "354", "365", "367", "368",
        "382", "403", "416", "418", "428", "431", "437", "438", "450", "460", "468", "474", "506", "514",
        "519", "548", "579", "581", "584", "587", "604", "613", "639", "647", "672", "683", "705", "709",
        "742", "753", "778", "780", "782", "807", "819", "825", "867", "873", "879", "902", "905", "942",
    ]

    /// French-plan NSN prefixes that belong to an overseas department, with its calling code.
    /// Used so that `0692 12 34 56` typed in France becomes `+262 692 12 34 56` (ARCEP plan).
    static let frenchOverseasPrefixes: [(prefix: String, callingCode: String)] = [
        ("262", "262"), ("263", "262"), ("692", "262"), ("693", "262"),   // Réunion
        ("269", "262"), ("639", "262"),                                   // Mayotte
        ("590", "590"), ("690", "590"), ("691", "590"),                   // Guadeloupe, St-Barth., St-Martin
        ("596", "596"), ("696", "596"), ("697", "596"),                   // Martinique
        ("594", "594"), ("694", "594"),                                   // Guyane
    ]

    private static let byRegion: [String: NumberingPlan] = Dictionary(
        all.map { ($0.region, $0) }, uniquingKeysWith: { first, _ in first })

    /// The plan of an ISO 3166 alpha-2 region (case-insensitive), or nil.
    public static func forRegion(_ region: String) -> NumberingPlan? {
        byRegion[region.uppercased()]
    }

    /// The plans sharing a calling code, main region first.
    public static func forCallingCode(_ code: String) -> [NumberingPlan] {
        all.filter { $0.callingCode == code }.sorted { $0.leadingDigits.isEmpty && !$1.leadingDigits.isEmpty }
    }

    /// The main region of a calling code (`"33"` → FR, `"44"` → GB, `"1"` → US, `"262"` → RE), with or
    /// without a leading `+`; nil for a code smsagent does not know.
    public static func mainRegion(forCallingCode code: String) -> String? {
        let digits = code.hasPrefix("+") ? String(code.dropFirst()) : code
        return forCallingCode(digits).first { $0.leadingDigits.isEmpty }?.region
    }

    /// The region a number belongs to, from its calling code and NSN.
    static func region(callingCode: String, nationalNumber: String) -> NumberingPlan? {
        let plans = forCallingCode(callingCode)
        if let specific = plans.first(where: { plan in
            plan.leadingDigits.contains { nationalNumber.hasPrefix($0) }
        }) {
            return specific
        }
        return plans.first { $0.leadingDigits.isEmpty }
    }

    /// All known calling codes, longest first (calling codes are a prefix code, ITU-T E.164 §6.2).
    static let callingCodes: [String] = Array(Set(all.map(\.callingCode))).sorted { $0.count > $1.count }
}
