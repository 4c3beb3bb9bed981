import Foundation
import ModemKit
#if canImport(Glibc)
import Glibc
#endif

/// Where a simulated modem's answers go: the host side of one connection.
protocol LinkSink: Sendable {
    /// Writes bytes to the host; false when the host side is gone.
    func write(_ bytes: [UInt8]) async -> Bool
    /// The connection ends: `unplugged` when the port disappears (an fd is then closed once its
    /// reader has stopped), otherwise because the host left or serving was cancelled.
    /// Synchronous: the host sees an unplug before `unplug()` returns.
    func hangUp(unplugged: Bool)
}

/// Events a connection's runner processes in order.
enum LinkEvent: Sendable {
    case input([UInt8])
    case steps([EngineStep])
    /// Resumed once every earlier event has been processed.
    case barrier(CheckedContinuation<Void, Never>)
}

/// Error thrown by the in-memory transport once the simulated port is gone.
public struct SimulatorTransportError: Error, Sendable, CustomStringConvertible {
    public let port: String
    public let reason: String
    public var description: String { "\(port): \(reason)" }
}

/// The host (DTE) side of an in-memory connection, as `Modem` uses any port.
public struct SimulatorTransport: ByteTransport {
    public let name: String
    public let incoming: AsyncThrowingStream<[UInt8], any Error>
    let modem: SimulatedModem
    let linkID: Int

    public func write(_ bytes: [UInt8]) async throws {
        guard await modem.receive(bytes, link: linkID) else {
            throw SimulatorTransportError(port: name, reason: "the simulated modem is unplugged or the port was closed")
        }
    }

    public func close() async {
        await modem.disconnect(link: linkID)
    }
}

struct InMemorySink: LinkSink {
    let continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation

    func write(_ bytes: [UInt8]) async -> Bool {
        if case .terminated = continuation.yield(bytes) { return false }
        return true
    }

    func hangUp(unplugged: Bool) { continuation.finish() }
}

/// Writes to a descriptor without blocking the cooperative pool: a full buffer (nobody reading a
/// pty) is retried a little, then the bytes are dropped like a UART talking to a closed port.
/// `writeSome` must write under the lock the descriptor is closed under (`PseudoTerminal`,
/// `GuardedDescriptor`), so a write can never race the close at unplug and land in whatever file
/// reused the descriptor number.
struct DescriptorSink: LinkSink {
    let writeSome: @Sendable (UnsafeRawBufferPointer) -> Result<Int, POSIXError>
    let onHangUp: @Sendable (_ unplugged: Bool) -> Void
    /// Called when the buffer stays full (nobody reads): may discard what is queued.
    var onFull: (@Sendable () -> Void)? = nil

    func write(_ bytes: [UInt8]) async -> Bool {
        var offset = 0
        var stalls = 0
        while offset < bytes.count {
            switch bytes[offset...].withUnsafeBytes({ writeSome($0) }) {
            case .success(let n):
                offset += n
                stalls = 0
            case .failure(let error) where error.code == .EINTR:
                continue
            case .failure(let error) where error.code == .EAGAIN:
                stalls += 1
                if stalls == 5, let onFull { onFull(); continue }   // 50 ms full: nobody is reading
                if stalls > 100 { return true }   // ~1 s with nobody reading: drop
                try? await Task.sleep(for: .milliseconds(10))
            case .failure:
                return false
            }
        }
        return true
    }

    func hangUp(unplugged: Bool) { onHangUp(unplugged) }
}

/// A descriptor someone else opened (umockdev's device fd), written and closed under one lock.
final class GuardedDescriptor: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var open = true

    init(_ fd: Int32) { self.fd = fd }

    func write(_ bytes: UnsafeRawBufferPointer) -> Result<Int, POSIXError> {
        lock.lock()
        defer { lock.unlock() }
        return Self.write(open ? fd : nil, bytes)
    }

    /// One `write(2)` to `fd` (nil: already closed, `EBADF`); the caller holds the lock the
    /// descriptor is closed under.
    static func write(_ fd: Int32?, _ bytes: UnsafeRawBufferPointer) -> Result<Int, POSIXError> {
        guard let fd else { return .failure(POSIXError(.EBADF)) }
        let n = Glibc.write(fd, bytes.baseAddress, bytes.count)
        return n >= 0 ? .success(n) : .failure(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
    }

    /// Closes the descriptor once; later writes fail with `EBADF`.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard open else { return }
        open = false
        _ = Glibc.close(fd)
    }
}

/// Reads a file descriptor from a dispatch source (never blocks a Swift concurrency thread) and
/// finishes the stream on EOF, EIO (pty hang-up) or any other read error. `onCancel` runs once
/// the source can no longer touch the fd: the only safe place to close it.
final class FileDescriptorReader: @unchecked Sendable {
    private let source: DispatchSourceRead
    let stream: AsyncStream<[UInt8]>

    init(fd: Int32, label: String, onCancel: @escaping @Sendable () -> Void = {}) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        let queue = DispatchQueue(label: "smsagent.simulator.read.\(label)")
        nonisolated(unsafe) let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        self.source = source
        var continuation: AsyncStream<[UInt8]>.Continuation!
        stream = AsyncStream { continuation = $0 }
        let output = continuation!
        source.setEventHandler {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n > 0 { output.yield(Array(buffer[0..<n])); continue }
                let err = errno
                if n < 0, err == EINTR { continue }
                if n < 0, err == EAGAIN || err == EWOULDBLOCK { return }
                output.finish()
                source.cancel()
                return
            }
        }
        source.setCancelHandler {
            output.finish()
            onCancel()
        }
        output.onTermination = { _ in source.cancel() }
        source.resume()
    }

    func cancel() { source.cancel() }
}

/// A flag set from one place and read from a dispatch queue.
final class AtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
