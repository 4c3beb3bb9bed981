import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Something that happened and a configured program may want to act on (`hooks.on_receive`,
/// `hooks.on_sent`, `hooks.on_failed`): forward an inbound SMS to a ticketing system, mark an
/// order as notified, page someone when a message fails.
public struct HookEvent: Sendable {
    public enum Kind: String, Sendable {
        case received, sent, failed
    }

    public var kind: Kind
    /// `SMSAGENT_<NAME>` environment variables, and the keys of the JSON object on stdin.
    public var fields: [(name: String, value: String)]

    public init(kind: Kind, fields: [(name: String, value: String)]) {
        self.kind = kind
        self.fields = fields
    }

    /// One JSON object, keys in the order given, `event` first.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        func quote(_ s: String) -> String {
            (try? encoder.encode(s)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        }
        let pairs = [("event", kind.rawValue)] + fields.map { ($0.name, $0.value) }
        return "{" + pairs.map { "\(quote($0.0)):\(quote($0.1))" }.joined(separator: ",") + "}\n"
    }
}

/// Runs the configured hook programs, one at a time and in the order the events happened, off the
/// send and receive paths: posting an event never waits. Each program gets the event as
/// `SMSAGENT_*` environment variables (and `SMSAGENT_DATA_DIRECTORY`) and as one JSON line on
/// stdin; each line it prints is logged by the agent, attributed (`hook on_sent[notify.sh]: …`;
/// stdout at info, stderr at notice — the journal's priorities under systemd). It is started
/// without a shell (argv form) and killed after `hooks.timeout`. A program that fails, cannot start or
/// runs too long is logged; nothing else depends on it — the records on disk are the truth.
public final class HookRunner: Sendable {
    private let settings: HookSettings
    private let dataDirectory: String
    private let logger: Logger
    private let events: AsyncStream<HookEvent>
    private let continuation: AsyncStream<HookEvent>.Continuation
    /// Set by `finish(within:)`: hooks still queued after it are dropped (and counted in the log).
    private let stopDeadline = Mutex<ContinuousClock.Instant?>(nil)

    public init(settings: HookSettings, dataDirectory: String, logger: Logger) {
        self.settings = settings
        self.dataDirectory = dataDirectory
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: HookEvent.self, bufferingPolicy: .bufferingNewest(10_000))
    }

    /// True when some hook is configured for `kind`.
    public func wants(_ kind: HookEvent.Kind) -> Bool { !program(for: kind).isEmpty }

    /// Queues `event` for its hook, if one is configured. Never blocks.
    public func post(_ event: HookEvent) {
        guard wants(event.kind) else { return }
        if case .dropped = continuation.yield(event) {
            logger.warning("hook queue full: the oldest event was dropped", metadata: ["hook.event": "\(event.kind.rawValue)"])
        }
    }

    /// No more events: `run()` returns once the queued ones are done — or, with a `grace`, once
    /// that much time has passed (a stopping agent must not wait for a thousand queued hooks; the
    /// one running is still bounded by `hooks.timeout`).
    public func finish(within grace: Duration? = nil) {
        if let grace { stopDeadline.withLock { $0 = ContinuousClock.now.advanced(by: grace) } }
        continuation.finish()
    }

    /// Runs the hooks of the posted events until `finish()`.
    public func run() async {
        var dropped = 0
        defer {
            if dropped > 0 {
                logger.warning("agent stopping: queued hook events not run", metadata: ["hook.events": "\(dropped)"])
            }
        }
        for await event in events {
            if let deadline = stopDeadline.withLock({ $0 }), ContinuousClock.now >= deadline {
                dropped += 1
                continue
            }
            let argv = program(for: event.kind)
            let label = "hook \(Self.hookName(event.kind))[\(URL(fileURLWithPath: argv[0]).lastPathComponent)]"
            let logger = self.logger
            let outcome = await Self.onOwnThread { [dataDirectory, settings] in
                Self.spawnAndWait(argv: argv, event: event, dataDirectory: dataDirectory, timeout: settings.timeout) { stream, line in
                    logger.log(level: stream == .standardError ? .notice : .info, "\(label): \(line)",
                               metadata: ["hook.event": "\(event.kind.rawValue)", "hook.stream": "\(stream.rawValue)"])
                }
            }
            func log(_ level: Logger.Level, _ message: Logger.Message, _ key: String? = nil, _ value: String = "") {
                var metadata: Logger.Metadata = ["hook.event": "\(event.kind.rawValue)", "hook.program": "\(argv[0])"]
                if let key { metadata[key] = "\(value)" }
                logger.log(level: level, message, metadata: metadata)
            }
            switch outcome {
            case .exited(0): log(.debug, "hook done")
            case .exited(let code): log(.warning, "hook failed", "hook.exit", "\(code)")
            case .signalled(let signal): log(.warning, "hook killed", "hook.signal", "\(signal)")
            case .timedOut: log(.warning, "hook ran too long and was killed", "hook.timeout", DurationText.format(settings.timeout))
            case .cannotStart(let errno): log(.error, "hook cannot start", "error", "\(String(cString: strerror(errno))) (errno \(errno))")
            }
        }
    }

    /// The configuration key of the hook of `kind`.
    static func hookName(_ kind: HookEvent.Kind) -> String {
        switch kind {
        case .received: "on_receive"
        case .sent: "on_sent"
        case .failed: "on_failed"
        }
    }

    private func program(for kind: HookEvent.Kind) -> [String] {
        switch kind {
        case .received: settings.onReceive
        case .sent: settings.onSent
        case .failed: settings.onFailed
        }
    }

    enum OutputStream: String, Sendable {
        case standardOutput = "stdout", standardError = "stderr"
    }

    /// A hook's output is logged line by line; past these limits it is cut (a runaway hook must
    /// not fill the journal or the agent's memory).
    static let maximumLineBytes = 2048
    static let maximumLines = 200

    enum Outcome: Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case cannotStart(Int32)
    }

    /// Waiting for a child blocks: on a thread of its own, never on one of Swift concurrency's few
    /// cooperative threads that the modems' work needs.
    private static func onOwnThread(_ body: @escaping @Sendable () -> Outcome) async -> Outcome {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }

    /// Writes what fits without blocking; a peer that has gone gives -1 (EPIPE), never SIGPIPE.
    static func offer(_ bytes: [UInt8], to socket: Int32) -> Int {
        bytes.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// `posix_spawn` (no shell, no inherited descriptors but 0–2), the event on stdin, then
    /// `waitpid` until it exits or `timeout` passes (then SIGKILL).
    static func spawnAndWait(argv: [String], event: HookEvent, dataDirectory: String, timeout: Duration,
                             output: @escaping (OutputStream, String) -> Void = { _, _ in }) -> Outcome {
        // stdin is a socket pair rather than a pipe: a hook that exits without reading it must not
        // kill the agent with SIGPIPE (send with MSG_NOSIGNAL gets EPIPE instead).
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            return .cannotStart(errno)
        }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        shutdown(readEnd, Int32(SHUT_WR))
        // stdout and stderr: one socket pair each (close-on-exec from creation, like stdin's: no
        // other child spawned meanwhile inherits them), read here and logged line by line.
        // Index 0 is the agent's reading end, 1 the hook's.
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        let streamType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, streamType, 0, &outPipe) == 0 else {
            let failure = errno
            close(readEnd); close(writeEnd)
            return .cannotStart(failure)
        }
        guard socketpair(AF_UNIX, streamType, 0, &errPipe) == 0 else {
            let failure = errno
            close(readEnd); close(writeEnd); close(outPipe[0]); close(outPipe[1])
            return .cannotStart(failure)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, readEnd, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var environment = ProcessInfo.processInfo.environment
        environment["SMSAGENT_EVENT"] = event.kind.rawValue
        environment["SMSAGENT_DATA_DIRECTORY"] = dataDirectory
        for field in event.fields { environment["SMSAGENT_" + field.name.uppercased()] = field.value }
        let argvC = argv.map { strdup($0) } + [nil]
        let envC = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argvC { free(p) }
            for p in envC { free(p) }
        }
        var pid: pid_t = 0
        // posix_spawnp: a bare name is looked up in PATH, like a shell would.
        let spawned = posix_spawnp(&pid, argv[0], &actions, nil, argvC, envC)
        close(readEnd)
        close(outPipe[1])
        close(errPipe[1])
        var lines = HookOutput(output: output)
        defer {
            close(outPipe[0])
            close(errPipe[0])
        }
        guard spawned == 0 else {
            close(writeEnd)
            return .cannotStart(spawned)
        }
        // The event is small (an SMS is at most a few kB): it fits the socket buffer even if nobody
        // reads it; non-blocking anyway, so a full buffer cannot hold the hook queue.
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        _ = offer(Array(event.json.utf8), to: writeEnd)
        close(writeEnd)

        let deadline = ContinuousClock.now.advanced(by: timeout)
        var status: Int32 = 0
        var open = [(outPipe[0], OutputStream.standardOutput), (errPipe[0], OutputStream.standardError)]
        for (fd, _) in open { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        defer { lines.flush() }
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done < 0, errno != EINTR { return .exited(-1) }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                lines.drain(&open)
                return .timedOut
            }
            // Wait for output (or 10 ms, to notice the exit), and log what came.
            var polled = open.map { pollfd(fd: $0.0, events: Int16(POLLIN), revents: 0) }
            if !polled.isEmpty, poll(&polled, nfds_t(polled.count), 10) > 0 {
                lines.drain(&open)
            } else if polled.isEmpty {
                usleep(10_000)
            }
        }
        // What the hook wrote just before it exited (not what a child it left behind writes later).
        lines.drain(&open)
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }
}

/// Splits a hook's output into lines for the log, within `HookRunner`'s limits.
struct HookOutput {
    let output: (HookRunner.OutputStream, String) -> Void
    private var partial: [HookRunner.OutputStream: [UInt8]] = [:]
    private var logged = 0
    private var cut = false

    init(output: @escaping (HookRunner.OutputStream, String) -> Void) { self.output = output }

    /// Reads what is available on each descriptor (non-blocking); a descriptor at end of file
    /// leaves `open`.
    mutating func drain(_ open: inout [(Int32, HookRunner.OutputStream)]) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        open.removeAll { fd, stream in
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    take(buffer[0..<count], from: stream)
                    continue
                }
                if count < 0, errno == EINTR { continue }
                // 0: end of file (the hook and whatever it left behind closed it); EAGAIN: later.
                return count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
            }
        }
    }

    private mutating func take(_ bytes: ArraySlice<UInt8>, from stream: HookRunner.OutputStream) {
        var pending = partial[stream] ?? []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                emit(pending, stream)
                pending.removeAll(keepingCapacity: true)
            } else if pending.count < HookRunner.maximumLineBytes {
                pending.append(byte)
            }
        }
        partial[stream] = pending
    }

    /// The last line of each stream, if it had no newline.
    mutating func flush() {
        for (stream, pending) in partial where !pending.isEmpty { emit(pending, stream) }
        partial = [:]
    }

    private mutating func emit(_ bytes: [UInt8], _ stream: HookRunner.OutputStream) {
        var line = String(decoding: bytes, as: UTF8.self)
        if line.hasSuffix("\r") { line.removeLast() }
        guard !line.isEmpty else { return }
        if logged < HookRunner.maximumLines {
            logged += 1
            output(stream, line)
        } else if !cut {
            cut = true
            output(.standardError, "(more output not logged: at most \(HookRunner.maximumLines) lines per run)")
        }
    }
}
