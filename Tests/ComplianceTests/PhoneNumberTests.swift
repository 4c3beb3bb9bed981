import Foundation
import Testing
@testable import Compliance

@Suite("PhoneNumber")
struct PhoneNumberTests {
    @Test("every way of writing a French mobile gives one E.164", arguments: [
        ("06 12 34 56 78", "FR"), ("0612345678", "FR"), ("06.12.34.56.78", "FR"), ("06-12-34-56-78", "FR"),
        ("+33 6 12 34 56 78", "FR"), ("+33612345678", "GB"), ("0033612345678", "FR"), ("00 33 6 12 34 56 78", "DE"),
        ("+33 (0)6 12 34 56 78", "FR"), ("+33 06 12 34 56 78", "FR"), (" 06\u{00A0}12\u{00A0}34 56 78 ", "FR"),
        ("011 33 6 12 34 56 78", "US"), ("612345678", "FR"), ("06 12 34 56 78", "RE"),
    ])
    func frenchMobile(raw: String, country: String) throws {
        let number = try PhoneNumber.parse(raw, defaultCountry: country)
        #expect(number.e164 == "+33612345678")
        #expect(number.countryCallingCode == "33")
        #expect(number.region == "FR")
        #expect(number.nationalFormat == "0612345678")
    }

    @Test("numbers of the supported countries", arguments: [
        ("020 7946 0958", "GB", "+442079460958", "GB"),
        ("07700 900123", "GB", "+447700900123", "GB"),
        ("+44 (0)7700 900123", "FR", "+447700900123", "GB"),
        ("(415) 555-0123", "US", "+14155550123", "US"),
        ("1-415-555-0123", "US", "+14155550123", "US"),
        ("+1 604 555 0123", "FR", "+16045550123", "CA"),
        ("+1 514 555 0123", "FR", "+15145550123", "CA"),
        ("0470 12 34 56", "BE", "+32470123456", "BE"),
        ("02 123 45 67", "BE", "+3221234567", "BE"),
        ("621 123 456", "LU", "+352621123456", "LU"),
        ("06 12 34 56 78", "MC", "+377612345678", "MC"),
        ("+377 93 15 20 00", "FR", "+37793152000", "MC"),
        ("079 123 45 67", "CH", "+41791234567", "CH"),
        ("0661 23 45 67", "MA", "+212661234567", "MA"),
        ("20 123 456", "TN", "+21620123456", "TN"),
        ("0555 12 34 56", "DZ", "+213555123456", "DZ"),
        ("+49 1512 3456789", "FR", "+4915123456789", "DE"),
        ("0151 23456789", "DE", "+4915123456789", "DE"),
        ("06 12345678", "NL", "+31612345678", "NL"),
        ("612 345 678", "ES", "+34612345678", "ES"),
        ("333 123 4567", "IT", "+393331234567", "IT"),
        ("+39 06 1234 5678", "FR", "+390612345678", "IT"),
        ("0692 12 34 56", "FR", "+262692123456", "RE"),
        ("+33 692 12 34 56", "FR", "+262692123456", "RE"),
        ("0639 12 34 56", "FR", "+262639123456", "YT"),
        ("0690 12 34 56", "GP", "+590690123456", "GP"),
        ("0696 12 34 56", "FR", "+596696123456", "MQ"),
        ("0694 12 34 56", "GF", "+594694123456", "GF"),
        ("+262 262 12 34 56", "FR", "+262262123456", "RE"),
    ])
    func countries(raw: String, country: String, e164: String, region: String) throws {
        let number = try PhoneNumber.parse(raw, defaultCountry: country)
        #expect(number.e164 == e164)
        #expect(number.region == region)
    }

    @Test("invalid inputs say why", arguments: [
        ("06 12 AB 56 78", "FR", PhoneNumberError.containsLetters(input: "06 12 AB 56 78")),
        ("STOP", "FR", .containsLetters(input: "STOP")),
        ("0612", "FR", .tooShort(nationalNumber: "612", region: "FR", minimum: 9)),
        ("06 12 34 56 78 9", "FR", .tooLong(nationalNumber: "6123456789", region: "FR", maximum: 9)),
        ("+33 6 12 34 56 78 90", "FR", .tooLong(nationalNumber: "61234567890", region: "FR", maximum: 9)),
        ("+999 123 456", "FR", .unknownCallingCode(digits: "999")),
        ("0612345678", "XX", .unknownCountry("XX")),
        ("", "FR", .empty),
        ("  - . ", "FR", .empty),
        ("06*12*34*56*78", "FR", .invalidCharacter("*", input: "06*12*34*56*78")),
        ("06 12 +34 56 78", "FR", .misplacedPlus(input: "06 12 +34 56 78")),
        ("+1 055 555 0123", "FR", .invalidNationalNumber(nationalNumber: "0555550123", region: "US")),
        ("00 33 0 0 12 34 56 78", "FR", .invalidNationalNumber(nationalNumber: "012345678", region: "FR")),
    ])
    func invalid(raw: String, country: String, expected: PhoneNumberError) {
        #expect(throws: expected) { try PhoneNumber.parse(raw, defaultCountry: country) }
    }

    @Test("error descriptions name the problem", arguments: [
        (PhoneNumberError.tooShort(nationalNumber: "612", region: "FR", minimum: 9), "too short"),
        (.tooLong(nationalNumber: "6123456789", region: "FR", maximum: 9), "too long"),
        (.containsLetters(input: "06 AB"), "letters"),
        (.unknownCountry("XX"), "unknown country"),
        (.unknownCallingCode(digits: "999"), "+999"),
    ])
    func descriptions(error: PhoneNumberError, fragment: String) {
        #expect(error.description.contains(fragment))
    }

    @Test("main region of a calling code", arguments: [
        ("33", "FR"), ("+44", "GB"), ("1", "US"), ("262", "RE"), ("590", "GP"), ("377", "MC"), ("7", nil),
    ] as [(String, String?)])
    func mainRegion(code: String, region: String?) {
        #expect(NumberingPlan.mainRegion(forCallingCode: code) == region)
    }

    @Test("every plan is well formed: digits-only codes, valid lengths, one main region per code")
    func tableWellFormed() {
        for plan in NumberingPlan.all {
            #expect(plan.callingCode.allSatisfy(\.isASCIIDigit) && (1...3).contains(plan.callingCode.count), "\(plan.region)")
            #expect(plan.nationalLengths.lowerBound >= 4 && plan.nationalLengths.upperBound + plan.callingCode.count <= 15,
                    "\(plan.region)")
            #expect(plan.region.count == 2 && plan.region == plan.region.uppercased(), "\(plan.region)")
        }
        for code in Set(NumberingPlan.all.map(\.callingCode)) {
            #expect(NumberingPlan.forCallingCode(code).filter { $0.leadingDigits.isEmpty }.count == 1, "+\(code)")
        }
        #expect(Set(NumberingPlan.all.map(\.region)).count == NumberingPlan.all.count)
    }

    @Test("equal numbers written differently are one key")
    func equality() throws {
        let a = try PhoneNumber.parse("06 12 34 56 78", defaultCountry: "FR")
        let b = try PhoneNumber.parse("00336 12 34 56 78", defaultCountry: "FR")
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
    }

    @Test("Codable as the E.164 string; invalid strings are refused")
    func codable() throws {
        let number = try PhoneNumber.parse("06 12 34 56 78", defaultCountry: "FR")
        let data = try JSONEncoder().encode([number])
        #expect(String(decoding: data, as: UTF8.self) == #"["+33612345678"]"#)
        #expect(try JSONDecoder().decode([PhoneNumber].self, from: data) == [number])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([PhoneNumber].self, from: Data(#"["0612345678"]"#.utf8)) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode([PhoneNumber].self, from: Data(#"["+33 6 AB"]"#.utf8)) }
    }

    @Test("the stop number is national for recipients who dial it nationally", arguments: [
        ("+33612345678", "+33698765432", "0612345678"),
        ("+33612345678", "+262692123456", "0612345678"),
        ("+262692123456", "+33612345678", "0692123456"),
        ("+33612345678", "+447700900123", "+33612345678"),
        ("+33612345678", "+32470123456", "+33612345678"),
        ("+447700900123", "+447700900999", "07700900123"),
    ])
    func stopNumberForm(stop: String, recipient: String, expected: String) throws {
        let stopNumber = try PhoneNumber(e164: stop)
        #expect(stopNumber.formatted(forRecipient: try PhoneNumber(e164: recipient)) == expected)
    }
}
