import Foundation
import PhoneNumbers
import Testing
@testable import Compliance

/// A numbering library given as a table, for the pure policy: what the policy does with each type,
/// whatever library says it.
struct TableNumberLibrary: PhoneNumberLibrary {
    var types: [String: PhoneNumberType]
    var places: [String: String] = [:]
    var name: String { "table" }

    func info(_ raw: String, defaultRegion: String) throws(PhoneNumberError) -> PhoneNumberInfo {
        let number = try PhoneNumber.parse(raw, defaultCountry: defaultRegion)
        return PhoneNumberInfo(number: number, isValid: true, type: types[number.e164] ?? .unknown,
                               nationalFormat: number.nationalFormat, internationalFormat: number.e164,
                               place: places[number.e164])
    }
}

/// Issue 14, item 1: number types, with the policy over any library and over libphonenumber.
@Suite("Number types")
struct NumberTypeTests {
    static let footer = FooterPolicy(brand: "Chez Léa", stopNumber: number("+33612345678"))
    let mondayMorning = local("2026-11-30 10:00")

    @Test("the policy refuses the types that cannot receive an SMS, naming the type", arguments: [
        (PhoneNumberType.mobile, true), (.fixedLineOrMobile, true), (.fixedLine, false), (.premiumRate, false),
        (.sharedCost, false), (.tollFree, false), (.voip, false), (.personal, false), (.pager, false), (.uan, false),
        (.voicemail, false), (.unknown, false),
    ])
    func policyPerType(type: PhoneNumberType, sends: Bool) {
        let library = TableNumberLibrary(types: ["+33698765432": type])
        let policy = SendPolicy(footer: Self.footer, numberLibrary: library)
        let decision = policy.decide(SendRequest(recipient: frenchRecipient, text: "Soldes", class: .marketing), now: mondayMorning)
        if sends {
            guard case .send = decision else { Issue.record("\(type): \(decision)"); return }
        } else {
            #expect(decision == .reject(reason: .cannotReceiveSMS(number: "+33698765432", type: type, library: "table")))
            #expect(decision.rejectReason?.description.contains(type.label) == true)
        }
    }

    @Test("the configuration may allow more types; confirmations are never refused by type")
    func allowedTypesAndConfirmations() {
        let library = TableNumberLibrary(types: ["+33698765432": .voip])
        var policy = SendPolicy(footer: Self.footer, numberLibrary: library)
        let request = SendRequest(recipient: frenchRecipient, text: "Soldes", class: .marketing)
        guard case .reject = policy.decide(request, now: mondayMorning) else { Issue.record("VoIP sent by default"); return }
        policy.smsNumberTypes.insert(.voip)
        guard case .send = policy.decide(request, now: mondayMorning) else { Issue.record("VoIP refused when allowed"); return }
        policy.smsNumberTypes = PhoneNumberType.smsCapable
        let confirmation = SendRequest(recipient: frenchRecipient, text: "désinscription prise en compte", isConfirmation: true)
        guard case .send = policy.decide(confirmation, now: mondayMorning) else { Issue.record("confirmation refused"); return }
    }

    @Test("without a library the built-in plans decide and no type is checked")
    func noLibrary() {
        let policy = SendPolicy(footer: Self.footer, numberLibrary: nil)
        guard case .send = policy.decide(SendRequest(recipient: number("+33145678901"), text: "Soldes", class: .marketing),
                                         now: mondayMorning) else { Issue.record("expected send"); return }
    }

    // MARK: libphonenumber

    @Test("libphonenumber: type, region, E.164 and national formats", arguments: [
        ("+33145678901", "FR", PhoneNumberType.fixedLine, "FR", "+33145678901", "01 45 67 89 01"),
        ("+33899123456", "FR", .premiumRate, "FR", "+33899123456", "0 899 12 34 56"),
        ("06 12 34 56 78", "FR", .mobile, "FR", "+33612345678", "06 12 34 56 78"),
        ("0033 7 81 23 45 67", "FR", .mobile, "FR", "+33781234567", "07 81 23 45 67"),
        ("+81 90 1234 5678", "FR", .mobile, "JP", "+819012345678", "090-1234-5678"),
        ("+1 202 555 0143", "FR", .fixedLineOrMobile, "US", "+12025550143", "(202) 555-0143"),
        ("+262 692 12 34 56", "FR", .mobile, "RE", "+262692123456", "0692 12 34 56"),
        ("07400 123456", "GB", .mobile, "GB", "+447400123456", "07400 123456"),
        ("0800 123 456", "FR", .tollFree, "FR", "+33800123456", "0 800 12 34 56"),
        ("0810 12 34 56", "FR", .sharedCost, "FR", "+33810123456", "0 810 12 34 56"),
        ("09 12 34 56 78", "FR", .voip, "FR", "+33912345678", "09 12 34 56 78"),
    ])
    func libphonenumber(raw: String, defaultRegion: String, type: PhoneNumberType, region: String, e164: String,
                        national: String) throws {
        let info = try LibPhoneNumber().info(raw, defaultRegion: defaultRegion)
        #expect(info.isValid)
        #expect(info.type == type)
        #expect(info.number.region == region)
        #expect(info.number.e164 == e164)
        #expect(info.nationalFormat == national)
    }

    @Test("libphonenumber: the Japanese mobile keeps calling code 81")
    func japaneseMobile() throws {
        let info = try LibPhoneNumber().info("+81 90 1234 5678", defaultRegion: "FR")
        #expect(info.number.countryCallingCode == "81")
        #expect(info.number.nationalNumber == "9012345678")
    }

    @Test("libphonenumber: not numbers are typed errors, invalid patterns are not valid", arguments: [
        "", "   ", "hello", "06 12 AB 56 78", "+999 1234",
    ])
    func notNumbers(raw: String) {
        #expect(throws: PhoneNumberError.self) { try LibPhoneNumber().info(raw, defaultRegion: "FR") }
    }

    @Test("libphonenumber: a number no plan pattern matches is invalid and refused by the policy")
    func invalidPattern() throws {
        let info = try LibPhoneNumber().info("+33 0 12 34", defaultRegion: "FR")
        #expect(!info.isValid)
        let policy = SendPolicy(footer: Self.footer, numberLibrary: LibPhoneNumber())
        guard case .failure = policy.parse("+33 0 12 34", defaultCountry: "FR") else { Issue.record("parsed"); return }
    }

    @Test("with libphonenumber: overseas numbers dialled in the French plan still parse (0692… is Réunion)")
    func frenchPlanOverseas() {
        let policy = SendPolicy(footer: Self.footer, numberLibrary: LibPhoneNumber())
        #expect((try? policy.parse("0692 12 34 56", defaultCountry: "FR").get())?.e164 == "+262692123456")
        #expect((try? policy.parse("0692 12 34 56", defaultCountry: "FR").get())?.region == "RE")
    }

    @Test("with libphonenumber: a refused input keeps the built-in plans' reason, which names the lengths")
    func refusedInputReason() {
        let policy = SendPolicy(footer: Self.footer, numberLibrary: LibPhoneNumber())
        #expect(policy.parse("06 12", defaultCountry: "FR")
                == .failure(.tooShort(nationalNumber: "612", region: "FR", minimum: 9)))
    }

    @Test("with libphonenumber: Paris landline and premium rate refused in dispatch's decide(to:), JP mobile sent", arguments: [
        ("+33145678901", "fixed line"), ("+33899123456", "premium rate"), ("+33810123456", "shared cost"),
    ])
    func dispatchRefusesLandlines(raw: String, label: String) {
        let policy = SendPolicy(footer: Self.footer, numberLibrary: LibPhoneNumber())
        let decision = policy.decide(to: raw, defaultCountry: "FR", text: "Soldes", class: .marketing, now: mondayMorning) { _ in false }
        guard case .reject(let reason) = decision, case .cannotReceiveSMS(_, let type, let library) = reason else {
            Issue.record("\(raw): \(decision)")
            return
        }
        #expect(type.label == label)
        #expect(library == "libphonenumber")
        #expect(reason.description.contains(label))
    }

    @Test("with libphonenumber: a Japanese mobile is sent")
    func japaneseMobileSent() {
        let policy = SendPolicy(footer: Self.footer, quietHours: .none, numberLibrary: LibPhoneNumber())
        let decision = policy.decide(to: "+81 90 1234 5678", defaultCountry: "FR", text: "Hello", class: .notification,
                                     now: mondayMorning) { _ in false }
        guard case .send = decision else { Issue.record("\(decision)"); return }
    }

    @Test("+1 202 (Washington D.C.) waits for 09:00 Eastern, not for the westernmost US zone")
    func washingtonQuietHours() throws {
        let policy = SendPolicy(footer: Self.footer, quietHoursByRegion: SendPolicy.suggestedQuietHoursByRegion,
                                numberLibrary: LibPhoneNumber())
        let recipient = try PhoneNumber(e164: "+12025550143")
        #expect(policy.recipientTimeZones(for: recipient).map(\.identifier) == ["America/New_York"])
        let decision = policy.decide(SendRequest(recipient: recipient, text: "Sale", class: .marketing),
                                     now: local("2026-12-01 07:00", "America/New_York"))
        #expect(decision == .hold(until: local("2026-12-01 09:00", "America/New_York"),
                                  reason: .quietHours(preset: "us", timeZones: ["America/New_York"])))
        // Without the library the number could be anywhere in the US: 09:00 in Los Angeles.
        let pure = SendPolicy(footer: Self.footer, quietHoursByRegion: SendPolicy.suggestedQuietHoursByRegion, numberLibrary: nil)
        guard case .hold(let until, _) = pure.decide(SendRequest(recipient: recipient, text: "Sale", class: .marketing),
                                                     now: local("2026-12-01 07:00", "America/New_York")) else {
            Issue.record("expected hold")
            return
        }
        #expect(until == local("2026-12-01 09:00", "America/Los_Angeles"))
    }

    @Test("NANP places give their state's zones", arguments: [
        ("US", "Washington D.C.", ["America/New_York"]),
        ("US", "San Francisco, CA", ["America/Los_Angeles"]),
        ("US", "Hawaii", ["Pacific/Honolulu"]),
        ("US", "Nashville, TN", ["America/Chicago", "America/New_York"]),
        ("CA", "Quebec", ["America/Toronto"]),
        ("CA", "Calgary, AB", ["America/Edmonton"]),
    ])
    func nanpPlaces(region: String, place: String, zones: [String]) {
        #expect(NorthAmericanTimeZones.zones(region: region, place: place) == zones)
    }

    @Test("a place that names no state keeps the country's zones", arguments: ["United States", "", "Somewhere"])
    func unknownPlaces(place: String) {
        #expect(NorthAmericanTimeZones.zones(region: "US", place: place) == nil)
    }
}

extension SendDecision {
    var rejectReason: RejectReason? {
        if case .reject(let reason) = self { return reason }
        return nil
    }
}
