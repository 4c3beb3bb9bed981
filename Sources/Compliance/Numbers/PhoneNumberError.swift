/// Why a phone number was refused. Each case carries what a person needs to fix the input.
public enum PhoneNumberError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing but white space and separators.
    case empty
    /// Letters are not phone numbers (alphanumeric senders cannot receive replies).
    case containsLetters(input: String)
    /// A character that is neither a digit nor an accepted separator (space, `.`, `-`, `/`, `(`, `)`, leading `+`).
    case invalidCharacter(Character, input: String)
    /// `+` somewhere else than at the start.
    case misplacedPlus(input: String)
    /// The default country given for national numbers is not in `NumberingPlan.all`.
    case unknownCountry(String)
    /// An international number whose calling code is not in `NumberingPlan.all`.
    case unknownCallingCode(digits: String)
    /// Fewer digits than the country's plan allows (national significant number).
    case tooShort(nationalNumber: String, region: String, minimum: Int)
    /// More digits than the country's plan allows, or than E.164's 15.
    case tooLong(nationalNumber: String, region: String, maximum: Int)
    /// A national number that starts where the plan allows no number to start (e.g. `0` after the trunk prefix).
    case invalidNationalNumber(nationalNumber: String, region: String)

    public var description: String {
        switch self {
        case .empty:
            "empty phone number"
        case .containsLetters(let input):
            "\"\(input)\" contains letters; a phone number has only digits, spaces, dots, dashes and a leading +"
        case .invalidCharacter(let character, let input):
            "\"\(input)\" contains \"\(character)\", which is not a digit or a separator"
        case .misplacedPlus(let input):
            "\"\(input)\": + is only allowed at the start"
        case .unknownCountry(let region):
            "unknown country \"\(region)\" for national numbers (use an ISO 3166 code such as FR)"
        case .unknownCallingCode(let digits):
            "+\(digits): unknown or unsupported country calling code"
        case .tooShort(let nsn, let region, let minimum):
            "\(nsn) is too short for \(region): \(nsn.count) digits after the country code, at least \(minimum) expected"
        case .tooLong(let nsn, let region, let maximum):
            "\(nsn) is too long for \(region): \(nsn.count) digits after the country code, at most \(maximum) expected"
        case .invalidNationalNumber(let nsn, let region):
            "\(nsn) is not a valid \(region) number"
        }
    }
}
