import ArgumentParser
import Foundation
import Logging
import ModemKit
import SMSCodec
import SerialPort

/// `smsagent modem --port PATH …`: talk to one modem directly — the first thing to run with a new
/// stick, and what a hardware-in-the-loop bench scripts.
///
/// Exit status: 0 done; 1 the modem refused or failed the operation (after it answered AT); 3 the
/// port is absent, busy or not allowed; 4 the port is not a modem (nothing answered AT); 5 the SIM
/// is PUK-locked, absent, or refused the PIN; 6 the SIM wants a PIN and none was given.
struct ModemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modem",
        abstract: "Talk to one modem directly: identity, signal, send, list, delete, raw AT.",
        discussion: """
            Examples:
              smsagent modem --port /dev/ttyUSB2 info
              smsagent modem --port /dev/ttyUSB2 --pin 1234 send --to +33612345678 --text "Hello"
              smsagent modem --port /dev/ttyUSB2 list --json
              smsagent modem --port /dev/ttyUSB2 delete 3
              smsagent modem --port /dev/ttyUSB2 at 'AT+COPS?'
            Exit status: 0 ok, 1 the modem refused or failed, 3 port absent/busy/not allowed, 4 not a modem \
            (nothing answered AT), 5 SIM PUK-locked, absent or PIN refused, 6 SIM PIN required (give --pin).
            """,
        subcommands: [Info.self, Send.self, List.self, Delete.self, AT.self]
    )

    /// Given before the subcommand (`smsagent modem --port P info`); each subcommand reads the same group.
    @OptionGroup var connection: Connection

    struct Connection: ParsableArguments {
        @Option(help: "The modem's AT port, e.g. /dev/ttyUSB2 or /dev/serial/by-id/…")
        var port: String

        @Option(help: "SIM PIN, entered at most once and never when one attempt or only the PUK is left.")
        var pin: String?

        @Option(help: "Baud rate.")
        var baud: Int = 115_200

        @Flag(help: "RTS/CTS hardware flow control.")
        var flowControl = false

        @Option(help: "Seconds to wait for an ordinary answer.")
        var timeout: Double = 5

        @Flag(name: .shortAndLong, help: "Log every AT exchange on stderr.")
        var verbose = false

        func validate() throws {
            guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be in (0, 600] seconds") }
        }

        /// Opens the port and, unless `prepare` is false, sets the modem up and unlocks the SIM
        /// (`Modem.prepare`); returns what the set-up learnt (nil without set-up).
        func connect(prepare: Bool = true, sendTimeout: Double = 60) async throws -> (Modem, ModemSetup?) {
            var logger = Logger(label: "smsagent.modem") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = verbose ? .trace : .error
            let transport: SerialTransport
            do {
                transport = try SerialTransport.open(path: port, baud: baud, flowControl: flowControl)
            } catch let error as SerialPortError {
                throw ModemCommandFailure(message: Self.explain(error), code: 3)
            }
            var options = ModemOptions()
            options.commandTimeout = .milliseconds(Int(timeout * 1000))
            options.promptTimeout = options.commandTimeout
            options.sendTimeout = .milliseconds(Int(sendTimeout * 1000))
            let modem = Modem(transport: transport, options: options, logger: logger)
            guard prepare else { return (modem, nil) }
            do {
                return (modem, try await modem.prepare(pin: pin))
            } catch let error as ModemError {
                let answered = await modem.hasAnswered
                await modem.close()
                throw Self.explain(error, port: port, portAnswered: answered)
            } catch let error as ModemSetupError {
                await modem.close()
                throw Self.explain(error)
            }
        }

        /// Runs `body` on a connected modem and closes the port afterwards, whatever happens.
        func withModem<T>(prepare: Bool = true, sendTimeout: Double = 60, _ body: (Modem) async throws -> T) async throws -> T {
            try await withPreparedModem(prepare: prepare, sendTimeout: sendTimeout) { modem, _ in try await body(modem) }
        }

        /// `withModem`, also handing over what the set-up learnt.
        func withPreparedModem<T>(prepare: Bool = true, sendTimeout: Double = 60,
                                  _ body: (Modem, ModemSetup?) async throws -> T) async throws -> T {
            let (modem, setup) = try await connect(prepare: prepare, sendTimeout: sendTimeout)
            do {
                let result = try await body(modem, setup)
                await modem.close()
                return result
            } catch {
                await modem.close()
                throw error
            }
        }

        static func explain(_ error: SerialPortError) -> String {
            switch error {
            case .notFound(let path, _):
                return "\(path): no such port. Is the modem plugged in? `smsagent discover` lists the ports of every modem."
            case .busy(let path, _, let holder):
                return "\(path): port busy — \(holder). Stop the other program (ModemManager: `systemctl stop ModemManager`, or another smsagent) and try again."
            case .permissionDenied(let path, _):
                return "\(path): permission denied. Add your user to the dialout group (`sudo usermod -aG dialout $USER`, then log in again) or install the udev rules."
            case .notATerminal(let path, _):
                return "\(path): not a serial port."
            default:
                return error.description
            }
        }

        static func explain(_ error: ModemSetupError) -> ModemCommandFailure {
            switch error {
            case .noAnswer(let port):
                return ModemCommandFailure(message: "\(port): no answer to AT — not a modem, or not its AT port (a stick has several: try the others, or `smsagent discover --probe`).", code: 4)
            }
        }

        /// `portAnswered`: a final result came from the port before (`Modem.hasAnswered`), so a
        /// timeout is one command's failure, not "not a modem".
        static func explain(_ error: ModemError, port: String, portAnswered: Bool = false) -> ModemCommandFailure {
            switch error {
            case .timeout where !portAnswered:
                return ModemCommandFailure(message: "\(port): no answer to AT — not a modem, or not its AT port (a stick has several: try the others, or `smsagent discover --probe`).", code: 4)
            case .timeout(let command, let answered):
                // The modem answered AT (else the set-up says so): this is its AT port, stuck on one command.
                let said = answered.isEmpty ? "" : " (it answered \(answered.joined(separator: " | ").debugDescription) and then nothing)"
                return ModemCommandFailure(message: "\(port): the modem answered AT but not \(command) in time\(said). Run with -v to see the exchange; unplug and replug the modem if it stays stuck.", code: 1)
            case .pinRequired:
                return ModemCommandFailure(message: "\(port): SIM PIN required: set modems.pin (or --pin).", code: 6)
            case .pinRejected, .pinAlreadyAttempted, .pinAttemptsTooLow, .pukRequired, .simNotInserted, .simLocked:
                return ModemCommandFailure(message: "\(port): \(error.description)", code: 5)
            case .transportClosed:
                // The error names the port already.
                return ModemCommandFailure(message: "\(error.description). Was the modem unplugged?", code: 3)
            case .cms(330?, _, _):
                return ModemCommandFailure(message: "\(port): \(error.description): the SIM has no SMS centre. Give it with --smsc +<number> (in the agent: set modems.smsc).", code: 1)
            default:
                return ModemCommandFailure(message: "\(port): \(error.description)", code: 1)
            }
        }
    }

    // MARK: info

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Identity, SIM, registration, signal, SMS centre, own number and storage.")

        @OptionGroup var connection: Connection
        @Flag(help: "Print JSON.")
        var json = false

        struct Report: Encodable {
            var port: String
            var identity: ModemIdentity
            var sim: String
            var registration: RegistrationStatus?
            var registered: Bool
            var signalDBm: Int?
            var signalRSSI: Int?
            /// The number, or null when not set or unknown; `serviceCentreState` says which.
            var serviceCentre: String?
            /// `set`, `not-set` or `unknown-sim-busy`.
            var serviceCentreState: String
            var ownNumber: String?
            var storage: StorageUsage?
            /// `announced`, `polling-only` or `unreadable` (replies to this SIM cannot be read).
            var inbound: String
            var repliesReadable: Bool

            enum CodingKeys: String, CodingKey {
                case port, identity, sim, registration, registered, signalDBm, signalRSSI, serviceCentre,
                     serviceCentreState, ownNumber, storage, inbound, repliesReadable
            }

            // Every key is written, null included: a script can tell "no SMSC" from "field missing".
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(port, forKey: .port)
                try c.encode(identity, forKey: .identity)
                try c.encode(sim, forKey: .sim)
                try c.encode(registration, forKey: .registration)
                try c.encode(registered, forKey: .registered)
                try c.encode(signalDBm, forKey: .signalDBm)
                try c.encode(signalRSSI, forKey: .signalRSSI)
                try c.encode(serviceCentre, forKey: .serviceCentre)
                try c.encode(serviceCentreState, forKey: .serviceCentreState)
                try c.encode(ownNumber, forKey: .ownNumber)
                try c.encode(storage, forKey: .storage)
                try c.encode(inbound, forKey: .inbound)
                try c.encode(repliesReadable, forKey: .repliesReadable)
            }
        }

        func run() async throws {
            try await runReporting {
                try await connection.withPreparedModem { modem, setup in try await report(modem, setup: setup) }
            }
        }

        static func stateName(_ state: ServiceCentreState) -> String {
            switch state {
            case .set: "set"
            case .unset: "not-set"
            case .unknownSIMBusy: "unknown-sim-busy"
            }
        }

        func report(_ modem: Modem, setup: ModemSetup?) async throws {
                let signal = try await modem.signal()
                let registration = try? await modem.registration()
                let centre = setup?.serviceCentre ?? .unset
                let inbound = setup?.inbound ?? .announced
                let report = Report(
                    port: connection.port, identity: try await modem.identity(), sim: try await modem.simStatus().description,
                    registration: registration, registered: registration?.isRegistered ?? false,
                    signalDBm: signal.dBm, signalRSSI: signal.rssi, serviceCentre: centre.number,
                    serviceCentreState: Self.stateName(centre),
                    ownNumber: try? await modem.ownNumber(), storage: try? await modem.storageUsage(),
                    inbound: inbound.rawValue, repliesReadable: inbound.canReadReplies)
                if json {
                    printJSON(report)
                    return
                }
                let id = report.identity
                print("port:           \(report.port)")
                print("modem:          \(id.manufacturer ?? "?") \(id.model ?? "?") (revision \(id.revision ?? "?"))")
                print("IMEI:           \(id.imei ?? "unknown")")
                print("SIM:            \(report.sim); IMSI \(id.imsi ?? "unknown"); ICCID \(id.iccid ?? "unknown")")
                print("own number:     \(report.ownNumber ?? "not stored on the SIM")")
                if let registration {
                    print("registration:   \(registration.state) (\(registration.domain.rawValue))" + (registration.isRegistered ? "" : " — cannot send yet"))
                } else {
                    print("registration:   unknown")
                }
                print("signal:         " + (signal.dBm.map { "\($0) dBm (rssi \(signal.rssi ?? 0))" } ?? "unknown"))
                switch centre {
                case .set(let number): print("SMS centre:     \(number)")
                case .unset: print("SMS centre:     not set — sending will fail (+CMS ERROR 330): give --smsc to `send`, or set modems.smsc")
                case .unknownSIMBusy: print("SMS centre:     unknown (SIM busy)")
                }
                if let storage = report.storage {
                    print("SMS storage:    \(storage.read.used)/\(storage.read.total) in \(storage.read.storage ?? "?")")
                } else if !inbound.canReadReplies {
                    print("SMS storage:    none reachable over AT")
                }
                print("inbound SMS:    \(inbound)")
                if !inbound.canReadReplies {
                    print("warning:        replies to this SIM cannot be read — STOP messages sent to it are never seen; do not send marketing with this SIM as its STOP number")
                }
        }
    }

    // MARK: send

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send one SMS (split into parts when long) and print the message references.")

        @OptionGroup var connection: Connection
        @Option(help: "Recipient: +<country><number>, or national digits.")
        var to: String
        @Option(help: "Text of the message.")
        var text: String
        @Flag(help: "Ask the network for a status report.")
        var report = false
        @Option(help: "Seconds to wait for the network to accept each part.")
        var sendTimeout: Double = 60
        @Option(help: "SMS centre to put in each PDU (+<country><number>), for a SIM that has none (+CMS ERROR 330).")
        var smsc: String?

        /// One part. `+CMS ERROR: 500` (unknown error) is what fresh sticks often answer to their
        /// first submission: the network accepted nothing, so the part is sent once more.
        static func submit(_ pdu: SubmitPDU, on modem: Modem) async throws -> Int {
            do {
                return try await modem.send(pdu)
            } catch ModemError.cms(500?, _, _) {
                return try await modem.send(pdu)
            }
        }

        func run() async throws {
            try await runReporting {
                var options = SubmitOptions()
                options.requestStatusReport = report
                options.concatReference = UInt8.random(in: 0...255)
                options.smsc = smsc
                let pdus: [SubmitPDU]
                do {
                    pdus = try SMSSubmitEncoder.encode(to: to, text: text, options: options)
                } catch {
                    throw ModemCommandFailure(message: "cannot encode the message: \(error)", code: 1)
                }
                let references = try await connection.withPreparedModem(sendTimeout: sendTimeout) { modem, setup in
                    if smsc == nil, setup?.serviceCentre == .unset {
                        FileHandle.standardError.write(Data("smsagent modem: warning: the SIM has no SMS centre (AT+CSCA? is empty); the network will refuse the message (+CMS ERROR 330). Give --smsc +<number> (in the agent: modems.smsc).\n".utf8))
                    }
                    var references: [Int] = []
                    for pdu in pdus {
                        do {
                            references.append(try await Self.submit(pdu, on: modem))
                        } catch let error as ModemError {
                            let sent = references.isEmpty ? "" : " after \(references.count) of \(pdus.count) parts (references \(references.map(String.init).joined(separator: ", ")))"
                            let code: Int32 = if case .transportClosed = error { 3 } else { 1 }
                            var message = "sending failed\(sent): \(error)"
                            if case .cms(330?, _, _) = error {
                                message += smsc == nil ? ". The SIM has no SMS centre: give --smsc +<number> (in the agent: modems.smsc)."
                                                       : ". The network does not know the SMS centre \(smsc ?? ""): check the number with your operator."
                            }
                            throw ModemCommandFailure(message: message, code: code)
                        }
                    }
                    return references
                }
                print("sent \(pdus.count) part(s) to \(to), message reference(s) \(references.map(String.init).joined(separator: ", "))")
            }
        }
    }

    // MARK: list

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the messages stored on the SIM/modem, decoded.")

        @OptionGroup var connection: Connection
        @Flag(help: "Print JSON.")
        var json = false

        struct Entry: Codable {
            var index: Int
            var status: String
            var kind: String
            var from: String?
            var time: Date?
            var text: String?
            var part: String?
            var statusReport: String?
            var error: String?
            var pdu: String
        }

        func run() async throws {
            try await runReporting {
                let messages = try await connection.withModem { try await $0.listMessages() }
                let entries = messages.map(Self.entry)
                if json {
                    printJSON(entries)
                    return
                }
                if entries.isEmpty { print("no stored messages") }
                for entry in entries {
                    var line = "[\(entry.index)] \(entry.status)"
                    if let from = entry.from { line += " from \(from)" }
                    if let time = entry.time { line += " at \(time.formatted(.iso8601))" }
                    if let part = entry.part { line += " (part \(part))" }
                    print(line)
                    if let text = entry.text { print("    \(text)") }
                    if let report = entry.statusReport { print("    status report: \(report)") }
                    if let error = entry.error { print("    undecodable: \(error) — \(entry.pdu)") }
                }
            }
        }

        static func entry(_ message: StoredMessage) -> Entry {
            let status = switch message.status {
            case .receivedUnread: "unread"
            case .receivedRead: "read"
            case .storedUnsent: "unsent"
            case .storedSent: "sent"
            }
            var entry = Entry(index: message.index, status: status, kind: "unknown", pdu: message.pduHex)
            do {
                switch try PDUDecoder.decode(hex: message.pduHex) {
                case .deliver(let deliver):
                    entry.kind = "deliver"
                    entry.from = deliver.originator
                    entry.time = deliver.timestamp
                    entry.text = deliver.text
                    entry.part = deliver.concatenation.map { "\($0.sequence)/\($0.total), reference \($0.reference)" }
                case .statusReport(let report):
                    entry.kind = "status-report"
                    entry.from = report.recipient
                    entry.time = report.dischargeTime
                    entry.statusReport = "message reference \(report.messageReference): \(report.statusMeaning)"
                case .submit(let submit):
                    entry.kind = "submit"
                    entry.from = submit.destination
                    entry.text = submit.text
                }
            } catch {
                entry.error = "\(error)"
            }
            return entry
        }
    }

    // MARK: delete

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete one stored message by its index (as `list` shows it).")

        @OptionGroup var connection: Connection
        @Argument(help: "The message's index.")
        var index: Int

        func run() async throws {
            try await runReporting {
                try await connection.withModem { try await $0.deleteMessage(index: index) }
                print("deleted message \(index)")
            }
        }
    }

    // MARK: at

    struct AT: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "at",
            abstract: "Send one AT command line as is and print the answer (no set-up, no PIN unless --pin).",
            discussion: "Exit status 1 when the modem answers ERROR. AT+CMGS is aborted at its prompt: use `send`.")

        @OptionGroup var connection: Connection
        @Argument(help: "The command line, e.g. 'AT+CSQ'. Quote it for the shell.")
        var command: String
        @Flag(help: "Print JSON.")
        var json = false

        struct Answer: Codable {
            var command: String
            var lines: [String]
            var final: String
            var ok: Bool
        }

        func run() async throws {
            try await runReporting {
                let response = try await connection.withModem(prepare: false) { modem in try await exchange(modem) }
                let answer = Answer(command: command, lines: response.lines, final: response.final.description, ok: response.final.isSuccess)
                if json {
                    printJSON(answer)
                } else {
                    for line in response.lines { print(line) }
                    print(response.final.description)
                }
                if !response.final.isSuccess { throw ExitCode(1) }
            }
        }

        func exchange(_ modem: Modem) async throws -> ATResponse {
                if connection.pin != nil {
                    do {
                        try await modem.unlockIfNeeded(pin: connection.pin)
                    } catch let error as ModemError {
                        throw Connection.explain(error, port: connection.port, portAnswered: await modem.hasAnswered)
                    }
                }
                let response: ATResponse
                do {
                    response = try await modem.raw(command, timeout: .milliseconds(Int(connection.timeout * 1000)))
                } catch ModemError.invalidArgument(let reason) {
                    throw ModemCommandFailure(message: reason, code: 1)
                } catch ModemError.timeout {
                    throw ModemCommandFailure(message: "\(connection.port): no answer to \(command) in \(connection.timeout) s", code: 4)
                }
                return response
        }
    }
}

/// A failure with the message a person reads and the exit status scripts test.
struct ModemCommandFailure: Error {
    let message: String
    let code: Int32
}

/// Runs `body`, turning failures into a message on stderr and the documented exit status.
private func runReporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as ModemCommandFailure {
        FileHandle.standardError.write(Data("smsagent modem: \(failure.message)\n".utf8))
        throw ExitCode(failure.code)
    } catch let error as ModemSetupError {
        FileHandle.standardError.write(Data("smsagent modem: \(error.description)\n".utf8))
        throw ExitCode(4)
    } catch let error as ModemError {
        // A port that vanished mid-command is "absent" (3), as when it vanishes during set-up.
        let code: Int32 = if case .transportClosed = error { 3 } else { 1 }
        FileHandle.standardError.write(Data("smsagent modem: \(error.description)\n".utf8))
        throw ExitCode(code)
    }
}

private func printJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    if let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) {
        print(text)
    }
}
