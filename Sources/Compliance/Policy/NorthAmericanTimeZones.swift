/// Time zones of NANP numbers (+1) from where the number is, as libphonenumber's offline geocoder
/// names it (`"San Francisco, CA"`, `"Washington D.C."`, `"Hawaii"`, `"Quebec"`). A US number's area
/// code tells its state; without it, quiet hours wait for every zone of the country (the westernmost
/// one decides). States and provinces that span zones keep all of theirs: the window must be open
/// in each (the conservative reading, as for a whole country).
///
/// Zones per state: IANA tz database `zone1970.tab` (the state's zones), checked against the
/// NANPA area code map.
public enum NorthAmericanTimeZones {
    /// The IANA zones of `place` in `region` (`US` or `CA`), or nil when the place names no state
    /// or province (e.g. `"United States"`).
    public static func zones(region: String, place: String) -> [String]? {
        let trimmed = place.trimmingWhitespace()
        guard !trimmed.isEmpty else { return nil }
        switch region.uppercased() {
        case "US":
            if let code = stateCode(in: trimmed) { return usStates[code] }
            return nil
        case "CA":
            if let code = stateCode(in: trimmed), let zones = canadianProvinces[code] { return zones }
            return canadianProvinceNames[trimmed.lowercased()].flatMap { canadianProvinces[$0] }
        default:
            return nil
        }
    }

    /// `"City, ST"` → `ST`; a full state name → its code; `"Washington D.C."` → `DC`.
    static func stateCode(in place: String) -> String? {
        if let comma = place.lastIndex(of: ",") {
            let code = String(place[place.index(after: comma)...]).trimmingWhitespace().uppercased()
            if code.count == 2 { return code }
        }
        let lower = place.lowercased()
        if lower.hasPrefix("washington d.c") || lower == "district of columbia" { return "DC" }
        return usStateNames[lower]
    }

    static let eastern = "America/New_York", central = "America/Chicago", mountain = "America/Denver"
    static let pacific = "America/Los_Angeles"

    static let usStates: [String: [String]] = [
        "AL": [central], "AK": ["America/Anchorage", "America/Adak"], "AZ": ["America/Phoenix"],
        "AR": [central], "CA": [pacific], "CO": [mountain], "CT": [eastern], "DE": [eastern], "DC": [eastern],
        "FL": [eastern, central], "GA": [eastern], "HI": ["Pacific/Honolulu"], "ID": ["America/Boise", pacific],
        "IL": [central], "IN": ["America/Indiana/Indianapolis", central], "IA": [central], "KS": [central, mountain],
        "KY": ["America/Kentucky/Louisville", central], "LA": [central], "ME": [eastern], "MD": [eastern],
        "MA": [eastern], "MI": ["America/Detroit", "America/Menominee"], "MN": [central], "MS": [central],
        "MO": [central], "MT": [mountain], "NE": [central, mountain], "NV": [pacific], "NH": [eastern],
        "NJ": [eastern], "NM": [mountain], "NY": [eastern], "NC": [eastern], "ND": [central, mountain],
        "OH": [eastern], "OK": [central], "OR": [pacific, "America/Boise"], "PA": [eastern], "RI": [eastern],
        "SC": [eastern], "SD": [central, mountain], "TN": [central, eastern], "TX": [central, mountain],
        "UT": [mountain], "VT": [eastern], "VA": [eastern], "WA": [pacific], "WV": [eastern], "WI": [central],
        "WY": [mountain],
    ]

    static let usStateNames: [String: String] = [
        "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
        "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID",
        "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
        "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
        "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
        "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
        "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
        "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX",
        "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA", "west virginia": "WV",
        "wisconsin": "WI", "wyoming": "WY",
    ]

    static let canadianProvinces: [String: [String]] = [
        "NL": ["America/St_Johns", "America/Goose_Bay"], "NS": ["America/Halifax"], "PE": ["America/Halifax"],
        "NB": ["America/Moncton"], "QC": ["America/Toronto"], "ON": ["America/Toronto", "America/Winnipeg"],
        "MB": ["America/Winnipeg"], "SK": ["America/Regina"], "AB": ["America/Edmonton"],
        "BC": ["America/Vancouver", "America/Edmonton"], "YT": ["America/Whitehorse"],
        "NT": ["America/Yellowknife"], "NU": ["America/Iqaluit", "America/Rankin_Inlet", "America/Cambridge_Bay"],
    ]

    static let canadianProvinceNames: [String: String] = [
        "newfoundland and labrador": "NL", "newfoundland": "NL", "nova scotia": "NS", "prince edward island": "PE",
        "new brunswick": "NB", "quebec": "QC", "québec": "QC", "ontario": "ON", "manitoba": "MB",
        "saskatchewan": "SK", "alberta": "AB", "british columbia": "BC", "yukon": "YT",
        "northwest territories": "NT", "nunavut": "NU",
        "nova scotia/prince edward island": "NS",
    ]
}
