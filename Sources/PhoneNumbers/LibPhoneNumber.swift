import Foundation
import CPhoneNumber
import Compliance

/// `PhoneNumberLibrary` backed by Google's libphonenumber (Debian `libphonenumber-dev`, C++,
/// reached through the C shim `CPhoneNumber`): parsing with a default region, validity, number
/// type, E.164 / national / international formats, region, and the offline geocoder's place
/// (which `RecipientTimeZones` turns into a NANP number's time zones).
public struct LibPhoneNumber: PhoneNumberLibrary {
    public init() {}

    public var name: String { "libphonenumber" }

    public func info(_ raw: String, defaultRegion: String) throws(PhoneNumberError) -> PhoneNumberInfo {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.contains(where: \.isNumber) else { throw .empty }
        // libphonenumber reads letters as keypad digits (vanity numbers); a sender does not.
        if trimmed.contains(where: { $0.isLetter }) { throw .containsLetters(input: trimmed) }
        var out = cpn_info()
        let error = cpn_parse(trimmed, defaultRegion.uppercased(), &out)
        switch error {
        case 0: break
        case 1: throw .unknownCallingCode(digits: Self.digits(of: trimmed))
        case 2: throw .invalidNationalNumber(nationalNumber: trimmed, region: defaultRegion.uppercased())
        case 3, 4: throw .tooShort(nationalNumber: Self.digits(of: trimmed), region: defaultRegion.uppercased(), minimum: 2)
        default: throw .tooLong(nationalNumber: Self.digits(of: trimmed), region: defaultRegion.uppercased(), maximum: 17)
        }
        let region = Self.string(&out.region)
        let number = PhoneNumber(callingCode: String(out.country_code), nationalNumber: Self.string(&out.national_number),
                                 region: region == "ZZ" ? "001" : region)
        let place = Self.string(&out.place)
        return PhoneNumberInfo(number: number, isValid: out.valid == 1, type: Self.type(out.type),
                               nationalFormat: Self.string(&out.national_format),
                               internationalFormat: Self.string(&out.international_format),
                               place: place.isEmpty ? nil : place)
    }

    static func type(_ raw: Int32) -> PhoneNumberType {
        switch raw {
        case 0: .fixedLine
        case 1: .mobile
        case 2: .fixedLineOrMobile
        case 3: .tollFree
        case 4: .premiumRate
        case 5: .sharedCost
        case 6: .voip
        case 7: .personal
        case 8: .pager
        case 9: .uan
        case 10: .voicemail
        default: .unknown
        }
    }

    static func digits(of text: String) -> String {
        String(text.filter { $0.isASCII && $0.isNumber })
    }

    /// A NUL-terminated C buffer imported as a tuple, as a `String` (invalid UTF-8 repaired).
    static func string<T>(_ buffer: inout T) -> String {
        withUnsafeBytes(of: &buffer) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
