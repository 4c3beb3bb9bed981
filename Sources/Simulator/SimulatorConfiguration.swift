import Foundation

/// Network registration as `+CREG`/`+CEREG` report it (TS 27.007 §7.2 `<stat>`).
public enum SimulatedRegistration: Int, Sendable, Codable, CaseIterable {
    case notRegistered = 0, home = 1, searching = 2, denied = 3, unknown = 4, roaming = 5
}

/// Everything that makes one simulated modem and its SIM what they are.
public struct SimulatorConfiguration: Sendable {
    /// SIM PIN; nil = the SIM is not PIN-locked.
    public var pin: String? = nil
    public var puk: String = "12345678"
    public var pinAttempts: Int = 3
    public var pukAttempts: Int = 10
    /// False simulates a modem with no SIM inserted (`+CME ERROR: 10`).
    public var simInserted: Bool = true
    /// nil = the profile's default IMEI.
    public var imei: String? = nil
    public var imsi: String = "208019876543210"
    public var iccid: String = "8933019876543210123"
    /// `+CNUM`; nil = the SIM does not know its number (empty answer, as on many prepaid SIMs).
    public var ownNumber: String? = "+33600000001"
    public var operatorName: String = "Orange F"
    public var operatorShortName: String = "Orange"
    public var operatorNumeric: String = "20801"
    /// `+CSCA` stored on the SIM; nil = unset (a PDU without SMSC then fails with `+CMS ERROR: 330`).
    public var serviceCentre: String? = "+33689004000"
    /// SIM ("SM") storage slots.
    public var storageCapacity: Int = 30
    /// Phone ("ME") storage slots.
    public var phoneStorageCapacity: Int = 100
    public var registration: SimulatedRegistration = .home
    /// `+CSQ` `<rssi>` (0…31, 99 unknown).
    public var signal: Int = 20
    /// Multiplies the profile's realistic latencies; 0 answers at once.
    public var latencyScale: Double = 1
    /// Latency of every command, replacing the profile's table (the CLI's `--latency-ms`).
    public var fixedLatency: Duration? = nil
    /// Per-command overrides, keyed by command name: `["+CMGS": .milliseconds(800)]`.
    public var latency: [String: Duration] = [:]
    /// `+CSMS` service after power-on (TS 27.005 §3.2.1): 1 = phase 2+, where each message routed to
    /// the host (`+CMT`, `+CDS`) must be acknowledged with `+CNMA`.
    public var initialSMSService: Int = 0
    /// Whether the simulated network returns SMS-STATUS-REPORTs when TP-SRR asks for one.
    public var statusReports: Bool = true
    public var statusReportDelay: Duration = .milliseconds(50)
    /// TP-ST per recipient (TS 23.040 §9.2.3.15); others get 0 (delivered).
    public var deliveryStatus: [String: UInt8] = [:]
    /// Recipients the network refuses, with the `+CMS ERROR` it gives (e.g. 21, 38).
    public var rejectedRecipients: [String: Int] = [:]
    /// Periodic vendor noise (Huawei `^RSSI` …); nil = none.
    public var noiseInterval: Duration? = nil
    /// After the PIN is accepted the SIM keeps initialising this long: SMS commands answer
    /// `+CMS ERROR: 314` and others `+CME ERROR: 14` (SIM busy), and the profile's SIM-ready URCs
    /// (`SMS Ready`, `+QIND: SMS DONE` …) come at the end, as on real modems.
    public var simInitialisation: Duration = .zero
    /// `AT+CFUN=1,1` makes the port disappear (as a USB modem leaves the bus when it resets) and,
    /// for a pseudo-terminal opened with a link, come back at the same link after this long.
    /// nil = the port stays and the modem reboots behind it.
    public var resetReenumerates: Duration? = nil
    /// Emit the profile's power-on URCs when a host first connects and after a reset.
    public var bootURCs: Bool = true
    /// Time zone of the simulated network's time stamps.
    public var timeZoneOffsetMinutes: Int = 60
    /// `AT+CSCA?` answers `+CME ERROR: 14` (SIM busy) whatever the wait (the `sim-busy` quirk).
    public var serviceCentreAlwaysBusy: Bool = false
    /// How long `AT+CSCA?` answers `+CME ERROR: 14` after the PIN is accepted; nil = the profile's
    /// own window (2 s on `qualcomm-pin-first`, none elsewhere).
    public var serviceCentreBusyAfterUnlock: Duration? = nil
    /// How long every command answers `+CME ERROR: 515` after `AT+CFUN=1` or a reset; nil = the
    /// profile's own window (3 s on `wavecom`, none elsewhere).
    public var busyAfterFunctionality: Duration? = nil
    /// A command line whose first byte is ESC is thrown away unanswered (the `esc-sensitive` quirk:
    /// some modems and serial adapters do this).
    public var discardsLinesStartingWithESC: Bool = false
    /// Faults armed from power-on (as `inject(fault:)` would arm them).
    public var faults: [FaultRule] = []
    /// Name used in transports and logs.
    public var name: String = "sim"
    /// Where time comes from (SCTS of injected messages, record time stamps).
    public var clock: @Sendable () -> Date = { Date() }

    public init() {}

    /// No latency, no noise, no boot chatter: the quickest configuration for tests.
    public static var fast: SimulatorConfiguration {
        var c = SimulatorConfiguration()
        c.latencyScale = 0
        c.bootURCs = false
        return c
    }
}

/// A trait of the SIM or the line that can come with any profile: `smsagent simulate --profile
/// wavecom+no-smsc`, or `profile: generic+cms500-once` for the agent's simulated modems.
public enum SimulatorQuirk: String, CaseIterable, Sendable, Codable {
    /// No SMS centre on the SIM: `AT+CSCA?` answers `""`, a PDU without SMSC gets `+CMS ERROR: 330`.
    case noSMSC = "no-smsc"
    /// The first `AT+CMGS` is refused with `+CMS ERROR: 500` after its PDU (fresh sticks), then all is well.
    case cms500Once = "cms500-once"
    /// `AT+CSCA?` answers `+CME ERROR: 14` (SIM busy) and never stops.
    case simBusy = "sim-busy"
    /// A command line that starts with ESC is discarded unanswered.
    case escSensitive = "esc-sensitive"

    public var summary: String {
        switch self {
        case .noSMSC: "no SMS centre on the SIM: empty AT+CSCA?, +CMS ERROR: 330 on send"
        case .cms500Once: "the first AT+CMGS fails with +CMS ERROR: 500"
        case .simBusy: "AT+CSCA? answers +CME ERROR: 14 (SIM busy), for ever"
        case .escSensitive: "a command line starting with ESC is discarded unanswered"
        }
    }

    /// Changes `configuration` so that the modem has this trait.
    public func apply(to configuration: inout SimulatorConfiguration) {
        switch self {
        case .noSMSC: configuration.serviceCentre = nil
        case .cms500Once: configuration.faults.append(FaultRule(fault: .cms(500), command: "+CMGS", persistence: .once))
        case .simBusy: configuration.serviceCentreAlwaysBusy = true
        case .escSensitive: configuration.discardsLinesStartingWithESC = true
        }
    }
}

/// A profile and its quirks, as written in `--profile` and in the configuration: `wavecom`,
/// `generic+no-smsc`, `huawei+cms500-once+esc-sensitive`, or a quirk alone (`no-smsc`, on the
/// generic profile).
public struct SimulatedDialect: Sendable, Hashable, CustomStringConvertible {
    public var profile: ModemProfile
    public var quirks: [SimulatorQuirk]

    public init(profile: ModemProfile, quirks: [SimulatorQuirk] = []) {
        self.profile = profile
        self.quirks = quirks
    }

    /// nil when a name is neither a profile nor a quirk, or when two profiles are given.
    public init?(parsing text: String) {
        var profile: ModemProfile?
        var quirks: [SimulatorQuirk] = []
        for name in text.split(separator: "+", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            if let p = ModemProfile(rawValue: name) {
                guard profile == nil else { return nil }
                profile = p
            } else if let quirk = SimulatorQuirk(rawValue: name) {
                if !quirks.contains(quirk) { quirks.append(quirk) }
            } else {
                return nil
            }
        }
        self.init(profile: profile ?? .generic, quirks: quirks)
    }

    public var description: String { ([profile.rawValue] + quirks.map(\.rawValue)).joined(separator: "+") }

    /// Every accepted name, for help texts and error messages.
    public static var names: [String] { ModemProfile.allCases.map(\.rawValue) + SimulatorQuirk.allCases.map(\.rawValue) }

    /// `configuration` with the quirks applied, and the profile's default PIN when none is set.
    public func configure(_ configuration: SimulatorConfiguration) -> SimulatorConfiguration {
        var configuration = configuration
        if configuration.pin == nil { configuration.pin = profile.defaultPIN }
        for quirk in quirks { quirk.apply(to: &configuration) }
        return configuration
    }
}
