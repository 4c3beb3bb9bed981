import Foundation
import SMSCodec

/// Decides, per message and at a given instant, whether it goes now, waits, is suppressed or is
/// refused (DESIGN.md invariants 4 and 5; COMPLIANCE.md). Pure: `now` is passed in.
///
/// Order of the checks:
/// 1. empty text → `.reject(.emptyText)`;
/// 2. confirmations and help replies (`isConfirmation`) → `.send` at once, no footer, even to an
///    opted-out number and in quiet hours (COMPLIANCE.md "Confirmation");
/// 3. a number whose type cannot receive an SMS (landline, premium rate, shared cost … — asked of
///    `numberLibrary`; not in `smsNumberTypes`) → `.reject(.cannotReceiveSMS)` with the type;
/// 4. opted out → `.suppress` for marketing. An opt-out (CNIL "liste repoussoir", CPCE L34-5) covers
///    marketing only: notifications (orders, deliveries, appointments) still go. Exception: regions in
///    `optOutCoversNotificationsIn` (default US: under the TCPA a STOP revokes consent to every
///    automated text, FCC 24-24 (2024)), where notifications are suppressed too;
/// 5. the footer: on every marketing message (cannot be switched off), on notifications only when
///    `footerOnNotifications`;
/// 6. more than `maximumSegments` segments → `.reject`;
/// 7. marketing outside the sending window in the recipient's time zone(s) → `.hold(until:)` the next
///    instant at which every one of them is open. Notifications are never held.
public struct SendPolicy: Sendable {
    public var footer: FooterPolicy
    public var mode: InstallationMode
    /// The footer switch of `notification` installations (honoured in both modes).
    public var footerOnNotifications: Bool
    /// Passed to `SegmentPlanner` (COMPLIANCE.md "Smart encoding"; `compliance.smart_encoding`).
    public var smartEncoding: SmartEncodingMode
    /// The sending window for marketing, unless `quietHoursByRegion` has the recipient's region.
    public var quietHours: QuietHours
    public var quietHoursByRegion: [String: QuietHours]
    public var timeZones: RecipientTimeZones
    public var optOutCoversNotificationsIn: Set<String>
    /// 0: no limit.
    public var maximumSegments: Int
    /// Parses numbers and tells their type (libphonenumber); nil keeps the built-in plans and checks no type.
    public var numberLibrary: (any PhoneNumberLibrary)?
    /// The number types an SMS may go to (`PhoneNumberType.smsCapable` plus `compliance.sms_number_types`).
    public var smsNumberTypes: Set<PhoneNumberType>

    public init(footer: FooterPolicy,
                mode: InstallationMode = .marketing,
                footerOnNotifications: Bool = false,
                smartEncoding: SmartEncodingMode = .off,
                quietHours: QuietHours = .fr,
                quietHoursByRegion: [String: QuietHours] = [:],
                timeZones: RecipientTimeZones = RecipientTimeZones(),
                optOutCoversNotificationsIn: Set<String> = ["US"],
                maximumSegments: Int = 10,
                numberLibrary: (any PhoneNumberLibrary)? = PhoneNumberLibraries.installed,
                smsNumberTypes: Set<PhoneNumberType> = PhoneNumberType.smsCapable) {
        self.footer = footer
        self.mode = mode
        self.footerOnNotifications = footerOnNotifications
        self.smartEncoding = smartEncoding
        self.quietHours = quietHours
        self.quietHoursByRegion = quietHoursByRegion
        self.timeZones = timeZones
        self.optOutCoversNotificationsIn = optOutCoversNotificationsIn
        self.maximumSegments = maximumSegments
        self.numberLibrary = numberLibrary
        self.smsNumberTypes = smsNumberTypes
    }

    /// A suggested `quietHoursByRegion`: French presets for the French regions, `uk` for GB, `us` for the NANP.
    public static let suggestedQuietHoursByRegion: [String: QuietHours] = [
        "GB": .uk, "US": .us, "CA": .us,
    ]

    /// The decision for `request` at `now`.
    public func decide(_ request: SendRequest, now: Date) -> SendDecision {
        guard !request.text.trimmingWhitespace().isEmpty else { return .reject(reason: .emptyText) }
        let messageClass = request.messageClass ?? mode.defaultClass

        if request.isConfirmation {
            let plan = SegmentPlanner.plan(request.text, smartEncoding: smartEncoding)
            if let rejection = tooLong(plan) { return rejection }
            return .send(text: request.text, plan: plan, footerAdded: false)
        }

        let info = try? numberLibrary?.info(request.recipient.e164, defaultRegion: request.recipient.region)
        if let info, let library = numberLibrary, !smsNumberTypes.contains(info.type) {
            return .reject(reason: .cannotReceiveSMS(number: request.recipient.e164, type: info.type, library: library.name))
        }

        if request.optedOut,
           messageClass == .marketing || optOutCoversNotificationsIn.contains(request.recipient.region) {
            return .suppress(reason: .optedOut(class: messageClass))
        }

        let text: String
        let plan: SegmentPlan
        let footerAdded: Bool
        if messageClass == .marketing || footerOnNotifications {
            let result = footer.apply(to: request.text, for: request.recipient, smartEncoding: smartEncoding)
            (text, plan, footerAdded) = (result.text, result.withFooter, result.footerAdded)
        } else {
            (text, plan, footerAdded) = (request.text, SegmentPlanner.plan(request.text, smartEncoding: smartEncoding), false)
        }
        if let rejection = tooLong(plan) { return rejection }

        if messageClass == .marketing {
            let window = quietHours(for: request.recipient)
            let zones = timeZones.timeZones(for: request.recipient, place: info?.place)
            let opening = Self.nextOpening(of: window, after: now, in: zones)
            if opening > now {
                return .hold(until: opening, reason: .quietHours(preset: window.name, timeZones: zones.map(\.identifier)))
            }
        }
        return .send(text: text, plan: plan, footerAdded: footerAdded)
    }

    /// Parses `rawRecipient` first: an invalid number gives `.reject(.invalidNumber)`. `isOptedOut`
    /// is asked with the parsed number (so `06…`, `+336…`, `00336…` are one number).
    public func decide<Failure: Error>(to rawRecipient: String, defaultCountry: String, text: String,
                                       class messageClass: MessageClass? = nil, isConfirmation: Bool = false,
                                       now: Date, isOptedOut: (PhoneNumber) throws(Failure) -> Bool) throws(Failure) -> SendDecision {
        let recipient: PhoneNumber
        switch parse(rawRecipient, defaultCountry: defaultCountry) {
        case .success(let number): recipient = number
        case .failure(let error): return .reject(reason: .invalidNumber(error))
        }
        let optedOut = try isOptedOut(recipient)
        return decide(SendRequest(recipient: recipient, text: text, class: messageClass,
                                  optedOut: optedOut, isConfirmation: isConfirmation), now: now)
    }

    /// `raw` as a number: through `numberLibrary` when there is one (a number it finds invalid for its
    /// region is refused), else with the built-in plans.
    public func parse(_ raw: String, defaultCountry: String) -> Result<PhoneNumber, PhoneNumberError> {
        guard let numberLibrary else {
            do { return .success(try PhoneNumber.parse(raw, defaultCountry: defaultCountry)) } catch { return .failure(error) }
        }
        // The built-in plans' verdict: it knows mainland France and the overseas departments share
        // one national plan (0692… dialled from Paris is Réunion), and its errors name the lengths.
        let planned: Result<PhoneNumber, PhoneNumberError>
        do { planned = .success(try PhoneNumber.parse(raw, defaultCountry: defaultCountry)) } catch { planned = .failure(error) }
        do {
            var info = try numberLibrary.info(raw, defaultRegion: defaultCountry)
            if !info.isValid, case .success(let number) = planned, number.e164 != info.number.e164,
               let again = try? numberLibrary.info(number.e164, defaultRegion: defaultCountry), again.isValid {
                info = again
            }
            guard info.isValid else {
                if case .failure(let error) = planned { return .failure(error) }
                return .failure(.invalidNationalNumber(nationalNumber: info.number.nationalNumber, region: info.number.region))
            }
            return .success(info.number)
        } catch {
            if case .failure(let plannedError) = planned { return .failure(plannedError) }
            return .failure(error)
        }
    }

    /// `raw` as a number an SMS may go to: parsed (`parse`), and of a type in `smsNumberTypes` when
    /// the library can tell. What `smsagent send` checks before queueing; the dispatcher's
    /// `decide` checks the same again.
    public func recipient(_ raw: String, defaultCountry: String) -> Result<PhoneNumber, RejectReason> {
        switch parse(raw, defaultCountry: defaultCountry) {
        case .failure(let error):
            return .failure(.invalidNumber(error))
        case .success(let number):
            if let library = numberLibrary, let info = info(for: number), !smsNumberTypes.contains(info.type) {
                return .failure(.cannotReceiveSMS(number: number.e164, type: info.type, library: library.name))
            }
            return .success(number)
        }
    }

    /// What `numberLibrary` says about `recipient` (nil without a library).
    public func info(for recipient: PhoneNumber) -> PhoneNumberInfo? {
        try? numberLibrary?.info(recipient.e164, defaultRegion: recipient.region)
    }

    /// The time zones quiet hours are checked in for `recipient` (the library's place narrows a
    /// NANP number to its area code's zones).
    public func recipientTimeZones(for recipient: PhoneNumber) -> [TimeZone] {
        timeZones.timeZones(for: recipient, place: info(for: recipient)?.place)
    }

    /// The sending window that applies to `recipient`.
    public func quietHours(for recipient: PhoneNumber) -> QuietHours {
        quietHoursByRegion[recipient.region] ?? quietHours
    }

    /// The first instant at or after `date` when `window` is open in every zone of `zones`.
    public static func nextOpening(of window: QuietHours, after date: Date, in zones: [TimeZone]) -> Date {
        var candidate = date
        // Each pass moves to a later opening; the zones of one country agree within a few passes.
        for _ in 0..<64 {
            var moved = false
            for zone in zones {
                let opening = window.nextOpening(after: candidate, timeZone: zone)
                if opening > candidate {
                    candidate = opening
                    moved = true
                }
            }
            if !moved { return candidate }
        }
        return candidate
    }

    func tooLong(_ plan: SegmentPlan) -> SendDecision? {
        guard maximumSegments > 0, plan.segmentCount > maximumSegments else { return nil }
        return .reject(reason: .tooManySegments(count: plan.segmentCount, maximum: maximumSegments))
    }
}
