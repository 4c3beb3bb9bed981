import ATProtocol
import Foundation
import Logging
import ModemKit
import SerialPort

/// The built-in prober: opens the port with ModemKit's `SerialTransport` (exclusive, raw 8N1,
/// 115200) and asks short questions through a `Modem`:
///
/// 1. `AT` (V.250 §6.3) up to `attempts` times on the same open port: a port that just appeared may
///    need a moment, and reopening would fight our own exclusive-open (`TIOCEXCL`) logic.
/// 2. `AT+CMGF=0` (TS 27.005 §3.2.3): PDU-mode SMS supported?
/// 3. `AT+CPMS?` (TS 27.005 §3.2.2): message storage.
/// 4. On a PDU-capable port, `Modem.identity()`: IMEI (TS 27.007 §5.4), IMSI (§5.6), ICCID.
public struct ModemKitPortProber: PortProber {
    public var options: ProbeOptions
    public var logger: Logger

    public init(options: ProbeOptions = ProbeOptions(), logger: Logger = Logger(label: "smsagent.discovery.probe")) {
        self.options = options
        self.logger = logger
    }

    public func probe(devnode: String) async -> PortProbeResult {
        var opened: SerialTransport?
        var openProblem = "not opened"
        for attempt in 1...max(1, options.attempts) {
            if attempt > 1 { try? await Task.sleep(for: options.retryDelay) }
            do {
                opened = try SerialTransport.open(path: devnode)
                break
            } catch {
                openProblem = "\(error)"
                logger.debug("probe open failed", metadata: ["modem.port": "\(devnode)", "error": "\(error)"])
                if !Self.mayBeSettling(error) { break }
            }
        }
        guard let transport = opened else {
            return PortProbeResult(answersAT: false, attempts: options.attempts, problem: openProblem)
        }
        var modemOptions = ModemOptions()
        modemOptions.commandTimeout = options.commandTimeout
        // Unanswered probes are expected (silent and diagnostics ports): keep the engine's timeout
        // warnings out of the operator's log unless debugging.
        var modemLogger = logger
        if modemLogger.logLevel > .debug { modemLogger.logLevel = .error }
        let modem = Modem(transport: transport, options: modemOptions, logger: modemLogger)
        let result = await converse(with: modem, devnode: devnode)
        await modem.close()
        return result
    }

    private func converse(with modem: Modem, devnode: String) async -> PortProbeResult {
        var problem = "no answer to AT"
        let attempts = max(1, options.attempts)
        for attempt in 1...attempts {
            if attempt > 1 { try? await Task.sleep(for: options.retryDelay) }
            do {
                // Any final result proves an AT port: PIN-first sticks answer `+CME ERROR: 11` to
                // everything but AT+CPIN, Wavecom `+CME ERROR: 515` while it initialises.
                let answer = try await modem.raw("AT", timeout: options.answerTimeout)
                if !answer.final.isSuccess {
                    logger.debug("AT answered with an error final: an AT port all the same", metadata: ["modem.port": "\(devnode)", "at.final": "\(answer.final)"])
                }
            } catch let error as ModemError {
                switch error {
                case .transportClosed:
                    return PortProbeResult(answersAT: false, attempts: attempt, problem: error.description)
                case .malformedResponse:
                    problem = "sent non-AT bytes, no OK to AT"
                default:
                    problem = "no answer to AT"
                }
                logger.debug("probe attempt failed", metadata: ["modem.port": "\(devnode)", "attempt": "\(attempt)", "problem": "\(problem)"])
                continue
            } catch {
                problem = "\(error)"
                continue
            }
            let pdu = (try? await modem.raw("AT+CMGF=0", timeout: options.commandTimeout))?.final.isSuccess ?? false
            var storage: String?
            if let answer = try? await modem.raw("AT+CPMS?", timeout: options.commandTimeout), answer.final.isSuccess {
                storage = Self.firstQuoted(answer.lines, prefix: "+CPMS:")
            }
            var fingerprint: ModemFingerprint?
            if pdu, let identity = try? await modem.identity() {
                fingerprint = ModemFingerprint(manufacturer: identity.manufacturer, model: identity.model,
                                               imei: identity.imei, imsi: identity.imsi, iccid: identity.iccid)
            }
            return PortProbeResult(answersAT: true, pduSMS: pdu, storage: storage, attempts: attempt,
                                   fingerprint: fingerprint)
        }
        if attempts > 1 { problem += " after \(attempts) tries" }
        return PortProbeResult(answersAT: false, attempts: attempts, problem: problem)
    }

    /// Open errors a port that appeared a moment ago may give before it is ready.
    static func mayBeSettling(_ error: any Error) -> Bool {
        guard let error = error as? SerialPortError else { return false }
        switch error {
        case .notFound, .busy, .hungUp: return true
        case let .system(_, _, code): return code == EIO || code == ENODEV || code == EAGAIN
        default: return false
        }
    }

    /// The first quoted value after `prefix`, e.g. `SM` in `+CPMS: "SM",3,30,…`.
    static func firstQuoted(_ lines: [String], prefix: String) -> String? {
        guard let line = lines.first(where: { $0.hasPrefix(prefix) }) else { return nil }
        let parts = line.split(separator: "\"", omittingEmptySubsequences: false)
        return parts.count >= 2 ? String(parts[1]) : nil
    }
}
