import Compliance
import Foundation
import Records
import SMSCodec
import Simulator

/// Section-by-section reading of the YAML tree into `AgentConfiguration`. Every section lists
/// its keys once; anything else is rejected by `ConfigNode.mapping(allowed:)`.
enum ConfigurationReading {
    static func read(_ root: ConfigNode, into c: inout AgentConfiguration) throws {
        for (key, value) in try root.mapping(allowed: ["data_directory", "log_level", "modems", "sender", "compliance", "credits", "sending", "inbound", "hooks", "status_interval", "http", "records"]) {
            switch key {
            case "data_directory": c.dataDirectory = try value.nonEmptyString()
            case "log_level":
                let level = try value.string()
                let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
                guard levels.contains(level) else { throw value.error("expected one of \(levels.joined(separator: ", ")), got '\(level)'") }
                c.logLevel = level
            case "modems": try readModems(value, into: &c.modems)
            case "sender": try readSender(value, into: &c.sender)
            case "compliance": try readCompliance(value, into: &c.compliance)
            case "credits": try readCredits(value, into: &c.credits)
            case "sending": try readSending(value, into: &c.sending)
            case "inbound": try readInbound(value, into: &c.inbound)
            case "hooks": try readHooks(value, into: &c.hooks)
            case "status_interval": c.statusInterval = try positive(value)
            case "http": try readHTTP(value, into: &c.http)
            case "records": try readRecords(value, into: &c.records)
            default: break
            }
        }
    }

    static func positive(_ node: ConfigNode) throws -> Duration {
        let value = try node.duration()
        guard value > .zero else { throw node.error("expected a duration greater than 0") }
        return value
    }

    static func readModems(_ node: ConfigNode, into m: inout ModemsSettings) throws {
        for (key, value) in try node.mapping(allowed: ["discovery", "hotplug", "pin", "smsc", "throttle", "devices", "simulated", "keepalive_interval", "sms_storage"]) {
            switch key {
            case "discovery": m.discovery = try value.bool()
            case "hotplug": m.hotplug = try value.bool()
            case "pin": m.pin = try pin(value)
            case "smsc": m.smsc = try smsc(value)
            case "throttle": m.throttle = try throttle(value, base: m.throttle)
            case "keepalive_interval": m.keepaliveInterval = try positive(value)
            case "sms_storage":
                let memories = try value.sequence().map { node in
                    let name = try node.string().uppercased()
                    guard name.count == 2, name.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                        throw node.error("expected an SMS memory such as SM, ME or MT, got '\(name)'")
                    }
                    return name
                }
                guard (1...3).contains(memories.count) else {
                    throw value.error("expected 1 to 3 memories (read, write, receive), e.g. [SM, SM, SM] or [ME, ME, ME]")
                }
                m.smsStorage = memories
            case "devices":
                m.devices = try value.sequence().map { try device($0) }
            case "simulated":
                m.simulated = try value.sequence().enumerated().map { index, element in try simulated(element, index: index) }
            default: break
            }
        }
    }

    static func pin(_ node: ConfigNode) throws -> String? {
        guard let text = try node.optionalString() else { return nil }
        guard (4...8).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw node.error("expected a SIM PIN of 4 to 8 digits (quote it: \"0000\")")
        }
        return text
    }

    static func smsc(_ node: ConfigNode) throws -> String? {
        guard let text = try node.optionalString() else { return nil }
        guard isDialable(text) else { throw node.error("expected a service-centre number such as +33609001390, got '\(text)'") }
        return text
    }

    static func isDialable(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.hasPrefix("+") { digits = digits.dropFirst() }
        return (3...20).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func throttle(_ node: ConfigNode, base: ThrottleSettings) throws -> ThrottleSettings {
        var t = base
        for (key, value) in try node.mapping(allowed: ["min_interval", "daily_cap"]) {
            switch key {
            case "min_interval": t.minInterval = try value.duration()
            case "daily_cap": t.dailyCap = try value.int(min: 0)
            default: break
            }
        }
        return t
    }

    static func device(_ node: ConfigNode) throws -> ModemDeviceSettings {
        let entries = try node.mapping(allowed: ["name", "path", "pin", "smsc", "baud", "flow_control", "enabled", "throttle"])
        guard let pathNode = entries.first(where: { $0.key == "path" })?.value else {
            throw node.error("a device needs a 'path' (its AT port, e.g. /dev/ttyUSB2)")
        }
        let path = try pathNode.nonEmptyString()
        guard path.hasPrefix("/") else { throw pathNode.error("expected an absolute device path such as /dev/ttyUSB2, got '\(path)'") }
        var d = ModemDeviceSettings(name: path, path: path)
        for (key, value) in entries {
            switch key {
            case "name": d.name = try value.nonEmptyString()
            case "pin": d.pin = try pin(value)
            case "smsc": d.smsc = try smsc(value)
            case "baud":
                let baud = try value.int()
                let rates = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600]
                guard rates.contains(baud) else { throw value.error("expected a baud rate among \(rates.map(String.init).joined(separator: ", ")), got \(baud)") }
                d.baud = baud
            case "flow_control": d.flowControl = try value.bool()
            case "enabled": d.enabled = try value.bool()
            case "throttle": d.throttle = try throttle(value, base: .init())
            default: break
            }
        }
        return d
    }

    static func simulated(_ node: ConfigNode, index: Int) throws -> SimulatedModemSettings {
        var s = SimulatedModemSettings(name: "sim\(index)")
        for (key, value) in try node.mapping(allowed: ["name", "own_number", "profile", "enabled", "throttle"]) {
            switch key {
            case "name": s.name = try value.nonEmptyString()
            case "own_number":
                let number = try value.optionalString()
                if let number, !isDialable(number) { throw value.error("expected a phone number such as +33612345678, got '\(number)'") }
                s.ownNumber = number
            case "profile":
                // A profile and its quirks, as `smsagent simulate --profile` takes them (`generic+no-smsc`).
                let profile = try value.string()
                guard SimulatedDialect(parsing: profile) != nil else {
                    throw value.error("expected a profile (\(ModemProfile.allCases.map(\.rawValue).joined(separator: ", "))), optionally "
                                      + "with quirks (\(SimulatorQuirk.allCases.map(\.rawValue).joined(separator: ", "))) joined by '+', got '\(profile)'")
                }
                s.profile = profile
            case "enabled": s.enabled = try value.bool()
            case "throttle": s.throttle = try throttle(value, base: .init())
            default: break
            }
        }
        return s
    }

    static func readSender(_ node: ConfigNode, into s: inout SenderSettings) throws {
        for (key, value) in try node.mapping(allowed: ["brand", "stop_number"]) {
            switch key {
            case "brand":
                guard let brand = try value.optionalString() else { s.brand = nil; continue }
                let trimmed = brand.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty, trimmed.count <= 40 else { throw value.error("expected the advertiser's name (1 to 40 characters)") }
                s.brand = trimmed
            case "stop_number":
                let number = try value.optionalString()
                if let number, !isDialable(number) { throw value.error("expected a phone number such as +33612345678 or 0612345678, got '\(number)'") }
                s.stopNumber = number
            default: break
            }
        }
    }

    static func readCompliance(_ node: ConfigNode, into c: inout ComplianceOptions) throws {
        // Read after the loop: custom windows default to the holidays of `default_country`.
        var quietHoursNode: ConfigNode?
        for (key, value) in try node.mapping(allowed: ["mode", "default_class", "footer_on_notifications", "locale", "country_locales", "smart_encoding", "default_country", "quiet_hours", "time_zone", "sms_number_types", "optin_ack_regions"]) {
            switch key {
            case "mode": c.mode = try value.choice(InstallationMode.self)
            case "default_class": c.defaultClass = value.isNull ? nil : try value.choice(MessageClass.self)
            case "footer_on_notifications":
                c.footerOnNotifications = try value.bool()
            case "locale": c.locale = try locale(value)
            case "country_locales":
                var map: [String: String] = [:]
                for (code, keyNode, localeNode) in try value.stringMapping() {
                    guard code.count == 2, code.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                        throw keyNode.error("expected an ISO 3166 alpha-2 region such as FR or GB, got '\(code)'")
                    }
                    map[code.uppercased()] = try locale(localeNode)
                }
                c.countryLocales = map
            case "smart_encoding":
                if let legacy = try? value.bool() {
                    c.smartEncoding = legacy ? .letters : .off
                } else {
                    c.smartEncoding = try value.choice(SmartEncodingMode.self)
                }
            case "sms_number_types":
                c.extraSMSNumberTypes = Set(try value.sequence().map { try $0.choice(PhoneNumberType.self) })
            case "optin_ack_regions":
                c.optInAcknowledgementRegions = Set(try value.sequence().map { node in
                    let code = try node.string().uppercased()
                    guard code.count == 2, code.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                        throw node.error("expected an ISO 3166 alpha-2 region such as US or FR, got '\(code)'")
                    }
                    return code
                })
            case "default_country":
                let country = try value.string().uppercased()
                guard country.count == 2, country.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                    throw value.error("expected an ISO 3166 alpha-2 country code such as FR, got '\(country)'")
                }
                c.defaultCountry = country
            case "quiet_hours": quietHoursNode = value
            case "time_zone":
                let name = try value.string()
                guard TimeZone(identifier: name) != nil else { throw value.error("expected an IANA time zone such as Europe/Paris, got '\(name)'") }
                c.timeZone = name
            default: break
            }
        }
        if let quietHoursNode {
            c.quietHours = try quietHours(quietHoursNode, defaultHolidays: HolidayCalendar.national(of: c.defaultCountry))
        }
    }

    static func locale(_ node: ConfigNode) throws -> String {
        let text = try node.string().lowercased()
        let locales = ["fr", "en"]
        guard locales.contains(text) else { throw node.error("expected a locale among \(locales.joined(separator: ", ")), got '\(text)'") }
        return text
    }

    /// `defaultHolidays`: the calendar of custom `windows:` that do not name one (`holidays: none`
    /// must be written to send on public holidays).
    static func quietHours(_ node: ConfigNode, defaultHolidays: HolidayCalendar = .france) throws -> QuietHours {
        if case .scalar = node.node {
            let name = try node.string()
            do { return try QuietHours.preset(name) } catch {
                throw node.error("expected a preset among \(QuietHours.presetNames.joined(separator: ", ")) or a mapping with 'preset' or 'windows', got '\(name)'")
            }
        }
        var preset: QuietHours?
        var windows: [SendingWindow]?
        var holidays: HolidayCalendar?
        for (key, value) in try node.mapping(allowed: ["preset", "windows", "holidays"]) {
            switch key {
            case "preset":
                let name = try value.string()
                do { preset = try QuietHours.preset(name) } catch {
                    throw value.error("expected one of \(QuietHours.presetNames.joined(separator: ", ")), got '\(name)'")
                }
            case "windows":
                windows = try value.sequence().map { windowNode in
                    let spec = try windowNode.string()
                    do { return try SendingWindow(parsing: spec) } catch {
                        throw windowNode.error("expected a window such as \"mon-fri 08:30-20:00\": \(error)")
                    }
                }
            case "holidays": holidays = try value.choice(HolidayCalendar.self)
            default: break
            }
        }
        switch (preset, windows) {
        case (var preset?, nil):
            if let holidays { preset.holidays = holidays }
            return preset
        case (nil, let windows?):
            do { return try QuietHours(windows: windows, holidays: holidays ?? defaultHolidays) } catch {
                throw node.error("expected at least one window (or preset: none)")
            }
        case (.some, .some): throw node.error("give either 'preset' or 'windows', not both")
        case (nil, nil): throw node.error("expected 'preset' or 'windows'")
        }
    }

    /// Bounds of the credit settings: with them, every credit sum the agent computes (segments ×
    /// cost, balance − spent) stays far inside `Int`, so no configuration can make `run` trap.
    static let maximumCostPerSegment = 1_000_000
    static let maximumBalance = 1_000_000_000_000

    static func readCredits(_ node: ConfigNode, into c: inout CreditSettings) throws {
        for (key, value) in try node.mapping(allowed: ["opening_balance", "cost_per_segment", "class_costs", "low_balance_warning", "hard_stop"]) {
            switch key {
            case "opening_balance": c.openingBalance = try value.int(min: 0, max: maximumBalance)
            case "cost_per_segment": c.costPerSegment = try value.int(min: 0, max: maximumCostPerSegment)
            case "class_costs":
                for (className, costNode) in try value.mapping(allowed: MessageClass.allCases.map(\.rawValue)) {
                    if let messageClass = MessageClass(rawValue: className) {
                        c.classCosts[messageClass] = try costNode.int(min: 0, max: maximumCostPerSegment)
                    }
                }
            case "low_balance_warning": c.lowBalanceWarning = try value.int(min: 0, max: maximumBalance)
            case "hard_stop": c.hardStop = try value.bool()
            default: break
            }
        }
    }

    static func readSending(_ node: ConfigNode, into s: inout SendingSettings) throws {
        for (key, value) in try node.mapping(allowed: ["retry", "ambiguous_window", "status_reports", "validity", "keep_settled_for"]) {
            switch key {
            case "retry": try readRetry(value, into: &s.retry)
            case "ambiguous_window": s.ambiguousWindow = try value.choice(AmbiguousSendPolicy.self)
            case "status_reports": s.statusReports = try value.bool()
            case "validity":
                if value.isNull { s.validity = nil; continue }
                let validity = try positive(value)
                guard validity >= .seconds(300), validity <= .seconds(63 * 7 * 86400) else {
                    throw value.error("expected a validity between 5m and 441d (TS 23.040 §9.2.3.12.1)")
                }
                s.validity = validity
            case "keep_settled_for":
                if value.isNull { s.keepSettledFor = nil; continue }
                let keep = try positive(value)
                guard keep >= .seconds(3600) else {
                    throw value.error("expected at least 1h (status reports and campaign status read the recent files)")
                }
                s.keepSettledFor = keep
            default: break
            }
        }
    }

    static func readRetry(_ node: ConfigNode, into r: inout RetrySettings) throws {
        for (key, value) in try node.mapping(allowed: ["attempts_before_reinitialise", "reinitialisations_before_reset", "resets_before_unhealthy", "initial_backoff", "max_backoff", "max_attempts_per_message", "unhealthy_retry_interval"]) {
            switch key {
            case "attempts_before_reinitialise": r.attemptsBeforeReinitialise = try value.int(min: 1, max: 100)
            case "reinitialisations_before_reset": r.reinitialisationsBeforeReset = try value.int(min: 0, max: 100)
            case "resets_before_unhealthy": r.resetsBeforeUnhealthy = try value.int(min: 0, max: 100)
            case "initial_backoff": r.initialBackoff = try value.duration()
            case "max_backoff": r.maxBackoff = try value.duration()
            case "max_attempts_per_message": r.maxAttemptsPerMessage = try value.int(min: 1, max: 1000)
            case "unhealthy_retry_interval": r.unhealthyRetryInterval = try positive(value)
            default: break
            }
        }
        if r.maxBackoff < r.initialBackoff {
            throw node.error("max_backoff (\(DurationText.format(r.maxBackoff))) is shorter than initial_backoff (\(DurationText.format(r.initialBackoff)))")
        }
    }

    static func readHooks(_ node: ConfigNode, into h: inout HookSettings) throws {
        for (key, value) in try node.mapping(allowed: ["on_receive", "on_sent", "on_failed", "timeout", "webhooks"]) {
            switch key {
            case "on_receive": h.onReceive = try program(value)
            case "on_sent": h.onSent = try program(value)
            case "on_failed": h.onFailed = try program(value)
            case "timeout": h.timeout = try positive(value)
            case "webhooks": h.webhooks = try readWebhooks(value)
            default: break
            }
        }
    }

    /// A hook program: null (none), a path, or a list `[program, arg, …]`. No shell is involved.
    static func program(_ node: ConfigNode) throws -> [String] {
        if node.isNull { return [] }
        let argv: [String]
        if let items = try? node.sequence() {
            argv = try items.map { try $0.string() }
        } else {
            argv = [try node.string()]
        }
        guard let first = argv.first, !first.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw node.error("expected a program: a path, or a list [program, argument, …]")
        }
        if argv.count == 1, first.contains(" ") {
            throw node.error("'\(first)' has spaces: write the program and its arguments as a list, e.g. [\"/usr/local/bin/hook\", \"--flag\"] (no shell is used)")
        }
        return argv
    }

    static func readInbound(_ node: ConfigNode, into i: inout InboundSettings) throws {
        for (key, value) in try node.mapping(allowed: ["poll_interval", "announced_poll_interval", "reassembly_timeout", "confirmations", "help_replies", "keyword_locales", "hash_opt_outs"]) {
            switch key {
            case "poll_interval": i.pollInterval = try positive(value)
            case "announced_poll_interval": i.announcedPollInterval = try positive(value)
            case "reassembly_timeout": i.reassemblyTimeout = try positive(value)
            case "confirmations": i.confirmations = try value.bool()
            case "help_replies": i.helpReplies = try value.bool()
            case "keyword_locales":
                let locales = try value.sequence().map { try locale($0) }
                guard !locales.isEmpty else { throw value.error("expected at least one locale (fr, en)") }
                i.keywordLocales = locales
            case "hash_opt_outs": i.hashOptOuts = try value.bool()
            default: break
            }
        }
    }

    /// Cross-field rules that no single key can check.
    static func validate(_ c: AgentConfiguration, file: String) throws {
        let names = c.modems.devices.map(\.name) + c.modems.simulated.map(\.name)
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw ConfigurationError(file: file, line: nil, column: nil, key: "modems", message: "two modems are named '\(name)'; names must be unique")
        }
    }
}
