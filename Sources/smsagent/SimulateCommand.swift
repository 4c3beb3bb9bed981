import ArgumentParser
import Dispatch
import Foundation
import Logging
import Simulator
#if canImport(Glibc)
import Glibc
#endif

/// `smsagent simulate`: virtual GSM modems on pseudo-terminals, for tests, demos and anyone
/// without hardware.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run simulated GSM modems on pseudo-terminals (no hardware needed).",
        discussion: """
            Prints the path of each modem's port on stdout, one line each and nothing else \
            before them, then serves until SIGINT/SIGTERM, the `quit` command, or end of stdin \
            when stdin is a pipe or a terminal (a test harness that dies takes the simulator \
            with it). With stdin on /dev/null or a regular file its commands are run and the \
            simulator keeps serving. Override with --stdin-eof exit|ignore.

            Control commands on stdin, one per line; answers "ok ..." or "error ...":
              [@N] inbound FROM TEXT...          a text arrives (+number, digits or a name)
              [@N] inbound-parts 2,1 FROM TEXT   a long text, parts in that order
              [@N] fault KIND [on CMD] [sticky|times N]
                KIND: no-reply | error | cme N | cms N | garbage [HEX] | urc TEXT
                      | no-reply-after-submit | late | hang | unplug
                e.g. "fault cms 500 on +CMGS", "fault hang", "fault error on +CSQ sticky"
              [@N] fault clear                   clear every fault, a hang included
              [@N] unplug                        close the port, remove its link
              [@N] plug                          a new port after an unplug
              [@N] registration home|roaming|searching|denied|none
              [@N] signal RSSI                   0..31, 99 = unknown
              [@N] urc TEXT                      emit an unsolicited line
              [@N] status                        one JSON line of state
              quit                               stop
            @N picks the modem (0-based, order of the printed paths); default @0.

            --record FILE.jsonl: one JSON line per message that left, fsynced before its \
            last +CMGS answer: time, modem, profile, number, text, parts (accepted PDUs: \
            what is charged), segments, references, concat_reference, encoding, \
            status_report, message_class, complete (false for a multi-part message still \
            missing parts at exit), pdus.

            Profiles:
            \(ModemProfile.allCases.map { "  \($0.rawValue): \($0.summary)" }.joined(separator: "\n"))
            Quirks, added to a profile with + (wavecom+no-smsc) or alone (on generic):
            \(SimulatorQuirk.allCases.map { "  \($0.rawValue): \($0.summary)" }.joined(separator: "\n"))
            """)

    @Option(name: .customLong("link"), help: "Make a symlink to the port at PATH (repeat per modem; with one PATH and --count N, PATH0…PATHN-1).")
    var links: [String] = []

    @Option(help: "Dialect: \(ModemProfile.allCases.map(\.rawValue).joined(separator: ", ")), with quirks added by + (\(SimulatorQuirk.allCases.map(\.rawValue).joined(separator: ", "))).")
    var profile: String = "generic"

    @Option(help: "Number of simulated modems.")
    var count: Int = 1

    @Option(help: "SIM PIN (the SIM starts locked); none by default, 1234 for qualcomm-pin-first.")
    var pin: String?

    @Option(help: "The SIM's own number (+CNUM); \"none\" for a SIM that does not know it.")
    var ownNumber: String = "+33600000001"

    @Option(help: "SIM storage slots.")
    var capacity: Int = 30

    @Option(help: "Append each submitted message as one JSON line to this file.")
    var record: String?

    @Option(name: [.customLong("latency-ms"), .customLong("latency")],
            help: "Latency of every command in milliseconds (replaces the profile's realistic table).")
    var latencyMs: Int?

    @Option(help: "Latency of AT+CMGS in milliseconds.")
    var cmgsLatencyMs: Int?

    @Option(help: "Vendor noise (Huawei ^RSSI...) every N milliseconds; 0 = off.")
    var noiseMs: Int = 0

    @Option(help: "After the PIN, the SIM stays busy this many milliseconds (CMS 314 / CME 14), then says it is ready.")
    var simBusyMs: Int = 0

    @Option(help: "AT+CFUN=1,1 makes the port vanish like a USB modem leaving the bus, and come back at --link after N milliseconds.")
    var resetReplugMs: Int?

    @Flag(help: "Do not emit the profile's power-on URCs.")
    var noBootUrcs = false

    @Flag(help: "Never send SMS-STATUS-REPORTs.")
    var noStatusReports = false

    @Option(help: "What end of stdin does: exit or ignore (default: exit for a pipe or a terminal).")
    var stdinEof: String?

    @Flag(name: .shortAndLong, help: "Log every byte on the wire and each message that left, to stderr.")
    var verbose = false

    func validate() throws {
        guard SimulatedDialect(parsing: profile) != nil else {
            throw ValidationError("unknown profile \(profile); choose one of \(ModemProfile.allCases.map(\.rawValue).joined(separator: ", ")), optionally with +\(SimulatorQuirk.allCases.map(\.rawValue).joined(separator: ", +"))")
        }
        guard (1...64).contains(count) else { throw ValidationError("--count must be 1…64") }
        guard links.isEmpty || links.count == 1 || links.count == count else {
            throw ValidationError("give one --link per modem, or a single --link as a prefix")
        }
        guard capacity >= 1 else { throw ValidationError("--capacity must be at least 1") }
        if let pin, !(4...8).contains(pin.count) || !pin.allSatisfy(\.isNumber) { throw ValidationError("--pin must be 4 to 8 digits") }
        if let stdinEof, stdinEof != "exit", stdinEof != "ignore" { throw ValidationError("--stdin-eof is exit or ignore") }
    }

    func run() async throws {
        let dialect = SimulatedDialect(parsing: profile) ?? SimulatedDialect(profile: .generic)
        let chosen = dialect.profile
        var logger = Logger(label: "smsagent.simulator")
        logger.logLevel = verbose ? .trace : .warning
        let recorder = try record.map { try SubmissionRecorder(path: $0) }

        var modems: [SimulatedModem] = []
        var linkPaths: [String?] = []
        for index in 0..<count {
            var configuration = SimulatorConfiguration()
            configuration.name = "sim\(index)"
            configuration.pin = pin
            configuration.ownNumber = ownNumber == "none" ? nil : ownNumber
            configuration.storageCapacity = capacity
            if let latencyMs { configuration.fixedLatency = .milliseconds(latencyMs) }
            if let cmgsLatencyMs { configuration.latency["+CMGS"] = .milliseconds(cmgsLatencyMs) }
            configuration.noiseInterval = noiseMs > 0 ? .milliseconds(noiseMs) : nil
            configuration.bootURCs = !noBootUrcs
            configuration.simInitialisation = .milliseconds(max(0, simBusyMs))
            configuration.resetReenumerates = resetReplugMs.map { .milliseconds(max(0, $0)) }
            configuration.statusReports = !noStatusReports
            configuration.imei = Self.imei(index: index, profile: chosen)
            configuration.imsi = "20801" + String(format: "%010d", 1_000_000 + index)
            configuration.iccid = "89330" + String(format: "%014d", 1_000_000 + index)
            let link: String? = links.isEmpty ? nil : (links.count == count ? links[index] : (count == 1 ? links[0] : links[0] + "\(index)"))
            let modem = SimulatedModem(profile: chosen, configuration: dialect.configure(configuration), logger: logger)
            let path = try await modem.openPseudoTerminal(link: link)
            if let recorder { await modem.record(to: recorder, as: path) }
            modems.append(modem)
            linkPaths.append(link)
            Self.say(path)
        }

        let exitOnEOF: Bool = {
            if let stdinEof { return stdinEof == "exit" }
            var info = stat()
            guard fstat(0, &info) == 0 else { return true }
            let type = info.st_mode & S_IFMT
            return isatty(0) == 1 || type == S_IFIFO || type == S_IFSOCK
        }()

        let stop = AsyncStream<String>.makeStream()
        let signals = Self.watchSignals { stop.continuation.yield("signal") }
        let lines = Self.stdinLines()
        let controller = Task {
            for await line in lines {
                let reply = await Self.handle(line, modems: modems, links: linkPaths)
                if reply == "quit" { stop.continuation.yield("quit"); return }
                if let reply { Self.say(reply) }
            }
            if exitOnEOF { stop.continuation.yield("eof") }
        }
        for await _ in stop.stream { break }
        controller.cancel()
        for modem in modems {
            _ = await modem.flushIncompleteSubmissions()
            await modem.shutdown()
        }
        withExtendedLifetime(signals) {}
    }

    /// Runs one control line; returns the reply, "quit", or nil for a blank line.
    static func handle(_ line: String, modems: [SimulatedModem], links: [String?]) async -> String? {
        let parsed: ControlLine?
        do { parsed = try ControlLine.parse(line) } catch { return "error \(error)" }
        guard let parsed else { return nil }
        guard parsed.modem < modems.count else { return "error no modem @\(parsed.modem)" }
        let modem = modems[parsed.modem]
        switch parsed.command {
        case .inbound(let from, let text, let order):
            do {
                let pdus = try await modem.injectInbound(from: from, text: text, partOrder: order)
                return "ok inbound \(pdus.count) part(s)"
            } catch {
                return "error \(error)"
            }
        case .fault(let fault, let command, let persistence):
            await modem.inject(fault: fault, command: command, persistence: persistence)
            return "ok fault \(fault)\(command.map { " on \($0)" } ?? "")"
        case .clearFaults:
            await modem.clearFaults()
            return "ok faults cleared"
        case .unplug:
            await modem.unplug()
            return "ok unplugged"
        case .plug:
            do {
                let path = try await modem.openPseudoTerminal(link: links[parsed.modem])
                return "ok plugged \(path)"
            } catch {
                return "error \(error)"
            }
        case .registration(let state):
            await modem.setRegistration(state)
            return "ok registration \(state)"
        case .signal(let rssi):
            await modem.setSignal(rssi)
            return "ok signal \(rssi)"
        case .urc(let text):
            await modem.emitURC(text)
            return "ok urc"
        case .status:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            guard let data = try? encoder.encode(await modem.status) else { return "error status" }
            return String(decoding: data, as: UTF8.self)
        case .quit:
            return "quit"
        }
    }

    /// One line on stdout, unbuffered (a harness reads it at once).
    static func say(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
            if n > 0 { offset += n } else if errno != EINTR { return }
        }
    }

    /// A distinct IMEI per simulated modem, with its Luhn check digit.
    static func imei(index: Int, profile: ModemProfile) -> String {
        let body = "35" + String(format: "%06d", 123_456) + String(format: "%06d", index + 1)
        let digits = body.compactMap { $0.wholeNumberValue }
        var sum = 0
        for (i, d) in digits.enumerated() {
            if i % 2 == 1 { let doubled = d * 2; sum += doubled > 9 ? doubled - 9 : doubled } else { sum += d }
        }
        return body + String((10 - sum % 10) % 10)
    }

    /// SIGINT and SIGTERM as a callback (the default action is replaced).
    static func watchSignals(_ handler: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    /// Lines of stdin, read on a thread of their own; the stream ends at end of file.
    static func stdinLines() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        let thread = Thread {
            while let line = readLine(strippingNewline: true) { continuation.yield(line) }
            continuation.finish()
        }
        thread.start()
        return stream
    }
}
