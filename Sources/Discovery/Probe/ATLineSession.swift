#if canImport(Glibc)
import Glibc
#endif

/// A failure to open or talk to a port, with the errno and the path.
public struct PortAccessError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var call: String
    public var errno: Int32

    public var description: String {
        let text = String(cString: strerror(errno))
        switch errno {
        case EACCES, EPERM:
            return "\(call) \(path): \(text) — add the service account to the port's group (see udev/README.md)"
        case EBUSY, EWOULDBLOCK:
            return "\(call) \(path): in use by another program (\(text))"
        default:
            return "\(call) \(path): \(text) (errno \(errno))"
        }
    }

    /// Errors a port that appeared a moment ago may give before it is ready.
    var mayBeSettling: Bool { [ENOENT, ENXIO, EIO, ENODEV, EAGAIN, EBUSY].contains(errno) }
}

/// The outcome of one command.
enum ATReply {
    case ok([String])
    case error([String])
    /// No final result code in time; `noise` says whether other bytes came.
    case timeout(noise: Bool)
    case failed(PortAccessError)

    var isOK: Bool { if case .ok = self { return true } else { return false } }
}

/// A minimal blocking AT line exchange for probing (owns one file descriptor, closed on deinit).
///
/// Not the agent's AT engine: no URC handling, no prompts; just "send one line, collect lines until
/// a final result code" (V.250 §5.7.1), which is all a probe needs.
final class ATLineSession {
    let path: String
    private let fd: Int32

    init(path: String) throws(PortAccessError) {
        self.path = path
        // Never canonicalise the path (umockdev's preload crashes in realpath on emulated nodes).
        let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw PortAccessError(path: path, call: "open", errno: errno) }
        // Keep off a port another process (the agent, ModemManager) holds with flock.
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            throw PortAccessError(path: path, call: "flock", errno: code)
        }
        // A successful tcgetattr is the "is a tty" check (isatty() is 0 on emulated nodes).
        var tio = termios()
        guard tcgetattr(fd, &tio) == 0 else {
            let code = errno
            close(fd)
            throw PortAccessError(path: path, call: "tcgetattr", errno: code)
        }
        cfmakeraw(&tio)
        cfsetispeed(&tio, speed_t(B115200))
        cfsetospeed(&tio, speed_t(B115200))
        tio.c_cflag |= tcflag_t(CLOCAL | CREAD)
        tio.c_cflag &= ~tcflag_t(CRTSCTS)
        guard tcsetattr(fd, TCSANOW, &tio) == 0 else {
            let code = errno
            close(fd)
            throw PortAccessError(path: path, call: "tcsetattr", errno: code)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends `command` + CR and collects lines until a final result code or `timeout`.
    func command(_ command: String, timeout: Duration) -> ATReply {
        discardPendingInput()
        let bytes = Array((command + "\r").utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return .failed(PortAccessError(path: path, call: "write", errno: errno))
            }
            written += n
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var buffer: [UInt8] = []
        var lines: [String] = []
        var noise = false
        while true {
            let remaining = clock.now.duration(to: deadline)
            if remaining <= .zero { return .timeout(noise: noise || !lines.isEmpty) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(clamping: max(1, remaining.milliseconds)))
            if ready < 0 {
                if errno == EINTR { continue }
                return .failed(PortAccessError(path: path, call: "poll", errno: errno))
            }
            if ready == 0 { continue }
            if pfd.revents & Int16(POLLIN) == 0 && pfd.revents & Int16(POLLHUP | POLLERR) != 0 {
                return .failed(PortAccessError(path: path, call: "poll", errno: EIO))
            }
            var chunk = [UInt8](repeating: 0, count: 512)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return .failed(PortAccessError(path: path, call: "read", errno: errno))
            }
            if n == 0 { return .failed(PortAccessError(path: path, call: "read", errno: EIO)) }
            buffer.append(contentsOf: chunk[0..<n])
            while let end = buffer.firstIndex(where: { $0 == 0x0D || $0 == 0x0A }) {
                let line = String(decoding: buffer[..<end], as: UTF8.self).trimmingWhitespace()
                buffer.removeSubrange(...end)
                if line.isEmpty || line == command { continue }   // blank lines and the echo
                if line == "OK" { return .ok(lines) }
                if line == "ERROR" || line.hasPrefix("+CME ERROR") || line.hasPrefix("+CMS ERROR")
                    || line == "COMMAND NOT SUPPORT" {
                    return .error(lines + [line])
                }
                if line.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value > 0x7E }) { noise = true }
                lines.append(line)
            }
            if buffer.count > 4096 { noise = true; buffer.removeAll() }
        }
    }

    private func discardPendingInput() {
        tcflush(fd, TCIFLUSH)
        var chunk = [UInt8](repeating: 0, count: 512)
        while chunk.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// The information text of a response: the line with `prefix` (stripped), else the first line.
    static func informationText(_ lines: [String], prefix: String) -> String? {
        let text: String?
        if let line = lines.first(where: { $0.hasPrefix(prefix) }) {
            text = String(line.dropFirst(prefix.count))
        } else {
            text = lines.first
        }
        let cleaned = text?.trimmingWhitespace().filter { $0 != "\"" }
        return cleaned?.isEmpty == false ? cleaned : nil
    }

    /// The first quoted value after `prefix`, e.g. `SM` in `+CPMS: "SM",3,30,…`.
    static func firstQuoted(in lines: [String], prefix: String) -> String? {
        guard let line = lines.first(where: { $0.hasPrefix(prefix) }) else { return nil }
        let parts = line.split(separator: "\"", omittingEmptySubsequences: false)
        return parts.count >= 2 ? String(parts[1]) : nil
    }
}
