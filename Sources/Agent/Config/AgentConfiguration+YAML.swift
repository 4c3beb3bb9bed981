import Compliance
import Foundation
import Records

extension AgentConfiguration {
    /// The effective configuration as YAML (every option, defaults filled in), as
    /// `smsagent check-config` prints it. Parsing this text gives back the same configuration.
    public func effectiveYAML() -> String {
        var out: [String] = []
        func q(_ s: String?) -> String {
            guard let s else { return "null" }
            let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        }
        func d(_ duration: Duration) -> String { DurationText.format(duration) }
        func throttle(_ t: ThrottleSettings) -> String { "{ min_interval: \(d(t.minInterval)), daily_cap: \(t.dailyCap) }" }

        out.append("data_directory: \(q(dataDirectory))")
        out.append("log_level: \(logLevel)")
        out.append("status_interval: \(d(statusInterval))")
        out.append("modems:")
        out.append("  discovery: \(modems.discovery)")
        out.append("  hotplug: \(modems.hotplug)")
        out.append("  pin: \(modems.pin == nil ? "null" : "\"****\"")")
        out.append("  smsc: \(q(modems.smsc))")
        out.append("  throttle: \(throttle(modems.throttle))")
        out.append("  keepalive_interval: \(d(modems.keepaliveInterval))")
        out.append("  sms_storage: [\(modems.smsStorage.joined(separator: ", "))]")
        if modems.devices.isEmpty { out.append("  devices: []") } else {
            out.append("  devices:")
            for device in modems.devices {
                out.append("    - name: \(q(device.name))")
                out.append("      path: \(q(device.path))")
                out.append("      pin: \(device.pin == nil ? "null" : "\"****\"")")
                out.append("      smsc: \(q(device.smsc))")
                out.append("      baud: \(device.baud)")
                out.append("      flow_control: \(device.flowControl)")
                out.append("      enabled: \(device.enabled)")
                out.append("      throttle: \(throttle(device.throttle ?? modems.throttle))")
            }
        }
        if modems.simulated.isEmpty { out.append("  simulated: []") } else {
            out.append("  simulated:")
            for sim in modems.simulated {
                out.append("    - name: \(q(sim.name))")
                out.append("      own_number: \(q(sim.ownNumber))")
                out.append("      profile: \(sim.profile)")
                out.append("      enabled: \(sim.enabled)")
                out.append("      throttle: \(throttle(sim.throttle ?? modems.throttle))")
            }
        }
        out.append("sender:")
        out.append("  brand: \(q(sender.brand))")
        out.append("  stop_number: \(q(sender.stopNumber))\(sender.stopNumber == nil ? "   # each SIM's own number (AT+CNUM)" : "")")
        out.append("compliance:")
        out.append("  mode: \(compliance.mode.rawValue)")
        out.append("  default_class: \(compliance.effectiveDefaultClass.rawValue)")
        out.append("  footer_on_notifications: \(compliance.footerOnNotifications)")
        out.append("  locale: \(compliance.locale)")
        let locales = compliance.countryLocales.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        out.append("  country_locales: { \(locales.joined(separator: ", ")) }   # added to the built-in map (fr for FR, BE, CH, LU, MC, overseas …)")
        out.append("  smart_encoding: \(compliance.smartEncoding.rawValue)   # off | punctuation | letters (ê→e, ç→c: changes words, halves a French text's cost)")
        out.append("  sms_number_types: [\(compliance.extraSMSNumberTypes.map(\.rawValue).sorted().joined(separator: ", "))]   # besides mobile and fixed_line_or_mobile")
        out.append("  optin_ack_regions: [\(compliance.optInAcknowledgementRegions.sorted().joined(separator: ", "))]")
        out.append("  default_country: \(compliance.defaultCountry)")
        let quiet = compliance.quietHours
        if quiet.name != "custom", let preset = try? QuietHours.preset(quiet.name), preset == quiet {
            out.append("  quiet_hours: \(quiet.name)")
        } else {
            out.append("  quiet_hours:")
            out.append("    windows:")
            for window in quiet.windows { out.append("      - \(q(window.description))") }
            out.append("    holidays: \(quiet.holidays.rawValue)")
        }
        out.append("  time_zone: \(compliance.timeZone)")
        out.append("credits:")
        out.append("  opening_balance: \(credits.openingBalance)")
        out.append("  cost_per_segment: \(credits.costPerSegment)")
        let costs = MessageClass.allCases.map { "\($0.rawValue): \(credits.cost(perSegmentFor: $0))" }
        out.append("  class_costs: { \(costs.joined(separator: ", ")) }")
        out.append("  low_balance_warning: \(credits.lowBalanceWarning)")
        out.append("  hard_stop: \(credits.hardStop)")
        out.append("sending:")
        out.append("  retry:")
        let r = sending.retry
        out.append("    attempts_before_reinitialise: \(r.attemptsBeforeReinitialise)")
        out.append("    reinitialisations_before_reset: \(r.reinitialisationsBeforeReset)")
        out.append("    resets_before_unhealthy: \(r.resetsBeforeUnhealthy)")
        out.append("    initial_backoff: \(d(r.initialBackoff))")
        out.append("    max_backoff: \(d(r.maxBackoff))")
        out.append("    max_attempts_per_message: \(r.maxAttemptsPerMessage)")
        out.append("    unhealthy_retry_interval: \(d(r.unhealthyRetryInterval))")
        out.append("  ambiguous_window: \(sending.ambiguousWindow.rawValue)")
        out.append("  status_reports: \(sending.statusReports)")
        out.append("  validity: \(sending.validity.map(d) ?? "null")")
        out.append("  keep_settled_for: \(sending.keepSettledFor.map(d) ?? "null")")
        out.append("inbound:")
        out.append("  poll_interval: \(d(inbound.pollInterval))")
        out.append("  announced_poll_interval: \(d(inbound.announcedPollInterval))")
        out.append("  reassembly_timeout: \(d(inbound.reassemblyTimeout))")
        out.append("  confirmations: \(inbound.confirmations)")
        out.append("  help_replies: \(inbound.helpReplies)")
        out.append("  keyword_locales: [\(inbound.keywordLocales.joined(separator: ", "))]")
        out.append("  hash_opt_outs: \(inbound.hashOptOuts)")
        func program(_ argv: [String]) -> String { argv.isEmpty ? "null" : "[" + argv.map { q($0) }.joined(separator: ", ") + "]" }
        out.append("hooks:")
        out.append("  on_receive: \(program(hooks.onReceive))")
        out.append("  on_sent: \(program(hooks.onSent))")
        out.append("  on_failed: \(program(hooks.onFailed))")
        out.append("  timeout: \(d(hooks.timeout))")
        out.append(contentsOf: httpYAML { q($0) })
        return out.joined(separator: "\n") + "\n"
    }
}
