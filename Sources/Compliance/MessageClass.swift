/// What a message is, for the rules that depend on it (COMPLIANCE.md "France").
///
/// - `marketing` ("prospection", CPCE art. L34-5): needs the STOP footer naming the advertiser,
///   waits out quiet hours, and is suppressed for opted-out numbers.
/// - `notification` (orders, deliveries, appointments): no footer unless the installation
///   switches it on, no sending window. A "service" message that carries promotion is marketing.
public enum MessageClass: String, Codable, Sendable, CaseIterable {
    case marketing
    case notification
}

/// What kind of installation this is (issue 5, "Message class and account mode").
///
/// The mode gives the default class of a message that does not say its class. In both modes a
/// marketing message always carries the footer — there is no switch to turn that off; the only
/// footer switch is `ComplianceSettings.footerOnNotifications`, meant for `notification`
/// installations.
public enum InstallationMode: String, Codable, Sendable, CaseIterable {
    case marketing
    case notification

    /// The class of a message that does not state one.
    public var defaultClass: MessageClass {
        switch self {
        case .marketing: .marketing
        case .notification: .notification
        }
    }
}
