#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The sd_notify(3) protocol, without libsystemd: datagrams such as `READY=1`, `STATUS=…`,
/// `WATCHDOG=1` sent to the `AF_UNIX` socket named by `$NOTIFY_SOCKET` (a path, or `@name` for
/// the abstract namespace). Without the variable (not started by systemd with `Type=notify`) there
/// is no notifier and nothing is sent.
public struct SystemdNotifier: Sendable {
    public let socketPath: String

    public init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], path.count > 1,
              path.hasPrefix("/") || path.hasPrefix("@") else { return nil }
        self.socketPath = path
    }

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// Sends one datagram of `NAME=value` lines. Returns the errno on failure (a notification
    /// systemd cannot receive is not a reason to stop sending SMS; the caller logs it).
    @discardableResult
    public func notify(_ state: String) -> Int32? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return ENAMETOOLONG }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let payload = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                payload.withUnsafeBytes { bytes in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        return sent == payload.count ? nil : (sent < 0 ? errno : EMSGSIZE)
    }
}

/// `WatchdogSec=` as the service sees it: `$WATCHDOG_USEC` (and `$WATCHDOG_PID`, which, when
/// set, must be this process). sd_watchdog_enabled(3) advises a keep-alive every half period.
public enum SystemdWatchdog {
    /// The watchdog period, or nil when systemd expects no keep-alive from this process.
    public static func period(environment: [String: String], pid: Int32 = getpid()) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = Int64(text), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], !owner.isEmpty {
            guard let ownerPID = Int32(owner), ownerPID == pid else { return nil }
        }
        return .microseconds(usec)
    }
}
