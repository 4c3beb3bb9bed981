import Foundation

/// The time zones a recipient may be in, from its number (quiet hours are the recipient's local
/// time). A country spanning several zones gives all of them, and `SendPolicy` waits until the
/// window is open in each: the conservative reading when the number cannot tell where its holder is.
public struct RecipientTimeZones: Sendable, Hashable {
    /// ISO 3166 region → IANA time zone identifiers.
    public var byRegion: [String: [String]]
    /// E.164 prefix (with "+") → identifiers; wins over `byRegion` (longest prefix first).
    public var byPrefix: [String: [String]]
    /// For a region with no entry (the installation's own zone).
    public var fallback: String

    public init(byRegion: [String: [String]] = RecipientTimeZones.defaultByRegion,
                byPrefix: [String: [String]] = RecipientTimeZones.defaultByPrefix,
                fallback: String = "Europe/Paris") {
        self.byRegion = byRegion
        self.byPrefix = byPrefix
        self.fallback = fallback
    }

    /// The identifiers for `number`.
    public func identifiers(for number: PhoneNumber) -> [String] {
        if let prefix = byPrefix.keys.filter({ number.e164.hasPrefix($0) }).max(by: { $0.count < $1.count }),
           let zones = byPrefix[prefix], !zones.isEmpty {
            return zones
        }
        if let zones = byRegion[number.region], !zones.isEmpty { return zones }
        return [fallback]
    }

    /// The identifiers for `number` located at `place` (a numbering library's geocoder): an
    /// explicit prefix entry wins, then the state or province of a NANP number
    /// (`NorthAmericanTimeZones`), then the region.
    public func identifiers(for number: PhoneNumber, place: String?) -> [String] {
        let hasPrefixEntry = byPrefix.contains { number.e164.hasPrefix($0.key) && !$0.value.isEmpty }
        if !hasPrefixEntry, let place, let zones = NorthAmericanTimeZones.zones(region: number.region, place: place) {
            return zones
        }
        return identifiers(for: number)
    }

    /// `timeZones(for:)` narrowed by `place` (see `identifiers(for:place:)`).
    public func timeZones(for number: PhoneNumber, place: String?) -> [TimeZone] {
        let zones = identifiers(for: number, place: place).compactMap(TimeZone.init(identifier:))
        if !zones.isEmpty { return zones }
        return timeZones(for: number)
    }

    /// The time zones for `number`; identifiers the system does not know are skipped, and if none
    /// is left, `fallback` (or UTC) is used.
    public func timeZones(for number: PhoneNumber) -> [TimeZone] {
        let zones = identifiers(for: number).compactMap(TimeZone.init(identifier:))
        if !zones.isEmpty { return zones }
        return [TimeZone(identifier: fallback) ?? TimeZone(secondsFromGMT: 0) ?? .current]
    }

    public static let defaultByRegion: [String: [String]] = [
        "FR": ["Europe/Paris"], "GP": ["America/Guadeloupe"], "BL": ["America/St_Barthelemy"],
        "MF": ["America/Marigot"], "MQ": ["America/Martinique"], "GF": ["America/Cayenne"],
        "RE": ["Indian/Reunion"], "YT": ["Indian/Mayotte"], "PM": ["America/Miquelon"],
        "NC": ["Pacific/Noumea"], "PF": ["Pacific/Tahiti", "Pacific/Marquesas", "Pacific/Gambier"],
        "WF": ["Pacific/Wallis"], "MC": ["Europe/Monaco"], "AD": ["Europe/Andorra"], "CH": ["Europe/Zurich"],
        "LI": ["Europe/Vaduz"], "GB": ["Europe/London"], "AT": ["Europe/Vienna"], "BE": ["Europe/Brussels"],
        "BG": ["Europe/Sofia"], "HR": ["Europe/Zagreb"], "CY": ["Asia/Nicosia"], "CZ": ["Europe/Prague"],
        "DK": ["Europe/Copenhagen"], "EE": ["Europe/Tallinn"], "FI": ["Europe/Helsinki"], "DE": ["Europe/Berlin"],
        "GR": ["Europe/Athens"], "HU": ["Europe/Budapest"], "IE": ["Europe/Dublin"], "IT": ["Europe/Rome"],
        "LV": ["Europe/Riga"], "LT": ["Europe/Vilnius"], "LU": ["Europe/Luxembourg"], "MT": ["Europe/Malta"],
        "NL": ["Europe/Amsterdam"], "PL": ["Europe/Warsaw"], "PT": ["Europe/Lisbon", "Atlantic/Azores"],
        "RO": ["Europe/Bucharest"], "SK": ["Europe/Bratislava"], "SI": ["Europe/Ljubljana"],
        "ES": ["Europe/Madrid", "Atlantic/Canary"], "SE": ["Europe/Stockholm"], "IS": ["Atlantic/Reykjavik"],
        "NO": ["Europe/Oslo"],
        "US": ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles"],
        "CA": ["America/St_Johns", "America/Halifax", "America/Toronto", "America/Winnipeg", "America/Regina",
               "America/Edmonton", "America/Vancouver"],
        "MA": ["Africa/Casablanca"], "DZ": ["Africa/Algiers"], "TN": ["Africa/Tunis"],
    ]

    /// Hawaii and Alaska area codes, outside the contiguous US zones.
    public static let defaultByPrefix: [String: [String]] = [
        "+1808": ["Pacific/Honolulu"],
        "+1907": ["America/Anchorage"],
    ]
}
