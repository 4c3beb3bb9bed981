import Foundation

/// What the owner of an engine does next, in order.
enum EngineStep: Sendable {
    case write([UInt8])
    case wait(Duration)
    case hangUp
    case schedule(Duration, ScheduledEvent)
    case submitted(SubmittedMessage)
    /// A PDU whose digits were entered and then cancelled (ESC) before its Ctrl-Z: never sent.
    case abandoned(AbandonedPDU)
}

/// Something the engine asked to be woken up for later.
enum ScheduledEvent: Sendable {
    case statusReport(reference: Int, recipient: String, submitted: Date, status: UInt8)
    case boot
    case simReady
    /// The USB device comes back after a reset that re-enumerated it.
    case replug
}

/// The result of one command of a line.
enum CommandResult {
    case ok([String])
    case failed(ATFailure)
    /// `> ` prompt, then PDU entry.
    case prompt(PDUEntry)
    /// Swallow: no final result.
    case silent
    /// Information lines and never a final result (Wavecom's `AT+CPIN?`).
    case informationOnly([String])
}

enum ATFailure: Equatable {
    case error
    case unknown
    case cme(Int)
    case cms(Int)
    /// `+CME ERROR: <n>` whatever `+CMEE` says (Wavecom's 515).
    case numericCME(Int)
}

struct PDUEntry: Sendable {
    enum Purpose: Sendable { case send, write(status: Int), sendText(destination: String) }
    var purpose: Purpose
    var length: Int
    var buffer: [UInt8] = []
    var fault: SimulatorFault?
}

enum SIMLock: Sendable, Equatable { case absent, pin, puk, ready, blocked }

struct StoredSMS: Sendable, Equatable {
    /// 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT (TS 27.005 §3.1 `<stat>`).
    var status: Int
    var pdu: String
}

struct MessageStore: Sendable {
    var capacity: Int
    var slots: [Int: StoredSMS] = [:]
    var used: Int { slots.count }
    /// Lowest free slot (0-based), or nil when full.
    var freeSlot: Int? { (0..<capacity).first { slots[$0] == nil } }
}

/// The simulated modem's state machine: bytes in, steps out. No I/O and no clock of its own
/// (time comes from the configuration's clock); `SimulatedModem` performs the steps.
struct ModemEngine: Sendable {
    let profile: ModemProfile
    var configuration: SimulatorConfiguration

    // Settings (V.250 / 27.007 / 27.005 parameters).
    var echo = true
    var verbose = true
    var quiet = false
    var cmee = 0
    var cmgf = 0
    var cnmi: [Int]
    var cregMode = 0, cgregMode = 0, ceregMode = 0
    var copsFormat = 0
    var vendorURCs = true
    var functionality = 1
    var csmsService = 0
    /// Phase 2+ (`+CSMS: 1`): a message routed to the host waits for its `+CNMA`.
    var awaitingAck = false

    // SIM.
    var sim: SIMLock
    var pin: String?
    var pinRemaining: Int
    var pukRemaining: Int
    var serviceCentre: String?

    // Storage.
    var stores: [String: MessageStore]
    var memories = ["SM", "SM", "SM"]

    var nextMessageReference = 0
    var nextConcatReference = 1
    var registration: SimulatedRegistration
    var signal: Int

    // Input.
    var lineBuffer: [UInt8] = []
    var lastLine: [UInt8] = []
    var pduEntry: PDUEntry?
    var hung = false
    /// An answer held back by the `.late` fault, written before the next command line's answer.
    var heldAnswer: [UInt8]?
    private var holdingAnswer = false

    // Faults and bookkeeping.
    var faults: [FaultRule] = []
    var log = SubmissionLog()
    /// Inbound PDUs the network could not store yet (SIM full): delivered when a slot frees.
    var heldAtSMSC: [String] = []
    var bufferedURCs: [String] = []
    var noiseTick = 0
    /// Set by commands whose effects show after their final result.
    var pendingReboot = false
    var registrationURCPending = false
    var simReadyURCPending = false
    var storageFullReported = false
    var deletionHappened = false
    /// The SIM answers "busy" until then (after a PIN unlock).
    var simBusyUntil: Date?
    /// `AT+CSCA?` answers `+CME ERROR: 14` until then (after a PIN unlock, `qualcomm-pin-first`).
    var serviceCentreBusyUntil: Date?
    /// Every command answers `+CME ERROR: 515` until then (after `AT+CFUN=1`, `wavecom`).
    var initialisingUntil: Date?
    /// The current command line began with ESC and is being thrown away (`esc-sensitive`).
    var discardingLine = false
    /// Messages a phone (`nokia-phone`) received into its own inbox, which AT cannot reach.
    var phoneInbox: [String] = []

    init(profile: ModemProfile, configuration: SimulatorConfiguration) {
        self.profile = profile
        self.configuration = configuration
        cnmi = profile.defaultCNMI
        cmee = profile.defaultCMEE
        csmsService = configuration.initialSMSService
        pin = configuration.pin
        pinRemaining = configuration.pinAttempts
        pukRemaining = configuration.pukAttempts
        sim = !configuration.simInserted ? .absent : (configuration.pin == nil ? .ready : .pin)
        faults = configuration.faults
        serviceCentre = configuration.serviceCentre
        stores = ["SM": MessageStore(capacity: configuration.storageCapacity),
                  "ME": MessageStore(capacity: configuration.phoneStorageCapacity)]
        registration = configuration.registration
        signal = configuration.signal
    }

    var now: Date { configuration.clock() }
    var imei: String { configuration.imei ?? profile.defaultIMEI }

    /// Power cycle: settings back to defaults, the SIM locked again; storage and counters survive
    /// (they live on the SIM and in the network).
    mutating func powerCycle() {
        echo = true; verbose = true; quiet = false; cmee = profile.defaultCMEE; cmgf = 0
        cnmi = profile.defaultCNMI
        cregMode = 0; cgregMode = 0; ceregMode = 0; copsFormat = 0
        vendorURCs = true; functionality = 1; csmsService = configuration.initialSMSService; awaitingAck = false
        memories = ["SM", "SM", "SM"]
        lineBuffer = []; pduEntry = nil; hung = false; heldAnswer = nil
        bufferedURCs = []
        simBusyUntil = nil
        serviceCentreBusyUntil = nil
        initialisingUntil = nil
        discardingLine = false
        if sim != .absent, sim != .blocked, sim != .puk { sim = pin == nil ? .ready : .pin }
    }

    static func seconds(_ d: Duration) -> TimeInterval {
        let (s, atto) = d.components
        return TimeInterval(s) + TimeInterval(atto) / 1e18
    }

    /// The SIM finished initialising after an unlock.
    mutating func simReady() -> [EngineStep] {
        simBusyUntil = nil
        return (configuration.bootURCs ? urc(profile.simReadyURCs) : []) + retryHeldMessages()
    }

    var simBusy: Bool {
        guard let until = simBusyUntil else { return false }
        return now < until
    }

    /// Wavecom after `AT+CFUN=1`: "please wait, init or command processing in progress".
    var initialising: Bool {
        guard let until = initialisingUntil else { return false }
        return now < until
    }

    var serviceCentreBusy: Bool {
        if configuration.serviceCentreAlwaysBusy { return true }
        guard let until = serviceCentreBusyUntil else { return false }
        return now < until
    }

    /// Starts the profile's `+CME ERROR: 515` window (after `AT+CFUN=1` or a reset).
    mutating func startInitialisingWindow() {
        guard let window = configuration.busyAfterFunctionality ?? profile.busyAfterFunctionality, window > .zero else { return }
        initialisingUntil = now.addingTimeInterval(Self.seconds(window))
    }

    /// Power-on URCs.
    func bootSteps() -> [EngineStep] {
        guard configuration.bootURCs else { return [] }
        let urcs = profile.bootURCs(simLocked: sim == .pin || sim == .puk)
        return urcs.isEmpty ? [] : [.write(bytes(urcLines: urcs))]
    }

    // MARK: rendering (V.250 §5.7)

    func bytes(urcLines lines: [String]) -> [UInt8] {
        Array(lines.map { "\r\n\($0)\r\n" }.joined().utf8)
    }

    func informationBytes(_ lines: [String]) -> [UInt8] {
        guard !lines.isEmpty else { return [] }
        return verbose ? Array(("\r\n" + lines.joined(separator: "\r\n") + "\r\n").utf8)
                       : Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    func finalBytes(_ text: String, numeric: Int) -> [UInt8] {
        if quiet { return [] }
        return verbose ? Array("\r\n\(text)\r\n".utf8) : Array("\(numeric)\r".utf8)
    }

    func okBytes() -> [UInt8] { finalBytes("OK", numeric: 0) }

    func failureBytes(_ failure: ATFailure) -> [UInt8] {
        switch failure {
        case .error: return finalBytes("ERROR", numeric: 4)
        case .unknown: return finalBytes(profile.unknownCommandResult, numeric: 4)
        case .numericCME(let code):
            return finalBytes("+CME ERROR: \(code)", numeric: 4)
        case .cme(let code):
            switch cmee {
            case 1: return finalBytes("+CME ERROR: \(code)", numeric: 4)
            case 2: return finalBytes("+CME ERROR: \(ErrorTexts.cme(code))", numeric: 4)
            default: return finalBytes("ERROR", numeric: 4)
            }
        case .cms(let code):
            if cmee == 2 { return finalBytes("+CMS ERROR: \(ErrorTexts.cms(code))", numeric: 4) }
            if cmee == 0, profile.cmsFollowsCMEE { return finalBytes("ERROR", numeric: 4) }
            return finalBytes("+CMS ERROR: \(code)", numeric: 4)
        }
    }

    // MARK: latency

    func latency(for key: String) -> Duration {
        let name = key.hasSuffix("=?") ? String(key.dropLast(2)) : key.hasSuffix("?") ? String(key.dropLast()) : key
        if let exact = configuration.latency[key] ?? configuration.latency[name] {
            return exact
        }
        if let fixed = configuration.fixedLatency { return fixed }
        // The profiles' table names a command, and `+COPS=?` (the slow network scan) by its form.
        let ms = Double(profile.latencyMilliseconds(for: key.hasSuffix("=?") ? key : name)) * configuration.latencyScale
        return ms > 0 ? .milliseconds(Int(ms.rounded())) : .zero
    }

    // MARK: faults

    /// Takes the first fault that applies to `command` (consuming a one-shot).
    mutating func takeFault(for command: String, where accept: (SimulatorFault) -> Bool = { _ in true }) -> SimulatorFault? {
        guard let index = faults.firstIndex(where: { rule in
            (rule.command == nil || rule.command == command || (rule.command == "AT" && command.isEmpty)) && accept(rule.fault)
        }) else { return nil }
        let rule = faults[index]
        switch rule.persistence {
        case .once: faults.remove(at: index)
        case .times(let n): if n <= 1 { faults.remove(at: index) } else { faults[index].persistence = .times(n - 1) }
        case .sticky: break
        }
        return rule.fault
    }

    // MARK: input (V.250 §5.2.1: command line editing with S3 = CR, S5 = backspace)

    mutating func receive(_ input: [UInt8]) -> [EngineStep] {
        if hung { return [] }
        var steps: [EngineStep] = []
        var echoed: [UInt8] = []
        func flushEcho() {
            if !echoed.isEmpty { steps.append(.write(echoed)); echoed = [] }
        }
        for byte in input {
            if hung { break }
            if var entry = pduEntry {
                switch byte {
                case 0x1A:
                    flushEcho()
                    steps += finishPDU()
                case 0x1B:
                    flushEcho()
                    pduEntry = nil
                    if case .send = entry.purpose, !entry.buffer.isEmpty { steps.append(.abandoned(abandonedPDU(entry))) }
                    steps.append(.write(okBytes()))
                default:
                    if echo { echoed.append(byte) }
                    if case .sendText = entry.purpose {
                        // Text mode: each CR starts a new line of the message, with a new prompt (TS 27.005 §3.5.1).
                        if byte == 0x0D {
                            flushEcho()
                            entry.buffer.append(0x0A)
                            steps.append(.write(Array("\r\n> ".utf8)))
                        } else if byte != 0x0A, entry.buffer.count < 1024 {
                            entry.buffer.append(byte)
                        }
                    } else if byte != 0x0D, byte != 0x0A, byte != 0x20, entry.buffer.count < 1024 {
                        entry.buffer.append(byte)
                    }
                    pduEntry = entry
                }
                continue
            }
            if echo { echoed.append(byte) }
            if discardingLine {
                if byte == 0x0D {
                    discardingLine = false
                    lineBuffer = []
                }
                continue
            }
            if byte == 0x1B, lineBuffer.isEmpty, configuration.discardsLinesStartingWithESC {
                discardingLine = true
                continue
            }
            switch byte {
            case 0x0D:
                flushEcho()
                let line = lineBuffer
                lineBuffer = []
                steps += commandLine(line)
            case 0x08, 0x7F:
                if !lineBuffer.isEmpty { lineBuffer.removeLast() }
            case 0x0A:
                break
            default:
                if lineBuffer.count < 2048 { lineBuffer.append(byte) }
                // "A/" repeats the last command line (V.250 §5.2.4) without a CR.
                if lineBuffer.count == 2, lineBuffer[0] | 0x20 == UInt8(ascii: "a"), lineBuffer[1] == UInt8(ascii: "/") {
                    flushEcho()
                    lineBuffer = []
                    steps += commandLine(lastLine)
                }
            }
        }
        flushEcho()
        return steps
    }

    /// Executes one command line: everything before "AT" is ignored (V.250 §5.2.1). An answer
    /// held back by the `.late` fault goes out first.
    mutating func commandLine(_ raw: [UInt8]) -> [EngineStep] {
        let earlier = heldAnswer
        heldAnswer = nil
        var steps = executeLine(raw)
        if holdingAnswer {
            holdingAnswer = false
            var held: [UInt8] = []
            steps = steps.filter { step in
                switch step {
                case .write(let bytes): held += bytes; return false
                case .wait: return false
                default: return true
                }
            }
            heldAnswer = held
        }
        if let earlier { steps.insert(.write(earlier), at: 0) }
        return steps
    }

    private mutating func executeLine(_ raw: [UInt8]) -> [EngineStep] {
        guard let start = raw.indices.first(where: { i in
            i + 1 < raw.count && raw[i] | 0x20 == UInt8(ascii: "a") && raw[i + 1] | 0x20 == UInt8(ascii: "t")
        }) else { return [] }
        let body = String(decoding: raw[(start + 2)...], as: UTF8.self)
        lastLine = Array(raw[start...])
        guard let parsed = ATCommandLine.parse(body) else {
            return [.write(failureBytes(.error))]
        }
        // A bare "AT" is a command too (faults apply to it).
        let commands = parsed.isEmpty ? [ATCommand(name: "", form: .action, arguments: [])] : parsed
        var steps: [EngineStep] = []
        var output: [UInt8] = []
        var midURC: String?
        var garbage: [UInt8] = []
        var totalLatency = Duration.zero
        for command in commands {
            totalLatency += latency(for: command.latencyKey)
            if let fault = takeFault(for: command.name, where: { fault in
                // On CMGS/CMGW the refusals come after the PDU, like the network's answer.
                if command.name == "+CMGS" || command.name == "+CMGW" {
                    if case .cms = fault { return false }
                    if fault == .noReplyAfterSubmit || fault == .error || fault == .noReply { return false }
                }
                return true
            }) {
                switch fault {
                case .noReply, .noReplyAfterSubmit:
                    return steps
                case .error:
                    return [.wait(totalLatency), .write(output + failureBytes(.error))]
                case .cme(let n):
                    return [.wait(totalLatency), .write(output + failureBytes(.cme(n)))]
                case .cms(let n):
                    return [.wait(totalLatency), .write(output + failureBytes(.cms(n)))]
                case .garbage(let bytes):
                    garbage += bytes
                case .urcMidResponse(let urc):
                    midURC = urc
                case .late:
                    holdingAnswer = true
                case .hang:
                    hung = true
                    return []
                case .unplug:
                    return [.hangUp]
                }
            }
            if let failure = dialectRefusal(command) {
                return [.wait(totalLatency), .write(garbage + output + failureBytes(failure))]
            }
            switch execute(command) {
            case .ok(let lines):
                output += informationBytes(lines)
            case .informationOnly(let lines):
                // No final result follows: the host has to take the line as the answer.
                return [.wait(totalLatency), .write(garbage + output + informationBytes(lines))]
            case .failed(let failure):
                return [.wait(totalLatency), .write(garbage + insert(midURC, into: output + failureBytes(failure)))]
            case .silent:
                return []
            case .prompt(var entry):
                entry.fault = takeFault(for: command.name, where: { fault in
                    if case .cms = fault { return true }
                    return fault == .noReplyAfterSubmit || fault == .error || fault == .noReply
                })
                pduEntry = entry
                // A URC may land right after the prompt, while the host types the PDU.
                let urc = midURC.map { Array("\r\n\($0)\r\n".utf8) } ?? []
                steps.append(.write(garbage + output + Array("\r\n> ".utf8) + urc))
                return steps
            }
        }
        if totalLatency > .zero { steps.append(.wait(totalLatency)) }
        steps.append(.write(garbage + insert(midURC, into: output + okBytes())))
        steps += afterCommand()
        return steps
    }

    /// A refusal the profile gives before looking at the command: Wavecom's `+CME ERROR: 515`
    /// while it initialises, the PIN-first sticks' `+CME ERROR: 11` to all but `AT+CPIN`.
    func dialectRefusal(_ command: ATCommand) -> ATFailure? {
        if initialising { return .numericCME(515) }
        // `AT+CPIN` and its retry counter (`AT+CPINR`) are the only commands a locked stick answers.
        if profile == .qualcommPinFirst, command.name != "+CPIN", command.name != "+CPINR" {
            switch sim {
            case .pin: return .cme(11)
            case .puk: return .cme(12)
            default: break
            }
        }
        return nil
    }

    /// Effects that show after a final result: URCs of a state change, a reboot.
    mutating func afterCommand() -> [EngineStep] {
        var steps: [EngineStep] = []
        if pendingReboot {
            pendingReboot = false
            registrationURCPending = false
            simReadyURCPending = false
            if let away = configuration.resetReenumerates {
                // A USB modem resets by leaving the bus: the port disappears, then comes back.
                steps.append(.hangUp)
                steps.append(.schedule(away, .replug))
                return steps
            }
            powerCycle()
            startInitialisingWindow()
            steps.append(.schedule(.milliseconds(Int(200 * configuration.latencyScale)), .boot))
            return steps
        }
        if simReadyURCPending {
            simReadyURCPending = false
            if configuration.simInitialisation > .zero {
                simBusyUntil = now.addingTimeInterval(Self.seconds(configuration.simInitialisation))
                steps.append(.schedule(configuration.simInitialisation, .simReady))
            } else if configuration.bootURCs {
                steps += urc(profile.simReadyURCs)
            }
        }
        if registrationURCPending {
            registrationURCPending = false
            steps += urc(registrationURCs())
        }
        steps += flushBufferedURCs()
        deletionHappened = false
        if !heldAtSMSC.isEmpty { steps += retryHeldMessages() }
        return steps
    }

    /// Puts a URC after the first line of a response (or before the final result).
    func insert(_ urc: String?, into response: [UInt8]) -> [UInt8] {
        guard let urc else { return response }
        let urcBytes = Array("\r\n\(urc)\r\n".utf8)
        // After the first "\r\n<text>\r\n" block.
        if response.count > 4, response[0] == 0x0D, response[1] == 0x0A,
           let end = (2..<(response.count - 1)).first(where: { response[$0] == 0x0D && response[$0 + 1] == 0x0A }),
           end + 2 < response.count {
            return Array(response[..<(end + 2)]) + urcBytes + Array(response[(end + 2)...])
        }
        return urcBytes + response
    }

    // MARK: unsolicited results

    /// URC lines to emit now, honouring `+CNMI` mode 0 (buffer in the TA, TS 27.005 §3.4.1).
    mutating func smsURC(_ lines: [String]) -> [EngineStep] {
        if hung { return [] }
        if cnmi[0] == 0 {
            bufferedURCs += lines
            if bufferedURCs.count > 64 { bufferedURCs.removeFirst(bufferedURCs.count - 64) }
            return []
        }
        return [.write(bytes(urcLines: lines))]
    }

    mutating func urc(_ lines: [String]) -> [EngineStep] {
        if hung || lines.isEmpty { return [] }
        return [.write(bytes(urcLines: lines))]
    }

    mutating func noise() -> [EngineStep] {
        guard vendorURCs, functionality == 1 else { return [] }
        noiseTick += 1
        return urc(profile.noise(tick: noiseTick, rssi: signal))
    }
}
