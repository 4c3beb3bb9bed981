import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The built-in prober: opens the tty raw at 115200 8N1, sends short AT commands and reads the
/// final result codes (V.250 §5.7: `OK`, `ERROR`; TS 27.007 §9.2 `+CME ERROR`).
///
/// Each probe runs on its own thread (blocking `poll`) so it never holds a Swift concurrency thread.
public struct SerialATProber: PortProber {
    public var options: ProbeOptions
    public var logger: Logger

    public init(options: ProbeOptions = ProbeOptions(), logger: Logger = Logger(label: "smsagent.discovery.probe")) {
        self.options = options
        self.logger = logger
    }

    public func probe(devnode: String) async -> PortProbeResult {
        let options = self.options, logger = self.logger
        return await onOwnThread {
            Self.probeBlocking(devnode: devnode, options: options, logger: logger)
        }
    }

    public func fingerprint(devnode: String) async -> ModemFingerprint? {
        let options = self.options, logger = self.logger
        return await onOwnThread {
            Self.fingerprintBlocking(devnode: devnode, options: options, logger: logger)
        }
    }

    static func probeBlocking(devnode: String, options: ProbeOptions, logger: Logger) -> PortProbeResult {
        var lastProblem = "no answer to AT"
        for attempt in 1...max(1, options.attempts) {
            if attempt > 1 { Thread.sleep(forTimeInterval: options.retryDelay.seconds) }
            let session: ATLineSession
            do {
                session = try ATLineSession(path: devnode)
            } catch {
                lastProblem = error.description
                logger.debug("probe open failed", metadata: ["modem.port": "\(devnode)", "error": "\(error)"])
                if !error.mayBeSettling { return PortProbeResult(answersAT: false, attempts: attempt, problem: lastProblem) }
                continue
            }
            switch session.command("AT", timeout: options.answerTimeout) {
            case .ok:
                let pdu = session.command("AT+CMGF=0", timeout: options.commandTimeout).isOK
                var storage: String?
                if case let .ok(lines) = session.command("AT+CPMS?", timeout: options.commandTimeout) {
                    storage = ATLineSession.firstQuoted(in: lines, prefix: "+CPMS:")
                }
                return PortProbeResult(answersAT: true, pduSMS: pdu, storage: storage, attempts: attempt)
            case .error:
                lastProblem = "answered ERROR to AT"
            case .timeout(let noise):
                lastProblem = noise ? "sent non-AT bytes, no OK to AT" : "no answer to AT"
            case .failed(let error):
                lastProblem = error.description
            }
            logger.debug("probe attempt failed", metadata: ["modem.port": "\(devnode)", "attempt": "\(attempt)", "problem": "\(lastProblem)"])
        }
        if options.attempts > 1 { lastProblem += " after \(options.attempts) tries" }
        return PortProbeResult(answersAT: false, attempts: options.attempts, problem: lastProblem)
    }

    static func fingerprintBlocking(devnode: String, options: ProbeOptions, logger: Logger) -> ModemFingerprint? {
        guard let session = try? ATLineSession(path: devnode) else { return nil }
        guard session.command("AT", timeout: options.commandTimeout).isOK else { return nil }
        func value(_ command: String, prefix: String) -> String? {
            guard case let .ok(lines) = session.command(command, timeout: options.commandTimeout) else { return nil }
            return ATLineSession.informationText(lines, prefix: prefix)
        }
        var fingerprint = ModemFingerprint()
        fingerprint.manufacturer = value("AT+CGMI", prefix: "+CGMI:")
        fingerprint.model = value("AT+CGMM", prefix: "+CGMM:")
        fingerprint.imei = value("AT+CGSN", prefix: "+CGSN:").map(digitsOnly)
        fingerprint.imsi = value("AT+CIMI", prefix: "+CIMI:").map(digitsOnly)
        fingerprint.iccid = (value("AT+CCID", prefix: "+CCID:") ?? value("AT+ICCID", prefix: "+ICCID:")
            ?? value("AT^ICCID?", prefix: "^ICCID:")).map(iccidCharacters)
        logger.debug("fingerprint", metadata: ["modem.port": "\(devnode)", "imei": "\(fingerprint.imei ?? "-")"])
        return fingerprint
    }

    private static func digitsOnly(_ text: String) -> String { String(text.filter(\.isNumber)) }
    /// ICCIDs are digits, sometimes ending in `F` padding (TS 31.102 §4.2.2... EF_ICCID BCD).
    private static func iccidCharacters(_ text: String) -> String {
        String(text.filter { $0.isHexDigit }).uppercased()
    }
}

/// Runs blocking work on a fresh thread and resumes the caller with its result.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: work()) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
    var milliseconds: Int {
        let (s, atto) = components
        return Int(s) * 1000 + Int(atto / 1_000_000_000_000_000)
    }
}
