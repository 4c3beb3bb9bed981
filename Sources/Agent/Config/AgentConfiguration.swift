import Compliance
import Foundation
import ModemKit
import Records
import SMSCodec

/// The whole effective configuration of one agent installation: what `Config/smsagent.yaml`
/// says, with every omitted option at its documented default.
///
/// Plain values only (no handles): loaded once at start by `ConfigurationLoader`, then shared.
public struct AgentConfiguration: Sendable, Equatable {
    /// Where the outbox, ledger, opt-outs, inbox and lock live (created 0700 if missing).
    public var dataDirectory: String = "/var/lib/smsagent"
    /// swift-log level for `smsagent run`: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String = "info"
    public var modems: ModemsSettings = .init()
    public var sender: SenderSettings = .init()
    public var compliance: ComplianceOptions = .init()
    public var credits: CreditSettings = .init()
    public var sending: SendingSettings = .init()
    public var inbound: InboundSettings = .init()
    public var hooks: HookSettings = .init()
    public var http: HTTPSettings = .init()
    /// Where the records live: the data directory's files, or a shared database (issue 15).
    public var records: RecordsSettings = .init()
    /// How often `status.json` is rewritten while running (it is also rewritten on every change
    /// of a modem's state).
    public var statusInterval: Duration = .seconds(5)

    public init() {}
}

/// Which modems the agent drives.
public struct ModemsSettings: Sendable, Equatable {
    /// Enumerate USB modems with libudev at start (and follow hotplug events).
    public var discovery: Bool = true
    /// Follow udev add/remove events while running (only with `discovery`).
    public var hotplug: Bool = true
    /// SIM PIN used for every modem that does not set its own (nil: none configured).
    public var pin: String?
    /// SMSC (service centre) override for every modem that does not set its own.
    public var smsc: String?
    /// Default per-SIM throttle.
    public var throttle: ThrottleSettings = .init()
    /// Explicit serial devices (used in addition to, or instead of, discovery).
    public var devices: [ModemDeviceSettings] = []
    /// In-process simulated modems (the embedded default; `smsagent demo` uses them).
    public var simulated: [SimulatedModemSettings] = []
    /// A slow health query (registration + signal) on an idle modem; never between sends.
    public var keepaliveInterval: Duration = .seconds(300)
    /// SMS memories for reading, writing and receiving (`AT+CPMS`, TS 27.005 §3.2.2): "SM" (SIM),
    /// "ME" (modem), "MT" (both). A modem that refuses them keeps its own.
    public var smsStorage: [String] = ["SM", "SM", "SM"]

    public init() {}

    /// What the AT engine is told for every modem of this installation.
    public var modemOptions: ModemOptions {
        var options = ModemOptions()
        options.storage = smsStorage
        return options
    }
}

/// A per-SIM sending throttle (operators suspend SIMs that send in bursts; see COMPLIANCE.md).
public struct ThrottleSettings: Sendable, Equatable {
    /// The least time per SMS from one SIM (0 = no minimum): a message of n segments is followed
    /// by n × this before the next. Default 3 s.
    public var minInterval: Duration = .seconds(3)
    /// At most this many SMS (segments) per SIM per calendar day (0 = no cap). Default 200.
    public var dailyCap: Int = 200

    public init(minInterval: Duration = .seconds(3), dailyCap: Int = 200) {
        self.minInterval = minInterval
        self.dailyCap = dailyCap
    }
}

/// One explicitly configured serial modem.
public struct ModemDeviceSettings: Sendable, Equatable {
    /// A short name used in logs, `status.json` and the ledger (default: the path).
    public var name: String
    /// The AT port, e.g. `/dev/serial/by-id/usb-HUAWEI_…-if02-port0`.
    public var path: String
    public var pin: String?
    public var smsc: String?
    public var baud: Int = 115200
    public var flowControl: Bool = false
    public var enabled: Bool = true
    public var throttle: ThrottleSettings?

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// One in-process simulated modem.
public struct SimulatedModemSettings: Sendable, Equatable {
    public var name: String
    /// The simulated SIM's own number (what `AT+CNUM` answers).
    public var ownNumber: String?
    /// Simulator dialect: a profile (generic, huawei, simcom (SIM800), sim7600, quectel, wavecom,
    /// qualcomm-pin-first, nokia-phone) with optional quirks joined by `+` (`generic+no-smsc`).
    public var profile: String = "generic"
    public var enabled: Bool = true
    public var throttle: ThrottleSettings?

    public init(name: String) { self.name = name }
}

/// Who the messages come from.
public struct SenderSettings: Sendable, Equatable {
    /// The advertiser's name, put in the footer and the confirmation texts (required).
    public var brand: String?
    /// The number recipients reply STOP to. Default: the SIM's own number from `AT+CNUM`, per
    /// modem; required when a modem does not know its number.
    public var stopNumber: String?

    public init() {}
}

public struct ComplianceOptions: Sendable, Equatable {
    public var mode: InstallationMode = .marketing
    /// Class of a message that does not say (default: the mode).
    public var defaultClass: MessageClass?
    /// Only in notification mode: also put the footer on notifications.
    public var footerOnNotifications: Bool = false
    /// Locale of the footer and texts for numbers whose country is in neither `countryLocales`
    /// nor the built-in map (French for France, its overseas territories and French-speaking
    /// neighbours: `FooterPolicy.defaultCountryLocales`).
    public var locale: String = "en"
    /// ISO 3166 region -> locale, added to (and overriding) the built-in map, e.g. `GB: en`.
    public var countryLocales: [String: String] = [:]
    /// Replace typographic characters by GSM ones (« » ’ … –) so a message stays GSM 7-bit;
    /// `letters` also replaces French letters (ê→e, ç→c …). Default `punctuation`. YAML `true` is
    /// `letters` (what `true` did before issue 14), `false` is `off`.
    public var smartEncoding: SmartEncodingMode = .default
    /// Number types that may receive an SMS besides mobile and fixed-line-or-mobile
    /// (`compliance.sms_number_types`, e.g. `[voip]`).
    public var extraSMSNumberTypes: Set<PhoneNumberType> = []
    /// Regions whose senders get one acknowledgement after a START that ends an opt-out
    /// (`compliance.optin_ack_regions`, default `[US]`).
    public var optInAcknowledgementRegions: Set<String> = OptInAcknowledgement.defaultRegions
    /// ISO 3166 alpha-2 country of national numbers (0612345678).
    public var defaultCountry: String = "FR"
    /// When marketing may go out (a preset of COMPLIANCE.md or custom windows).
    public var quietHours: QuietHours = .fr
    /// IANA time zone in which quiet hours are evaluated.
    public var timeZone: String = "Europe/Paris"

    public init() {}

    /// `timeZone` as a `TimeZone` (the loader has checked the name; the machine's zone otherwise).
    public var zone: TimeZone { TimeZone(identifier: timeZone) ?? .current }

    /// The class used for a message that does not name one.
    /// The built-in region -> locale map with `countryLocales` applied.
    public var effectiveCountryLocales: [String: String] {
        FooterPolicy.defaultCountryLocales.merging(countryLocales) { _, configured in configured }
    }

    /// The locale of the footer, confirmations and help replies for `number` (by its region).
    public func locale(for number: PhoneNumber) -> String {
        effectiveCountryLocales[number.region] ?? locale
    }

    public var effectiveDefaultClass: MessageClass {
        defaultClass ?? mode.defaultClass
    }
}

public struct CreditSettings: Sendable, Equatable {
    /// Credits available when the ledger is first created.
    public var openingBalance: Int = 1000
    /// Credits per submitted segment.
    public var costPerSegment: Int = 1
    /// Per-class cost per segment, overriding `costPerSegment`.
    public var classCosts: [MessageClass: Int] = [:]
    /// Log a warning (once) when the balance drops below this.
    public var lowBalanceWarning: Int = 100
    /// When true, a message whose cost exceeds the balance stays queued ("waiting for credits").
    public var hardStop: Bool = true

    public init() {}

    public func cost(perSegmentFor messageClass: MessageClass) -> Int {
        classCosts[messageClass] ?? costPerSegment
    }
}

public struct RetrySettings: Sendable, Equatable {
    /// Attempts on one modem before it is re-initialised.
    public var attemptsBeforeReinitialise: Int = 2
    /// Re-initialisations before a reset (`AT+CFUN=1,1`).
    public var reinitialisationsBeforeReset: Int = 1
    /// Resets before the modem is marked unhealthy (its work moves to the others).
    public var resetsBeforeUnhealthy: Int = 1
    public var initialBackoff: Duration = .seconds(1)
    public var maxBackoff: Duration = .seconds(60)
    /// A message that failed on this many modem attempts (any modem) goes to `failed/`.
    public var maxAttemptsPerMessage: Int = 5
    /// An unhealthy modem is retried after this long.
    public var unhealthyRetryInterval: Duration = .seconds(300)

    public init() {}
}

public struct SendingSettings: Sendable, Equatable {
    public var retry: RetrySettings = .init()
    /// What to do on restart with a part whose PDU may have reached the modem but whose `+CMGS`
    /// answer was never recorded (the ambiguous window, DESIGN.md invariant 2); also applied when
    /// a modem vanishes between writing a PDU and its answer. Default `assume-sent`: never twice.
    public var ambiguousWindow: AmbiguousSendPolicy = .assumeSent
    /// Ask the network for delivery reports (`+CDS`).
    public var statusReports: Bool = false
    /// Validity period asked of the SMSC (nil: network default).
    public var validity: Duration?
    /// Settled messages (`outbox/sent/`, `outbox/failed/`) are deleted this long after they were
    /// settled (nil: kept for ever). The ledger and the CSV records are not touched.
    public var keepSettledFor: Duration?

    public init() {}
}

/// The `inbound:` section, read by the receiving side (`InboundProcessor`).
public struct InboundSettings: Sendable, Equatable {
    /// Fallback poll of SIM storage on a modem that takes no `AT+CNMI` (nothing announces new
    /// messages), or whose announcements were seen to miss one; `+CMTI` is the main trigger.
    public var pollInterval: Duration = .seconds(30)
    /// The same poll on a modem that accepted `AT+CNMI`: a safety net only (issue 11: one
    /// `AT+CMGL` per 5 min instead of 2 a minute on the wire). A poll there that finds a message
    /// no `+CMTI` announced puts that modem back on `pollInterval`.
    public var announcedPollInterval: Duration = .seconds(300)
    /// Incomplete multi-part messages are archived as incomplete after this.
    public var reassemblyTimeout: Duration = .seconds(24 * 3600)
    /// One confirmation SMS per opt-out (at most one per number per 24 h).
    public var confirmations: Bool = true
    /// Reply to HELP / INFO / AIDE / CONTACT with the brand and how to stop.
    public var helpReplies: Bool = true
    public var keywordLocales: [String] = ["fr", "en"]
    /// Store an HMAC-SHA-256 of the number instead of the number (key file `<data>/optout.key`, 0600).
    public var hashOptOuts: Bool = false

    public init() {}
}

/// Programs run after events (`HookRunner`), in argv form: `["/usr/local/bin/sms-in", "--queue", "shop"]`.
/// Empty = no hook.
public struct HookSettings: Sendable, Equatable {
    /// After an inbound SMS is archived in `inbox.csv` (and its opt-out, if any, recorded).
    public var onReceive: [String] = []
    /// After a message reached `outbox/sent/`.
    public var onSent: [String] = []
    /// After a message reached `outbox/failed/`.
    public var onFailed: [String] = []
    /// A hook still running after this is killed.
    public var timeout: Duration = .seconds(30)
    /// HTTP endpoints POSTed with events (served by the HTTP API's event feed).
    public var webhooks: [WebhookSettings] = []

    public init() {}
}
