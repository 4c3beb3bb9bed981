import Foundation
import Logging
import ModemKit

/// A virtual GSM modem speaking the TS 27.005 / 27.007 dialect in PDU mode, with the quirks of a
/// `ModemProfile`, scripted faults and a simulated network behind it.
///
/// One port at a time, as on real hardware: a new connection replaces the previous one. The
/// modem keeps its state (SIM unlocked, messages stored) across connections, as a real modem does
/// when an agent closes and reopens its tty; after `unplug` the next connection finds a freshly
/// powered modem (settings reset, SIM locked again, storage kept).
public actor SimulatedModem {
    public nonisolated let profile: ModemProfile
    public nonisolated let name: String
    /// Every message as it completes (all its parts accepted), for recorders.
    public nonisolated let submissions: AsyncStream<SubmittedMessage>
    private let submissionContinuation: AsyncStream<SubmittedMessage>.Continuation

    var engine: ModemEngine
    private let logger: Logger
    private var link: ActiveLink?
    private var nextLinkID = 1
    private var poweredOn = false
    private var timers: [Int: Task<Void, Never>] = [:]
    private var nextTimerID = 0
    private var noiseTask: Task<Void, Never>?
    private var unplugHandlers: [@Sendable () -> Void] = []
    private var hostWaiters: [CheckedContinuation<Void, Never>] = []
    /// The pseudo-terminals opened by this modem, each with the reader of its master. Cancelling
    /// the reader is the one way they are closed (its cancel handler closes both descriptors once
    /// the reader can no longer touch them).
    private var ptys: [(terminal: PseudoTerminal, reader: FileDescriptorReader)] = []
    private var recorder: SubmissionRecorder?
    /// The link of the last pseudo-terminal, where a re-enumerated modem comes back.
    private var lastLink: String?
    private var recordName: String = ""

    private struct ActiveLink {
        let id: Int
        let sink: any LinkSink
        let events: AsyncStream<LinkEvent>.Continuation
        let runner: Task<Void, Never>
    }

    public init(profile: ModemProfile = .generic, configuration: SimulatorConfiguration = .init(),
                logger: Logger = Logger(label: "smsagent.simulator")) {
        self.profile = profile
        self.name = configuration.name
        self.engine = ModemEngine(profile: profile, configuration: configuration)
        self.logger = logger
        (submissions, submissionContinuation) = AsyncStream.makeStream(of: SubmittedMessage.self)
    }

    // MARK: connections

    /// Connects a host in memory and returns its side of the port (for tests and `smsagent demo`).
    public func connectInMemory() -> any ByteTransport {
        let (incoming, continuation) = AsyncThrowingStream.makeStream(of: [UInt8].self, throwing: (any Error).self)
        let id = attach(sink: InMemorySink(continuation: continuation))
        return SimulatorTransport(name: "\(name):\(id)", incoming: incoming, modem: self, linkID: id)
    }

    /// Answers AT commands on `fileDescriptor` (a pty master, umockdev's device fd) until the task
    /// is cancelled, the fd hangs up (EOF/EIO), or the modem is unplugged — which closes the fd.
    public func serve(fileDescriptor: Int32) async throws {
        let unplugged = AtomicFlag()
        let descriptor = GuardedDescriptor(fileDescriptor)
        let reader = FileDescriptorReader(fd: fileDescriptor, label: name, onCancel: {
            if unplugged.isSet { descriptor.close() }
        })
        let id = attach(sink: DescriptorSink(writeSome: { descriptor.write($0) }, onHangUp: { isUnplug in
            if isUnplug { unplugged.set() }
            reader.cancel()
        }))
        await withTaskCancellationHandler {
            for await chunk in reader.stream {
                guard receive(chunk, link: id) else { break }
            }
        } onCancel: {
            reader.cancel()
        }
        disconnect(link: id)
    }

    /// Opens a pseudo-terminal served by this modem, optionally with a symlink, and returns the
    /// path an agent opens. The modem keeps a slave fd open so that agents may close and reopen
    /// the port (or crash) without the master seeing a hang-up. `unplug` closes it and removes the link.
    public func openPseudoTerminal(link: String? = nil) throws -> String {
        let pty = try PseudoTerminal(link: link)
        lastLink = link
        let reader = FileDescriptorReader(fd: pty.master, label: name, onCancel: { pty.unplug() })
        ptys.append((pty, reader))
        let sink = DescriptorSink(writeSome: { pty.writeMaster($0) }, onHangUp: { _ in reader.cancel() },
                                  onFull: { pty.discardUnread() })
        let id = attach(sink: sink)
        Task { [weak self] in
            for await chunk in reader.stream {
                guard let self, await self.receive(chunk, link: id) else { break }
            }
        }
        return pty.path
    }

    private func attach(sink: any LinkSink) -> Int {
        // One port at a time: a new connection replaces the old one, which goes away.
        if let old = link { detach(old, unplugged: true) }
        let id = nextLinkID
        nextLinkID += 1
        let (events, continuation) = AsyncStream.makeStream(of: LinkEvent.self)
        let runner = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.process(event, link: id)
            }
        }
        link = ActiveLink(id: id, sink: sink, events: continuation, runner: runner)
        if !poweredOn {
            poweredOn = true
            continuation.yield(.steps(engine.bootSteps()))
        }
        startNoiseIfNeeded()
        for waiter in hostWaiters { waiter.resume() }
        hostWaiters = []
        return id
    }

    private func detach(_ active: ActiveLink, unplugged: Bool) {
        // The runner drains what is queued (resuming any `settle` waiter); writes of a detached
        // link go nowhere.
        active.events.finish()
        if link?.id == active.id { link = nil }
        active.sink.hangUp(unplugged: unplugged)
    }

    /// Bytes from the host. False when that connection is no longer the modem's port.
    func receive(_ bytes: [UInt8], link id: Int) -> Bool {
        guard let active = link, active.id == id else { return false }
        active.events.yield(.input(bytes))
        return true
    }

    /// The host closed its side (the agent closed the tty): the modem keeps its state.
    func disconnect(link id: Int) {
        guard let active = link, active.id == id else { return }
        detach(active, unplugged: false)
    }

    private func process(_ event: LinkEvent, link id: Int) async {
        switch event {
        case .input(let bytes):
            guard link?.id == id else { return }
            logger.trace("host -> modem", metadata: ["bytes": "\(Self.printable(bytes))", "sim": "\(name)"])
            await perform(engine.receive(bytes), link: id)
        case .steps(let steps): await perform(steps, link: id)
        case .barrier(let continuation): continuation.resume()
        }
    }

    private func perform(_ steps: [EngineStep], link id: Int?) async {
        for step in steps {
            switch step {
            case .write(let bytes):
                guard let active = link, active.id == id || id == nil, !bytes.isEmpty else { continue }
                logger.trace("modem -> host", metadata: ["bytes": "\(Self.printable(bytes))", "sim": "\(name)"])
                _ = await active.sink.write(bytes)
            case .wait(let duration):
                if duration > .zero { try? await Task.sleep(for: duration) }
            case .hangUp:
                unplug()
            case .schedule(let delay, let event):
                schedule(delay, event)
            case .abandoned(let pdu):
                await record(AbandonedRecord(pdu, modem: recordModem, profile: profile), what: "a cancelled PDU")
                logger.debug("PDU cancelled before its Ctrl-Z", metadata: ["sms.to": "\(pdu.number ?? "?")", "sim": "\(name)"])
            case .submitted(let message):
                await record(SubmissionRecord(message, modem: recordModem, profile: profile), what: "a submission")
                submissionContinuation.yield(message)
                logger.debug("submitted", metadata: ["sms.to": "\(message.number)", "sms.parts": "\(message.parts)",
                                                    "sms.refs": "\(message.references)"])
            }
        }
    }

    /// Bytes for a log line: printable ASCII as is, the rest as <XX> (CR, LF, Ctrl-Z …).
    static func printable(_ bytes: [UInt8]) -> String {
        var out = ""
        for b in bytes.prefix(512) {
            switch b {
            case 0x0D: out += "\\r"
            case 0x0A: out += "\\n"
            case 0x20...0x7E: out.append(Character(Unicode.Scalar(b)))
            default: out += String(format: "<%02X>", b)
            }
        }
        return bytes.count > 512 ? out + "…" : out
    }

    /// Steps produced outside a command (network events): queued behind the command in progress.
    private func emit(_ steps: [EngineStep]) {
        guard !steps.isEmpty else { return }
        if let active = link {
            active.events.yield(.steps(steps))
        } else {
            // Nobody on the port: the bytes are lost, the effects are not.
            let effects = steps.filter { if case .write = $0 { return false } else { return true } }
            Task { await self.perform(effects, link: nil) }
        }
    }

    private func schedule(_ delay: Duration, _ event: ScheduledEvent) {
        let id = nextTimerID
        nextTimerID += 1
        timers[id] = Task { [weak self] in
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            await self?.fire(event, timer: id)
        }
    }

    private func fire(_ event: ScheduledEvent, timer: Int) {
        timers[timer] = nil
        switch event {
        case .statusReport(let reference, let recipient, let submitted, let status):
            emit(engine.deliverStatusReport(reference: reference, recipient: recipient, submitted: submitted, status: status))
        case .boot:
            emit(engine.bootSteps())
        case .simReady:
            emit(engine.simReady())
        case .replug:
            guard link == nil, let path = lastLink else { return }
            do {
                _ = try openPseudoTerminal(link: path)
                logger.info("replugged after a reset", metadata: ["sim": "\(name)", "port": "\(path)"])
            } catch {
                logger.error("cannot replug after a reset", metadata: ["sim": "\(name)", "error": "\(error)"])
            }
        }
    }

    private func startNoiseIfNeeded() {
        guard noiseTask == nil, let interval = engine.configuration.noiseInterval,
              !profile.noise(tick: 0, rssi: 0).isEmpty else { return }
        noiseTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self else { return }
                await self.emitNoise()
            }
        }
    }

    private func emitNoise() {
        guard link != nil else { return }
        emit(engine.noise())
    }

    /// Records every completed message to `recorder` (fsynced) before its last `+CMGS` answer
    /// goes out. `port` names this modem in the record.
    public func record(to recorder: SubmissionRecorder, as port: String) {
        self.recorder = recorder
        recordName = port
    }

    /// One line of the record file: a message that left, or a PDU cancelled before its Ctrl-Z.
    private func record(_ line: some Encodable & Sendable, what: String) async {
        guard let recorder else { return }
        do {
            try await recorder.append(line)
        } catch {
            logger.error("cannot record \(what)", metadata: ["error": "\(error)", "file": "\(recorder.path)"])
        }
    }

    private var recordModem: String { recordName.isEmpty ? name : recordName }

    // MARK: control

    /// Returns once everything the host has sent so far, and every event queued before this
    /// call, has been processed and answered. Lets tests assert on silence without sleeping.
    public func settle() async {
        guard let active = link else { return }
        await withCheckedContinuation { continuation in
            if case .terminated = active.events.yield(.barrier(continuation)) { continuation.resume() }
        }
    }

    /// Waits until a host is connected (for a pty: as soon as it is served).
    public func waitForHost() async {
        if link != nil { return }
        await withCheckedContinuation { hostWaiters.append($0) }
    }

    /// The port disappears now: the in-memory stream finishes, a pty master is closed and its
    /// symlink removed. A later connection finds a freshly powered modem.
    public func unplug() {
        if let active = link { detach(active, unplugged: true) }
        closePseudoTerminals()
        poweredOn = false
        engine.powerCycle()
        for handler in unplugHandlers { handler() }
    }

    /// Called whenever the modem is unplugged (the CLI uses it to report and exit or replug).
    public func onUnplug(_ handler: @escaping @Sendable () -> Void) {
        unplugHandlers.append(handler)
    }

    /// Switches on a fault. `.unplug` acts at once; `.hang` is sticky from now on; the others
    /// apply to the next command (or the next `command`, e.g. `"+CMGS"`).
    public func inject(fault: SimulatorFault, command: String? = nil, persistence: FaultPersistence = .once) {
        switch fault {
        case .unplug where command == nil:
            unplug()
        case .hang where command == nil:
            engine.hung = true
        default:
            engine.faults.append(FaultRule(fault: fault, command: command, persistence: persistence))
        }
    }

    /// Clears every pending or sticky fault, including a hang.
    public func clearFaults() {
        engine.faults = []
        engine.hung = false
    }

    /// A text from `from` (a number or an alphanumeric sender) arrives from the network: one
    /// SMS-DELIVER per part (TS 23.040 §9.2.2.1), delivered in `partOrder` (1-based sequence
    /// numbers, e.g. `[2, 1]`), each stored and announced per `+CNMI`. Returns the PDUs in
    /// delivery order.
    @discardableResult
    public func injectInbound(from: String, text: String, partOrder: [Int]? = nil) async throws -> [String] {
        guard !from.isEmpty else { throw InjectionError.invalidSender(from) }
        let reference = engine.nextConcatReference
        engine.nextConcatReference = engine.nextConcatReference % 255 + 1
        let pdus = SimulatorPDU.encodeDeliver(
            from: from, text: text, timestamp: engine.now, offsetMinutes: engine.configuration.timeZoneOffsetMinutes,
            smsc: engine.serviceCentre ?? engine.configuration.serviceCentre, reference: reference)
        let order = partOrder ?? Array(1...pdus.count)
        guard order.sorted() == Array(1...pdus.count) else { throw InjectionError.badPartOrder(order, parts: pdus.count) }
        var delivered: [String] = []
        for sequence in order {
            let pdu = pdus[sequence - 1]
            delivered.append(pdu)
            emit(engine.deliverInbound(pdu))
        }
        return delivered
    }

    /// Changes the network registration (URCs follow per `+CREG`/`+CEREG`).
    public func setRegistration(_ state: SimulatedRegistration) {
        let before = engine.registrationStat
        engine.registration = state
        if before != engine.registrationStat { emit(engine.urc(engine.registrationURCs())) }
        emit(engine.retryHeldMessages())
    }

    public func setSignal(_ rssi: Int) { engine.signal = rssi }

    /// Emits a URC now (behind any command in progress).
    public func emitURC(_ line: String) { emit(engine.urc([line])) }

    // MARK: inspection

    /// Every completed message submitted so far (parts reassembled); the newest 20 000 are kept.
    public var submitted: [SubmittedMessage] { engine.log.messages }
    /// Every accepted PDU, in order.
    public var submittedParts: [SubmittedPart] { engine.log.parts }
    /// Multi-part messages still missing segments.
    public var incompleteSubmissions: [SubmittedMessage] { engine.log.incomplete }
    /// Marks incomplete multi-part messages as final (at shutdown) and returns them.
    public func flushIncompleteSubmissions() async -> [SubmittedMessage] {
        let flushed = engine.log.flushIncomplete()
        for message in flushed {
            await record(SubmissionRecord(message, modem: recordModem, profile: profile), what: "a submission")
            submissionContinuation.yield(message)
        }
        return flushed
    }

    public var status: SimulatorStatus {
        SimulatorStatus(
            name: name, profile: profile, connected: link != nil, echo: engine.echo,
            sim: "\(engine.sim)", pinAttemptsLeft: engine.pinRemaining, pukAttemptsLeft: engine.pukRemaining,
            registration: engine.registrationStat,
            storage: engine.stores.mapValues { StorageStatus(used: $0.used, capacity: $0.capacity) },
            heldAtSMSC: engine.heldAtSMSC.count, unreadableInbox: engine.phoneInbox.count, submittedMessages: engine.log.totalMessages,
            submittedParts: engine.log.totalParts, faults: engine.faults.map(\.fault.description) + (engine.hung ? ["hang"] : []))
    }

    /// PDUs currently stored in a memory ("SM" or "ME"), by the index the modem reports.
    public func storedPDUs(memory: String = "SM") -> [Int: String] {
        var out: [Int: String] = [:]
        for (slot, sms) in engine.stores[memory]?.slots ?? [:] { out[slot + profile.firstIndex] = sms.pdu }
        return out
    }

    /// Stops timers and noise and ends the connection: a pseudo-terminal it opened is closed and its
    /// link removed; an fd given to `serve(fileDescriptor:)` is left open for its owner.
    public func shutdown() {
        noiseTask?.cancel()
        noiseTask = nil
        for task in timers.values { task.cancel() }
        timers = [:]
        if let active = link { detach(active, unplugged: false) }
        closePseudoTerminals()
        submissionContinuation.finish()
    }

    /// Removes every link now and closes every pty this modem opened — not only the one of the
    /// current connection: a pty whose link was replaced, or whose host never connected, would
    /// otherwise keep its master and slave descriptors for the life of the process.
    private func closePseudoTerminals() {
        for (terminal, reader) in ptys {
            terminal.removeLink()
            reader.cancel()
        }
        ptys = []
    }

    /// Dropped without `shutdown()`: its ptys are closed all the same (a test that forgets
    /// `shutdown()` must not leak two descriptors per modem) and its timers stop.
    deinit {
        for (terminal, reader) in ptys {
            terminal.removeLink()
            reader.cancel()
        }
        for task in timers.values { task.cancel() }
        noiseTask?.cancel()
        submissionContinuation.finish()
    }
}

public enum InjectionError: Error, Sendable, CustomStringConvertible {
    case invalidSender(String)
    case badPartOrder([Int], parts: Int)

    public var description: String {
        switch self {
        case .invalidSender(let s): "invalid sender \"\(s)\""
        case .badPartOrder(let order, let parts): "part order \(order) is not a permutation of 1…\(parts)"
        }
    }
}

public struct StorageStatus: Sendable, Codable, Equatable {
    public var used: Int
    public var capacity: Int
}

/// A snapshot for `status` and tests.
public struct SimulatorStatus: Sendable, Codable {
    public var name: String
    public var profile: ModemProfile
    public var connected: Bool
    public var echo: Bool
    public var sim: String
    public var pinAttemptsLeft: Int
    public var pukAttemptsLeft: Int
    public var registration: Int
    public var storage: [String: StorageStatus]
    public var heldAtSMSC: Int
    /// Messages a phone profile received into its own inbox, out of reach of AT.
    public var unreadableInbox: Int
    public var submittedMessages: Int
    public var submittedParts: Int
    public var faults: [String]
}
