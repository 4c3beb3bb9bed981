import Foundation
import SerialPort
import Synchronization

/// A `ByteTransport` over a serial device (or pseudo-terminal), opened with `SerialPort`'s exclusive,
/// verified set-up. One dedicated thread per port does all its I/O in a `poll()` loop: it reads what
/// arrives, writes what callers queued (non-blocking, as the device takes it), and wakes on a
/// self-pipe for a new write or `close()`. So an idle port costs no CPU, a vanished device (EOF, EIO,
/// ENODEV, hang-up) finishes `incoming` with `SerialPortError.hungUp` at once, and a device that
/// accepts no data (a CTS stall, a peer that reads nothing) neither stops reading nor blocks any
/// thread of the cooperative pool: `write` only suspends its caller.
public struct SerialTransport: ByteTransport {
    public let name: String
    public let incoming: AsyncThrowingStream<[UInt8], any Error>
    private let channel: Channel

    /// How long a write may make no progress before it fails with `.writeTimedOut`.
    public static let writeStallLimit: Duration = .seconds(10)

    /// Opens `path` exclusively, raw 8N1 at `baud`, with optional RTS/CTS flow control.
    public static func open(path: String, baud: Int = 115_200, flowControl: Bool = false) throws -> SerialTransport {
        let port = try SerialPort.open(path: path, configuration: SerialConfiguration(baudRate: baud, flowControl: flowControl))
        return try SerialTransport(port: port)
    }

    private init(port: sending SerialPort) throws {
        name = port.path
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: [UInt8].self, throwing: (any Error).self)
        incoming = stream
        channel = try Channel(port: port)
        let channel = channel
        // Nobody reads the port any more (the stream was dropped or its reader cancelled): release
        // it, so its thread, descriptor and wake pipe do not outlive their use.
        continuation.onTermination = { [weak channel] _ in channel?.close() }
        let thread = Thread { channel.run(continuation) }
        thread.name = "serial \(port.path)"
        thread.start()
    }

    /// Queues `bytes` for the port's thread and suspends until the device took them all.
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            channel.enqueue(bytes, continuation)
        }
    }

    /// Returns once the descriptor is closed and its lock released, so the port can be opened
    /// again at once (a modem reset, an agent restart).
    public func close() async {
        channel.close()
        await channel.waitUntilReleased()
    }

    /// Owns the port. Every use of the descriptor happens under the lock, and the port's thread
    /// closes it when it leaves, so a descriptor number is never reused under our feet. The wake
    /// pipe lives as long as the channel (closed in `deinit`), so waking it is always safe.
    final class Channel: @unchecked Sendable {
        // @unchecked: the mutable state is in `state`; the pipe descriptors are immutable.
        private struct PendingWrite {
            let bytes: [UInt8]
            var offset = 0
            let continuation: CheckedContinuation<Void, any Error>
            var lastProgress: ContinuousClock.Instant
        }
        private struct State {
            var port: SerialPort?
            var closing = false
            var released = false
            var waiters: [CheckedContinuation<Void, Never>] = []
            var writes: [PendingWrite] = []
        }
        private let state: Mutex<State>
        private let path: String
        private let wakeRead: Int32
        private let wakeWrite: Int32

        init(port: sending SerialPort) throws {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else {
                throw SerialPortError.system(path: port.path, operation: "pipe", errno: errno)
            }
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            }
            wakeRead = fds[0]
            wakeWrite = fds[1]
            path = port.path
            state = Mutex(State(port: port))
        }

        deinit {
            _ = Glibc.close(wakeRead)
            _ = Glibc.close(wakeWrite)
        }

        func enqueue(_ bytes: [UInt8], _ continuation: CheckedContinuation<Void, any Error>) {
            let accepted = state.withLock { state in
                guard state.port != nil, !state.closing else { return false }
                state.writes.append(PendingWrite(bytes: bytes, continuation: continuation, lastProgress: .now))
                return true
            }
            guard accepted else {
                continuation.resume(throwing: SerialPortError.closed(path: path))
                return
            }
            wake()
        }

        func close() {
            let alreadyClosing = state.withLock { state in
                defer { state.closing = true }
                return state.closing
            }
            if !alreadyClosing { wake() }
        }

        private func wake() {
            var byte: UInt8 = 1
            _ = Glibc.write(wakeWrite, &byte, 1)  // a full pipe already wakes the loop
        }

        func waitUntilReleased() async {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let done = state.withLock { state in
                    if !state.released { state.waiters.append(waiter) }
                    return state.released
                }
                if done { waiter.resume() }
            }
        }

        /// The port's thread: reads, writes and closes, until `close()` or the device goes away.
        func run(_ continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation) {
            let fd: Int32 = state.withLock { $0.port?.fileDescriptor ?? -1 }
            defer {
                let (waiters, writes) = state.withLock { state in
                    state.closing = true
                    state.port?.close()
                    state.port = nil
                    state.released = true
                    defer {
                        state.waiters = []
                        state.writes = []
                    }
                    return (state.waiters, state.writes)
                }
                for write in writes { write.continuation.resume(throwing: SerialPortError.closed(path: path)) }
                for waiter in waiters { waiter.resume() }
            }
            while true {
                let (closing, oldestProgress) = state.withLock { ($0.closing, $0.writes.first?.lastProgress) }
                if closing {
                    continuation.finish()
                    return
                }
                var timeout: Int32 = -1
                if let oldestProgress {
                    let left = ContinuousClock.now.duration(to: oldestProgress.advanced(by: SerialTransport.writeStallLimit))
                    timeout = Int32(clamping: max(0, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1))
                }
                var descriptors = [
                    pollfd(fd: fd, events: Int16(POLLIN) | (oldestProgress == nil ? 0 : Int16(POLLOUT)), revents: 0),
                    pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
                ]
                let ready = poll(&descriptors, 2, timeout)
                if ready < 0 {
                    if errno == EINTR { continue }
                    continuation.finish(throwing: SerialPortError.system(path: path, operation: "poll", errno: errno))
                    return
                }
                if descriptors[1].revents != 0 { drainWakePipe() }
                let events = descriptors[0].revents
                if events & Int16(POLLNVAL) != 0 {
                    continuation.finish(throwing: SerialPortError.hungUp(path: path, detail: "descriptor no longer valid"))
                    return
                }
                if events & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    // POLLIN or POLLHUP/POLLERR: read tells which (data, EOF, EIO).
                    do {
                        let result = try state.withLock { state throws(SerialPortError) -> SerialPort.ReadResult in
                            guard let port = state.port else { throw SerialPortError.closed(path: path) }
                            return try port.read()
                        }
                        switch result {
                        case .bytes(let bytes): continuation.yield(bytes)
                        case .wouldBlock:
                            if events & Int16(POLLHUP | POLLERR) != 0 {
                                continuation.finish(throwing: SerialPortError.hungUp(path: path, detail: "hang-up"))
                                return
                            }
                        }
                    } catch {
                        if case .closed = error { continuation.finish() } else { continuation.finish(throwing: error) }
                        return
                    }
                }
                if oldestProgress != nil { flushWrites() }
            }
        }

        /// Writes what the device takes now; completes finished writes and fails one that made no
        /// progress for `writeStallLimit`. Never waits.
        private func flushWrites() {
            var finished: [(CheckedContinuation<Void, any Error>, SerialPortError?)] = []
            state.withLock { state in
                guard let port = state.port else { return }
                while var head = state.writes.first {
                    let written: Int
                    do throws(SerialPortError) {
                        written = try port.writeSome(head.bytes, from: head.offset)
                    } catch {
                        finished.append((head.continuation, error))
                        state.writes.removeFirst()
                        continue
                    }
                    let now = ContinuousClock.now
                    if written > 0 {
                        head.offset += written
                        head.lastProgress = now
                    }
                    if head.offset >= head.bytes.count {
                        finished.append((head.continuation, nil))
                        state.writes.removeFirst()
                        if let next = state.writes.first?.lastProgress, next < now { state.writes[0].lastProgress = now }
                        continue
                    }
                    if written == 0, head.lastProgress.duration(to: now) >= SerialTransport.writeStallLimit {
                        finished.append((head.continuation, .writeTimedOut(path: path)))
                        state.writes.removeFirst()
                        if !state.writes.isEmpty { state.writes[0].lastProgress = now }
                        continue
                    }
                    state.writes[0] = head
                    break
                }
            }
            for (continuation, error) in finished {
                if let error { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }

        private func drainWakePipe() {
            var buffer = [UInt8](repeating: 0, count: 64)
            while buffer.withUnsafeMutableBytes({ Glibc.read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
        }
    }
}
