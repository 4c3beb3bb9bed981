import Foundation

/// A line of the `smsagent simulate` control language (stdin, one command per line).
///
/// ```
/// [@N] inbound FROM TEXT...                 a text from FROM (number or alphanumeric) arrives
/// [@N] inbound-parts 2,1,3 FROM TEXT...     the same, parts delivered in this order
/// [@N] fault KIND [ARG] [on CMD] [sticky | times N]
///        KIND: no-reply | error | cme N | cms N | garbage [HEX] | urc TEXT
///              | no-reply-after-submit | late | hang | unplug
/// [@N] fault clear                          clear every fault (and a hang)
/// [@N] unplug                               the port disappears (pty closed, link removed)
/// [@N] plug                                 a new port after an unplug (same link)
/// [@N] registration home|roaming|searching|denied|none
/// [@N] signal RSSI                          +CSQ rssi 0…31 (99 unknown)
/// [@N] urc TEXT                             emit an unsolicited line
/// [@N] status                               one JSON line with the modem's state
/// quit                                      stop the simulator
/// ```
/// `@N` picks the modem (0-based, in the order of the printed paths); default 0.
public struct ControlLine: Sendable, Equatable {
    public var modem: Int
    public var command: ControlCommand
}

public enum ControlCommand: Sendable, Equatable {
    case inbound(from: String, text: String, order: [Int]?)
    case fault(SimulatorFault, command: String?, persistence: FaultPersistence)
    case clearFaults
    case unplug
    case plug
    case registration(SimulatedRegistration)
    case signal(Int)
    case urc(String)
    case status
    case quit
}

public struct ControlSyntaxError: Error, Sendable, CustomStringConvertible {
    public let line: String
    public let reason: String
    public var description: String { "\(reason): \(line)" }
}

extension ControlLine {
    /// Parses one line; nil for a blank line or a `#` comment.
    public static func parse(_ raw: String) throws(ControlSyntaxError) -> ControlLine? {
        let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if line.isEmpty || line.hasPrefix("#") { return nil }
        var words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var modem = 0
        if let first = words.first, first.hasPrefix("@") {
            guard let n = Int(first.dropFirst()), n >= 0 else { throw ControlSyntaxError(line: raw, reason: "bad modem selector") }
            modem = n
            words.removeFirst()
        }
        guard let verb = words.first?.lowercased() else { throw ControlSyntaxError(line: raw, reason: "missing command") }
        let args = Array(words.dropFirst())
        /// The text after the first `skip` arguments, spaces kept as typed.
        func rest(after skip: Int) -> String {
            var remainder = Substring(line)
            if line.hasPrefix("@") { remainder = remainder.drop { $0 != " " }.drop { $0 == " " } }
            for _ in 0...skip { remainder = remainder.drop { $0 != " " }.drop { $0 == " " } }
            return String(remainder)
        }
        func number(_ s: String?) throws(ControlSyntaxError) -> Int {
            guard let s, let n = Int(s) else { throw ControlSyntaxError(line: raw, reason: "expected a number") }
            return n
        }
        let command: ControlCommand
        switch verb {
        case "inbound":
            guard args.count >= 2 else { throw ControlSyntaxError(line: raw, reason: "usage: inbound FROM TEXT") }
            command = .inbound(from: args[0], text: rest(after: 1), order: nil)
        case "inbound-parts":
            guard args.count >= 3 else { throw ControlSyntaxError(line: raw, reason: "usage: inbound-parts 2,1 FROM TEXT") }
            let order = args[0].split(separator: ",").compactMap { Int($0) }
            guard !order.isEmpty else { throw ControlSyntaxError(line: raw, reason: "bad part order") }
            command = .inbound(from: args[1], text: rest(after: 2), order: order)
        case "fault":
            guard let kind = args.first?.lowercased() else { throw ControlSyntaxError(line: raw, reason: "usage: fault KIND") }
            if kind == "clear" { command = .clearFaults; break }
            var options = Array(args.dropFirst())
            var target: String?
            var persistence = FaultPersistence.once
            if let i = options.firstIndex(of: "on"), i + 1 < options.count {
                target = options[i + 1]
                options.removeSubrange(i...(i + 1))
            }
            if let i = options.firstIndex(of: "sticky") {
                persistence = .sticky
                options.remove(at: i)
            }
            if let i = options.firstIndex(of: "times"), i + 1 < options.count {
                persistence = .times(try number(options[i + 1]))
                options.removeSubrange(i...(i + 1))
            }
            let fault: SimulatorFault
            switch kind {
            case "no-reply": fault = .noReply
            case "error": fault = .error
            case "cme": fault = .cme(try number(options.first))
            case "cms": fault = .cms(try number(options.first))
            case "garbage":
                if let hex = options.first {
                    guard let bytes = SimulatorPDU.octets(fromHex: hex) else { throw ControlSyntaxError(line: raw, reason: "garbage wants hex") }
                    fault = .garbage(bytes)
                } else {
                    fault = .garbage([0xFF, 0xFE, 0x00, 0x7F, 0x1B, 0x80, 0x41])
                }
            case "urc":
                guard !options.isEmpty else { throw ControlSyntaxError(line: raw, reason: "fault urc wants a line") }
                fault = .urcMidResponse(options.joined(separator: " "))
            case "no-reply-after-submit": fault = .noReplyAfterSubmit
            case "late": fault = .late
            case "hang": fault = .hang
            case "unplug": fault = .unplug
            default: throw ControlSyntaxError(line: raw, reason: "unknown fault \(kind)")
            }
            command = .fault(fault, command: target, persistence: persistence)
        case "unplug": command = .unplug
        case "plug": command = .plug
        case "registration":
            let states: [String: SimulatedRegistration] = ["home": .home, "roaming": .roaming, "searching": .searching,
                                                           "denied": .denied, "none": .notRegistered, "unknown": .unknown]
            guard let name = args.first?.lowercased(), let state = states[name] else {
                throw ControlSyntaxError(line: raw, reason: "registration home|roaming|searching|denied|none")
            }
            command = .registration(state)
        case "signal":
            let rssi = try number(args.first)
            guard (0...31).contains(rssi) || rssi == 99 else { throw ControlSyntaxError(line: raw, reason: "rssi 0…31 or 99") }
            command = .signal(rssi)
        case "urc":
            guard !args.isEmpty else { throw ControlSyntaxError(line: raw, reason: "urc wants a line") }
            command = .urc(rest(after: 0))
        case "status": command = .status
        case "quit", "exit": command = .quit
        default: throw ControlSyntaxError(line: raw, reason: "unknown command \(verb)")
        }
        return ControlLine(modem: modem, command: command)
    }
}
