import Foundation

/// What kind of line a number is, in libphonenumber's terms (`PhoneNumberUtil::PhoneNumberType`).
///
/// Only some kinds receive an SMS: mobile numbers, and fixed-line-or-mobile numbers where a plan
/// does not tell them apart (the NANP). A landline, premium-rate or shared-cost number wastes a
/// credit at best and, for premium numbers, can cost the sender more (COMPLIANCE.md "Numbers").
public enum PhoneNumberType: String, Sendable, Hashable, Codable, CaseIterable {
    case mobile
    case fixedLine = "fixed_line"
    case fixedLineOrMobile = "fixed_line_or_mobile"
    case tollFree = "toll_free"
    case premiumRate = "premium_rate"
    case sharedCost = "shared_cost"
    case voip
    case personal
    case pager
    case uan
    case voicemail
    /// Valid, but the library cannot say which kind.
    case unknown

    /// The kinds an SMS goes to unless the configuration adds more (`compliance.sms_number_types`).
    public static let smsCapable: Set<PhoneNumberType> = [.mobile, .fixedLineOrMobile]

    /// For people: "fixed line", "premium rate", "VoIP" …
    public var label: String {
        switch self {
        case .mobile: "mobile"
        case .fixedLine: "fixed line"
        case .fixedLineOrMobile: "fixed line or mobile"
        case .tollFree: "toll free"
        case .premiumRate: "premium rate"
        case .sharedCost: "shared cost"
        case .voip: "VoIP"
        case .personal: "personal number"
        case .pager: "pager"
        case .uan: "universal access number"
        case .voicemail: "voicemail"
        case .unknown: "unknown type"
        }
    }
}

/// What a numbering library knows about one number.
public struct PhoneNumberInfo: Sendable, Hashable {
    /// The number in E.164, with its calling code and region.
    public var number: PhoneNumber
    /// Whether the number matches a pattern of its region's plan (it may still be unassigned).
    public var isValid: Bool
    public var type: PhoneNumberType
    /// As dialled in the country, grouped (`01 45 67 89 01`, `090-1234-5678`, `(202) 555-0143`).
    public var nationalFormat: String
    /// International form, grouped (`+33 1 45 67 89 01`).
    public var internationalFormat: String
    /// Where the number is (the library's offline geocoder, English): `"Washington D.C."`,
    /// `"San Francisco, CA"`, `"Paris"`, `"France"`. Nil when unknown.
    public var place: String?

    public init(number: PhoneNumber, isValid: Bool, type: PhoneNumberType, nationalFormat: String,
                internationalFormat: String, place: String? = nil) {
        self.number = number
        self.isValid = isValid
        self.type = type
        self.nationalFormat = nationalFormat
        self.internationalFormat = internationalFormat
        self.place = place
    }
}

/// A numbering library (libphonenumber through the `PhoneNumbers` target): parses what people type
/// and says what kind of line a number is. `Compliance` stays pure; the policy asks this protocol,
/// and without an implementation it keeps its built-in plans (`PhoneNumber.parse`) and checks no type.
public protocol PhoneNumberLibrary: Sendable {
    /// Shown in reasons: `"libphonenumber 8.12"`.
    var name: String { get }
    /// Parses `raw` (national numbers in `defaultRegion`, ISO 3166). Throws `PhoneNumberError` when
    /// it is not a number at all; an unassigned pattern parses with `isValid == false`.
    func info(_ raw: String, defaultRegion: String) throws(PhoneNumberError) -> PhoneNumberInfo
}

/// The library of the process, installed once at start by the executable (`smsagent`), so that
/// every `SendPolicy` — the dispatcher's included — checks number types without each caller passing it.
public enum PhoneNumberLibraries {
    private final class Slot: @unchecked Sendable {
        let lock = NSLock()
        var library: (any PhoneNumberLibrary)?
    }
    private static let slot = Slot()

    /// The installed library, or nil (pure fallback).
    public static var installed: (any PhoneNumberLibrary)? {
        slot.lock.withLock { slot.library }
    }

    /// Installs `library` for the process (the last call wins).
    public static func install(_ library: (any PhoneNumberLibrary)?) {
        slot.lock.withLock { slot.library = library }
    }
}
