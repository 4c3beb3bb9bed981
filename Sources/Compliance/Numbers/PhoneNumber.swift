/// A phone number in E.164 form (ITU-T E.164 §6: `+`, country calling code, national significant
/// number, at most 15 digits), with the region it belongs to.
///
/// Two numbers are equal when their E.164 forms are: `06 12 34 56 78` (FR), `+33 6 12 34 56 78`,
/// `0033612345678` and `+33 (0)6 12 34 56 78` are one number. This is what makes an opt-out
/// apply whichever way the number was written (issue 6).
public struct PhoneNumber: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// `+33612345678`.
    public let e164: String
    /// Country calling code without `+` (`"33"`, `"262"`, `"1"`).
    public let countryCallingCode: String
    /// National significant number: the digits after the calling code, no trunk prefix (`"612345678"`).
    public let nationalNumber: String
    /// ISO 3166-1 alpha-2 region (`"FR"`, `"RE"`, `"GB"`, `"US"`, `"CA"`). For calling codes shared by
    /// several regions the region is told apart by leading digits (Mayotte in +262, Canada in +1);
    /// otherwise it is the code's main region.
    public let region: String

    /// A number a numbering library has already validated (`PhoneNumberLibrary`): digits only,
    /// `callingCode` 1–3 digits, `region` ISO 3166 alpha-2.
    public init(callingCode: String, nationalNumber: String, region: String) {
        self.countryCallingCode = callingCode
        self.nationalNumber = nationalNumber
        self.region = region
        self.e164 = "+" + callingCode + nationalNumber
    }

    /// Parses what a person typed: national (`06 12 34 56 78`, with `defaultCountry`) or
    /// international (`+33 6 12…`, `0033 6 12…`, `+33 (0)6 12…`, `011 …` from the NANP), with
    /// spaces, dots, dashes, slashes and parentheses as separators.
    ///
    /// French-plan numbers of the overseas departments get their own calling code:
    /// `0692 12 34 56` with `defaultCountry: "FR"` (and `+33 692…`) is `+262692123456`, as it is
    /// dialled and routed (ARCEP national numbering plan).
    ///
    /// - Parameter defaultCountry: ISO 3166-1 alpha-2 code used for national numbers (`"FR"`).
    /// - Throws: `PhoneNumberError` naming why the input is not a number.
    public static func parse(_ raw: String, defaultCountry: String) throws(PhoneNumberError) -> PhoneNumber {
        try PhoneNumberParser.parse(raw, defaultCountry: defaultCountry)
    }

    /// Parses an E.164 string (`+33612345678`); anything else throws.
    public init(e164 raw: String) throws(PhoneNumberError) {
        let trimmed = raw.trimmingWhitespace()
        guard trimmed.hasPrefix("+") else {
            throw trimmed.isEmpty ? .empty : .invalidNationalNumber(nationalNumber: trimmed, region: "E.164")
        }
        self = try PhoneNumberParser.parse(trimmed, defaultCountry: "FR")
    }

    /// The numbering plan of `region`.
    public var plan: NumberingPlan? { NumberingPlan.forRegion(region) }

    /// The form dialled inside the country: trunk prefix + NSN (`0612345678`, `07700900123`,
    /// `14155550123`; Italy, Spain, Monaco … have no trunk prefix).
    public var nationalFormat: String {
        (plan?.trunkPrefix ?? "") + nationalNumber
    }

    /// Whether `other` can dial this number in its national form: same calling code, or both in
    /// the French plan (mainland France and the overseas departments dial each other as `0…`).
    public func isDialableNationally(from other: PhoneNumber) -> Bool {
        if countryCallingCode == other.countryCallingCode { return true }
        return (plan?.frenchPlan ?? false) && (other.plan?.frenchPlan ?? false)
    }

    /// The form `recipient` should dial to reach this number: the national form when it dials it
    /// nationally (a French recipient sees `0612345678`), E.164 otherwise (`+33612345678`), since a
    /// national form does not work from abroad.
    public func formatted(forRecipient recipient: PhoneNumber) -> String {
        isDialableNationally(from: recipient) ? nationalFormat : e164
    }

    public var description: String { e164 }

    public static func == (lhs: PhoneNumber, rhs: PhoneNumber) -> Bool { lhs.e164 == rhs.e164 }
    public func hash(into hasher: inout Hasher) { hasher.combine(e164) }
    public static func < (lhs: PhoneNumber, rhs: PhoneNumber) -> Bool { lhs.e164 < rhs.e164 }
}

extension PhoneNumber: Codable {
    /// Encoded as its E.164 string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        self = try PhoneNumber(e164: raw)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(e164)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
