#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What systemd listens on for sd_notify(3): an `AF_UNIX` datagram socket bound at a path, for
/// tests that check what the agent tells its service manager. `receive` fails after its timeout,
/// never hangs.
public final class NotifySocket: @unchecked Sendable {
    public let path: String
    private let fd: Int32

    public init(directory: String) throws {
        path = directory + "/notify-\(UUID().uuidString.prefix(8)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NotifySocketError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw NotifySocketError("path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw NotifySocketError("bind \(path): errno \(errno)") }
    }

    /// The next datagram as text, or an error after `timeout`.
    public func receive(timeout: Duration) throws -> String {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&poller, 1, milliseconds)
        guard ready > 0 else { throw NotifySocketError("no notification within \(timeout) on \(path)") }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count >= 0 else { throw NotifySocketError("recv: errno \(errno)") }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Datagrams until one satisfies `condition` (returned with all before it), or an error
    /// after `timeout` overall.
    public func receive(until condition: (String) -> Bool, timeout: Duration) throws -> [String] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var received: [String] = []
        while true {
            let left = deadline - clock.now
            guard left > .zero else { throw NotifySocketError("timed out after \(timeout); received \(received)") }
            let message: String
            do { message = try receive(timeout: left) } catch { throw NotifySocketError("\(error); received before: \(received)") }
            received.append(message)
            if condition(message) { return received }
        }
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

public struct NotifySocketError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
