/// Turns an smstools3 `smsd.conf` into the equivalent smsagent.yaml: modems (device, PIN, SMSC,
/// speed, flow control), status reports, log level, and a note for every setting that has no
/// equivalent or works differently here. Pure: text in, text out (`smsagent import smstools`).
public struct SmstoolsConfigImport: Sendable, Equatable {
    /// The YAML to save as /etc/smsagent/smsagent.yaml (comments included).
    public var yaml: String
    /// What a person must look at, one line each (also in the YAML as comments).
    public var notes: [String]

    public static func convert(_ text: String, file: String = "smsd.conf") throws(SmstoolsConfigError) -> SmstoolsConfigImport {
        let conf = try SmstoolsConf.parse(text, file: file)
        var notes: [String] = []
        var devices: [[(String, String)]] = []
        var statusReports = false
        var logLevel: String?
        var hooks: [String] = []
        let listed = conf.global["devices"].map { $0.value.split(separator: ",").map { $0.trimmed(" \t") } } ?? []
        if listed.isEmpty { notes.append("\(file): no 'devices =' line: no modem to import") }

        for (key, entry) in conf.global.sorted(by: { $0.value.line < $1.value.line }) {
            switch key {
            case "devices": break
            case "loglevel":
                logLevel = Self.logLevel(entry.value)
                if logLevel == nil { notes.append("\(file):\(entry.line): loglevel \(entry.value): kept at info") }
            case "outgoing":
                notes.append("\(file):\(entry.line): outgoing = \(entry.value): point your scripts at /var/lib/smsagent/outbox/new/ — write the file elsewhere on the same file system, then mv it there; smstools' format (To:, Alphabet:, …) is read as is")
            case "incoming", "checked", "sent", "failed", "report", "phonecalls", "saved":
                notes.append("\(file):\(entry.line): \(key) = \(entry.value): smsagent keeps these in its data directory (inbox.csv, outbox/sent/, outbox/failed/, deliveries.csv)")
            case "eventhandler":
                hooks.append(entry.value)
                notes.append("\(file):\(entry.line): eventhandler = \(entry.value): smsagent's hooks (on_receive, on_sent, on_failed) get the event in SMSAGENT_* variables and one JSON line on stdin, not a file name as $2: adapt the script")
            case "logfile", "infofile", "pidfile", "stats", "stats_interval":
                notes.append("\(file):\(entry.line): \(key): systemd keeps the log (journalctl -u smsagent) and the state (smsagent status)")
            case "delaytime", "delaytime_mainprocess", "sleeptime", "blocktime", "errorsleeptime":
                notes.append("\(file):\(entry.line): \(key): not needed — smsagent wakes on a new file (inotify) and on +CMTI")
            default:
                notes.append("\(file):\(entry.line): \(key) has no equivalent in smsagent")
            }
        }

        for name in listed {
            guard let section = conf.sections[name] else {
                notes.append("\(file): device \(name) is listed in 'devices' but has no [\(name)] section")
                continue
            }
            var device: [(String, String)] = [("name", name)]
            for (key, entry) in section.sorted(by: { $0.value.line < $1.value.line }) {
                let value = entry.value
                switch key {
                case "device": device.append(("path", value))
                case "pin":
                    if value.lowercased() != "ignore" { device.append(("pin", Self.quoted(value))) }
                case "smsc":
                    let digits = value.filter(\.isNumber)
                    device.append(("smsc", Self.quoted(digits.count == value.count && !value.hasPrefix("0") ? "+" + digits : value)))
                case "baudrate": device.append(("baud", value))
                case "rtscts": device.append(("flow_control", Self.yes(value) ? "true" : "false"))
                case "report": statusReports = statusReports || Self.yes(value)
                case "incoming":
                    if !Self.yes(value) && value != "1" && value != "2" {
                        notes.append("\(file):\(entry.line): [\(name)] incoming = \(value): smsagent always reads inbound SMS (STOP replies must be honoured)")
                    }
                case "primary_memory", "secondary_memory":
                    notes.append("\(file):\(entry.line): [\(name)] \(key) = \(value): see modems.sms_storage (e.g. [ME, ME, ME])")
                case "eventhandler":
                    hooks.append(value)
                    notes.append("\(file):\(entry.line): [\(name)] eventhandler: hooks are per installation in smsagent, not per modem")
                case "init", "init2":
                    notes.append("\(file):\(entry.line): [\(name)] \(key) = \(value): smsagent sends its own set-up (PDU mode, storage, +CNMI); extra AT commands are not supported")
                case "mode", "cs_convert", "decode_unicode_text", "memory_start", "check_network", "send_delay", "queues", "signal_quality_ber_ignore":
                    notes.append("\(file):\(entry.line): [\(name)] \(key): not needed (PDU mode, exact encoding, registration and throttle handled by smsagent)")
                default:
                    notes.append("\(file):\(entry.line): [\(name)] \(key) has no equivalent in smsagent")
                }
            }
            if !device.contains(where: { $0.0 == "path" }) {
                notes.append("\(file): [\(name)] has no 'device =': set its path")
            }
            devices.append(device)
        }
        notes.append("smstools does not throttle; smsagent sends at most one SMS every 3 s and 200 a day per SIM (modems.throttle) so operators do not suspend the SIM")
        notes.append("set sender.brand (the advertiser's name every marketing SMS carries): the service does not start without it")

        var lines = ["# smsagent.yaml imported from \(file) by `smsagent import smstools`.",
                     "# Check it with: smsagent check-config FILE. Every option: smsagent.yaml(5).", ""]
        if let logLevel { lines.append("log_level: \(logLevel)") ; lines.append("") }
        lines.append("modems:")
        lines.append("  discovery: \(devices.isEmpty ? "true" : "false")")
        lines.append("  devices:\(devices.isEmpty ? " []" : "")")
        for device in devices {
            for (index, field) in device.enumerated() {
                lines.append("\(index == 0 ? "    - " : "      ")\(field.0): \(field.1)")
            }
        }
        lines += ["", "sender:", "  brand: null          # required: the advertiser's name", "  stop_number: null"]
        if statusReports { lines += ["", "sending:", "  status_reports: true"] }
        if !hooks.isEmpty {
            lines += ["", "# smstools' eventhandler was: \(hooks.joined(separator: ", ")) — see the notes before enabling:",
                      "# hooks:", "#   on_receive: \(hooks[0])", "#   on_sent: \(hooks[0])", "#   on_failed: \(hooks[0])"]
        }
        lines += ["", "# Notes:"] + notes.map { "#   - \($0)" }
        return SmstoolsConfigImport(yaml: lines.joined(separator: "\n") + "\n", notes: notes)
    }

    static func yes(_ value: String) -> Bool { ["yes", "y", "true", "on", "1"].contains(value.lowercased()) }

    static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// smstools' syslog-style levels (or names) → swift-log's.
    static func logLevel(_ value: String) -> String? {
        switch value.lowercased() {
        case "7", "debug": "debug"
        case "6", "info": "info"
        case "5", "notice": "notice"
        case "4", "warning": "warning"
        case "3", "error": "error"
        case "2", "1", "0", "critical", "alert", "emergency": "critical"
        default: nil
        }
    }
}

/// An smsd.conf that cannot be read: the file and line at fault.
public struct SmstoolsConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var problem: String
    public var description: String { "\(file):\(line): \(problem)" }
}

/// smsd.conf as smstools reads it: `key = value` lines, `#` comments, `[section]` headers; the
/// lines before the first section are global.
struct SmstoolsConf {
    struct Entry { var value: String; var line: Int }
    var global: [String: Entry] = [:]
    var sections: [String: [String: Entry]] = [:]

    static func parse(_ text: String, file: String) throws(SmstoolsConfigError) -> SmstoolsConf {
        var conf = SmstoolsConf()
        var section: String?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = raw.trimmed(" \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else { throw SmstoolsConfigError(file: file, line: number, problem: "a section header is [name]") }
                let name = String(line.dropFirst().dropLast()).trimmed(" \t")
                section = name
                conf.sections[name, default: [:]] = conf.sections[name] ?? [:]
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw SmstoolsConfigError(file: file, line: number, problem: "expected 'name = value', got '\(line)'")
            }
            let key = String(line[..<equals]).trimmed(" \t").lowercased()
            let value = String(line[line.index(after: equals)...]).trimmed(" \t")
            guard !key.isEmpty else { throw SmstoolsConfigError(file: file, line: number, problem: "a setting without a name") }
            if let section {
                conf.sections[section, default: [:]][key] = Entry(value: value, line: number)
            } else {
                conf.global[key] = Entry(value: value, line: number)
            }
        }
        return conf
    }
}

extension StringProtocol {
    fileprivate func trimmed(_ set: String) -> String {
        var s = Substring(self)
        while let first = s.first, set.contains(first) { s.removeFirst() }
        while let last = s.last, set.contains(last) { s.removeLast() }
        return String(s)
    }
}
