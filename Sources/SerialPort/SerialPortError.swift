#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a serial port could not be opened, configured, read or written. Every case names the device
/// path, and the errno where the kernel gave one.
public enum SerialPortError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `open()` said the node does not exist or has no device behind it (ENOENT, ENODEV, ENXIO).
    case notFound(path: String, errno: Int32)
    /// EACCES/EPERM: the user is not allowed to open it (add them to the `dialout` group).
    case permissionDenied(path: String, errno: Int32)
    /// Another program has the port: opened exclusively (EBUSY, `TIOCEXCL`) or holds its lock (`flock`).
    case busy(path: String, errno: Int32, holder: String)
    /// Not a terminal: `tcgetattr()` failed (a regular file, a socket …).
    case notATerminal(path: String, errno: Int32)
    case unsupportedBaudRate(path: String, baudRate: Int)
    /// A system call failed; `operation` names it.
    case system(path: String, operation: String, errno: Int32)
    /// `tcsetattr()` returned success but reading the settings back shows they did not take.
    case settingsNotApplied(path: String, detail: String)
    /// The device went away: EOF, EIO, ENODEV, or a hang-up (unplug, pty master closed).
    case hungUp(path: String, detail: String)
    /// The port was closed by this program.
    case closed(path: String)
    /// The device accepted no bytes for too long (flow control holding, a wedged port).
    case writeTimedOut(path: String)

    public var path: String {
        switch self {
        case .notFound(let path, _), .permissionDenied(let path, _), .busy(let path, _, _), .notATerminal(let path, _),
             .unsupportedBaudRate(let path, _), .system(let path, _, _), .settingsNotApplied(let path, _),
             .hungUp(let path, _), .closed(let path), .writeTimedOut(let path):
            path
        }
    }

    public var description: String {
        switch self {
        case .notFound(let path, let code): "\(path): no such device (\(Self.describe(code)))"
        case .permissionDenied(let path, let code): "\(path): permission denied (\(Self.describe(code))); is the user in the dialout group?"
        case .busy(let path, let code, let holder): "\(path): port busy — \(holder) (\(Self.describe(code)))"
        case .notATerminal(let path, let code): "\(path): not a serial port (\(Self.describe(code)))"
        case .unsupportedBaudRate(let path, let baud): "\(path): unsupported baud rate \(baud)"
        case .system(let path, let operation, let code): "\(path): \(operation) failed (\(Self.describe(code)))"
        case .settingsNotApplied(let path, let detail): "\(path): the port did not take its settings (\(detail))"
        case .hungUp(let path, let detail): "\(path): device gone (\(detail))"
        case .closed(let path): "\(path): closed"
        case .writeTimedOut(let path): "\(path): the device accepts no data (write timed out)"
        }
    }

    /// `EBUSY (Device or resource busy)`.
    public static func describe(_ code: Int32) -> String {
        let name = errnoNames[code] ?? "errno \(code)"
        guard let text = strerror(code) else { return name }
        return "\(name): \(String(cString: text))"
    }

    static let errnoNames: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO", EBADF: "EBADF",
        EAGAIN: "EAGAIN", EACCES: "EACCES", EBUSY: "EBUSY", ENODEV: "ENODEV", EINVAL: "EINVAL",
        ENOTTY: "ENOTTY", EROFS: "EROFS", EPIPE: "EPIPE",
    ]
}
