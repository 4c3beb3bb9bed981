import Foundation
import SerialPort
import Synchronization

/// A `ByteTransport` over a serial device (or pseudo-terminal), opened with `SerialPort`'s exclusive,
/// verified set-up. A dedicated thread waits in `poll()` for data or for `close()` (a self-pipe), so
/// an idle port costs no CPU and a vanished device (EOF, EIO, ENODEV, hang-up) finishes `incoming`
/// with `SerialPortError.hungUp` at once — never a busy loop.
public struct SerialTransport: ByteTransport {
    public let name: String
    public let incoming: AsyncThrowingStream<[UInt8], any Error>
    private let channel: Channel

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
        let thread = Thread { channel.readLoop(continuation) }
        thread.name = "serial \(port.path)"
        thread.start()
    }

    public func write(_ bytes: [UInt8]) async throws {
        try channel.write(bytes)
    }

    /// Returns once the descriptor is closed and its lock released, so the port can be opened
    /// again at once (a modem reset, an agent restart).
    public func close() async {
        channel.close()
        await channel.waitUntilReleased()
    }

    /// Owns the port; every use of the descriptor happens under the lock, and the reader thread
    /// closes it when it leaves, so a descriptor number is never reused under our feet.
    final class Channel: @unchecked Sendable {
        private struct State {
            var port: SerialPort?
            var closing = false
            var released = false
            var waiters: [CheckedContinuation<Void, Never>] = []
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

        func write(_ bytes: [UInt8]) throws {
            try state.withLock { state in
                guard let port = state.port, !state.closing else {
                    throw SerialPortError.closed(path: path)
                }
                try port.write(bytes)
            }
        }

        func close() {
            let alreadyClosing = state.withLock { state in
                defer { state.closing = true }
                return state.closing
            }
            if !alreadyClosing {
                var byte: UInt8 = 1
                _ = Glibc.write(wakeWrite, &byte, 1)
            }
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

        func readLoop(_ continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation) {
            let fd: Int32 = state.withLock { $0.port?.fileDescriptor ?? -1 }
            defer {
                let waiters = state.withLock { state in
                    state.closing = true
                    state.port?.close()
                    state.port = nil
                    state.released = true
                    defer { state.waiters = [] }
                    return state.waiters
                }
                _ = Glibc.close(wakeRead)
                _ = Glibc.close(wakeWrite)
                for waiter in waiters { waiter.resume() }
            }
            while true {
                var descriptors = [
                    pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                    pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
                ]
                let ready = poll(&descriptors, 2, -1)
                if ready < 0 {
                    if errno == EINTR { continue }
                    continuation.finish(throwing: SerialPortError.system(path: path, operation: "poll", errno: errno))
                    return
                }
                if descriptors[1].revents != 0 {
                    continuation.finish()
                    return
                }
                let events = descriptors[0].revents
                guard events != 0 else { continue }
                if events & Int16(POLLNVAL) != 0 {
                    continuation.finish(throwing: SerialPortError.hungUp(path: path, detail: "descriptor no longer valid"))
                    return
                }
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
        }
    }
}
