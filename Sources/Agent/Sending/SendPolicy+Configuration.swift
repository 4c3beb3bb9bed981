import Compliance

extension AgentConfiguration {
    /// The compliance policy of a SIM whose STOP number is `stopNumber`.
    public func sendPolicy(stopNumber: PhoneNumber) -> SendPolicy {
        let footer = FooterPolicy(brand: sender.brand ?? "", stopNumber: stopNumber,
                                  countryLocales: compliance.effectiveCountryLocales, defaultLocale: compliance.locale)
        // Landlines, premium and shared-cost numbers are refused at dispatch too, not only in the preview.
        return SendPolicy(footer: footer, mode: compliance.mode, footerOnNotifications: compliance.footerOnNotifications,
                          smartEncoding: compliance.smartEncoding, quietHours: compliance.quietHours,
                          timeZones: RecipientTimeZones(fallback: compliance.timeZone),
                          smsNumberTypes: PhoneNumberType.smsCapable.union(compliance.extraSMSNumberTypes))
    }
}
