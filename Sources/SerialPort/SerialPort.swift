#if canImport(Glibc)
import Glibc
#endif

/// How to set up a serial line: raw 8N1 at `baudRate`, optional RTS/CTS flow control.
public struct SerialConfiguration: Sendable, Hashable {
    public var baudRate: Int
    /// RTS/CTS hardware flow control (`CRTSCTS`).
    public var flowControl: Bool
    /// Keep other programs off the port: `TIOCEXCL` and an advisory `flock(LOCK_EX)`.
    public var exclusive: Bool

    public init(baudRate: Int = 115_200, flowControl: Bool = false, exclusive: Bool = true) {
        self.baudRate = baudRate
        self.flowControl = flowControl
        self.exclusive = exclusive
    }
}

/// An open serial device (a USB modem's tty, or a pseudo-terminal). Owns its file descriptor; not
/// thread-safe on its own — `SerialTransport` serialises access.
///
/// Opening is exclusive: `O_RDWR|O_NOCTTY|O_NONBLOCK|O_CLOEXEC`, then `tcgetattr` (the "is a tty"
/// check), `flock(LOCK_EX|LOCK_NB)` (a second agent or ModemManager-like daemon honouring locks is
/// refused), `TIOCEXCL` (further `open()`s by non-root get EBUSY), raw 8N1 settings, and a read-back
/// of the settings that fails if they did not take.
public final class SerialPort {
    public let path: String
    public let configuration: SerialConfiguration
    /// The descriptor, or -1 once closed.
    public private(set) var fileDescriptor: Int32

    private init(path: String, configuration: SerialConfiguration, fileDescriptor: Int32) {
        self.path = path
        self.configuration = configuration
        self.fileDescriptor = fileDescriptor
    }

    deinit { close() }

    /// Opens and configures `path`. See the type's documentation for what is checked.
    public static func open(path: String, configuration: SerialConfiguration = .init()) throws(SerialPortError) -> SerialPort {
        guard let speed = speed(for: configuration.baudRate) else {
            throw .unsupportedBaudRate(path: path, baudRate: configuration.baudRate)
        }
        let fd = try Syscall.retrying { Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) }
            .get(or: { code -> SerialPortError in
                switch code {
                case ENOENT, ENODEV, ENXIO: .notFound(path: path, errno: code)
                case EACCES, EPERM, EROFS: .permissionDenied(path: path, errno: code)
                case EBUSY: .busy(path: path, errno: code, holder: "another program opened it exclusively")
                default: .system(path: path, operation: "open", errno: code)
                }
            })
        let port = SerialPort(path: path, configuration: configuration, fileDescriptor: fd)
        var original = termios()
        guard tcgetattr(fd, &original) == 0 else { throw .notATerminal(path: path, errno: errno) }
        if configuration.exclusive {
            try port.lockExclusively()
        }
        try port.applyRawSettings(from: original, speed: speed)
        _ = tcflush(fd, TCIOFLUSH)  // drop what the modem said before we were listening
        return port
    }

    private func lockExclusively() throws(SerialPortError) {
        let locked = Syscall.retrying { flock(fileDescriptor, LOCK_EX | LOCK_NB) }
        if locked.failed {
            let code = locked.code
            if code == EWOULDBLOCK || code == EAGAIN {
                throw .busy(path: path, errno: code, holder: "another process holds its lock (flock)")
            }
            throw .system(path: path, operation: "flock", errno: code)
        }
        if ioctl(fileDescriptor, UInt(TIOCEXCL)) != 0 {
            let code = errno
            // Under umockdev an ioctl on the opened fd itself gives ENOTTY but works on a dup();
            // only that case is retried, so a real port keeps the strict check.
            guard code == ENOTTY else { throw .system(path: path, operation: "ioctl(TIOCEXCL)", errno: code) }
            let duplicate = dup(fileDescriptor)
            guard duplicate >= 0 else { throw .system(path: path, operation: "ioctl(TIOCEXCL)", errno: code) }
            defer { _ = Glibc.close(duplicate) }
            if ioctl(duplicate, UInt(TIOCEXCL)) != 0 {
                throw .system(path: path, operation: "ioctl(TIOCEXCL)", errno: errno)
            }
        }
    }

    private func applyRawSettings(from original: termios, speed: speed_t) throws(SerialPortError) {
        var settings = original
        cfmakeraw(&settings)
        settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
        settings.c_cflag &= ~tcflag_t(CSIZE | PARENB | CSTOPB)
        settings.c_cflag |= tcflag_t(CS8)
        if configuration.flowControl {
            settings.c_cflag |= Self.crtscts
        } else {
            settings.c_cflag &= ~Self.crtscts
        }
        settings.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard cfsetispeed(&settings, speed) == 0, cfsetospeed(&settings, speed) == 0 else {
            throw .system(path: path, operation: "cfsetspeed", errno: errno)
        }
        let set = Syscall.retrying { tcsetattr(fileDescriptor, TCSANOW, &settings) }
        if set.failed {
            throw .system(path: path, operation: "tcsetattr", errno: set.code)
        }
        var applied = termios()
        guard tcgetattr(fileDescriptor, &applied) == 0 else {
            throw .system(path: path, operation: "tcgetattr", errno: errno)
        }
        if let mismatch = Self.mismatch(wanted: settings, applied: applied, speed: speed, flowControl: configuration.flowControl) {
            throw .settingsNotApplied(path: path, detail: mismatch)
        }
    }

    /// What differs between the settings asked for and those read back, or nil.
    static func mismatch(wanted: termios, applied: termios, speed: speed_t, flowControl: Bool) -> String? {
        var copy = applied
        if cfgetospeed(&copy) != speed { return "output speed \(cfgetospeed(&copy)) instead of \(speed)" }
        let inputSpeed = cfgetispeed(&copy)
        if inputSpeed != speed && inputSpeed != 0 { return "input speed \(inputSpeed) instead of \(speed)" }
        if applied.c_cflag & tcflag_t(CSIZE) != tcflag_t(CS8) { return "character size is not 8 bits" }
        if applied.c_cflag & tcflag_t(PARENB) != 0 { return "parity is on" }
        if applied.c_cflag & tcflag_t(CSTOPB) != 0 { return "two stop bits" }
        if (applied.c_cflag & crtscts != 0) != flowControl { return "RTS/CTS flow control is \(flowControl ? "off" : "on")" }
        if applied.c_lflag & tcflag_t(ICANON | ECHO | ISIG) != 0 { return "canonical mode or echo still on" }
        if applied.c_oflag & tcflag_t(OPOST) != 0 { return "output post-processing still on" }
        return nil
    }

    /// `CRTSCTS` (0x80000000 on Linux; the C macro does not import).
    static let crtscts: tcflag_t = 0x8000_0000

    /// The `Bxxx` constant of a baud rate.
    static func speed(for baudRate: Int) -> speed_t? {
        switch baudRate {
        case 1200: speed_t(B1200)
        case 2400: speed_t(B2400)
        case 4800: speed_t(B4800)
        case 9600: speed_t(B9600)
        case 19_200: speed_t(B19200)
        case 38_400: speed_t(B38400)
        case 57_600: speed_t(B57600)
        case 115_200: speed_t(B115200)
        case 230_400: speed_t(B230400)
        case 460_800: speed_t(B460800)
        case 921_600: speed_t(B921600)
        case 1_000_000: speed_t(B1000000)
        case 2_000_000: speed_t(B2000000)
        case 3_000_000: speed_t(B3000000)
        case 4_000_000: speed_t(B4000000)
        default: nil
        }
    }

    // MARK: I/O

    /// What `read` found.
    public enum ReadResult: Sendable, Equatable {
        case bytes([UInt8])
        /// Nothing to read now (EAGAIN): wait with `poll`.
        case wouldBlock
    }

    /// One non-blocking read. EOF, EIO, ENODEV and ENXIO mean the device is gone: `.hungUp`.
    public func read(maximumCount: Int = 4096) throws(SerialPortError) -> ReadResult {
        guard fileDescriptor >= 0 else { throw .closed(path: path) }
        var buffer = [UInt8](repeating: 0, count: maximumCount)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 { return .bytes(Array(buffer[..<count])) }
            if count == 0 { throw .hungUp(path: path, detail: "end of file") }
            let code = errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EIO, ENODEV, ENXIO: throw .hungUp(path: path, detail: SerialPortError.describe(code))
            default: throw .system(path: path, operation: "read", errno: code)
            }
        }
    }

    /// One non-blocking write of as many bytes of `bytes[offset...]` as the device takes now; 0 when
    /// its buffer is full (EAGAIN: wait for `POLLOUT`). Never waits.
    public func writeSome(_ bytes: [UInt8], from offset: Int) throws(SerialPortError) -> Int {
        guard fileDescriptor >= 0 else { throw .closed(path: path) }
        guard offset >= 0, offset < bytes.count else { return 0 }
        while true {
            let count = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.write(fileDescriptor, base + offset, buffer.count - offset)
            }
            if count >= 0 { return count }
            let code = errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return 0
            case EIO, ENODEV, ENXIO, EPIPE: throw .hungUp(path: path, detail: SerialPortError.describe(code))
            default: throw .system(path: path, operation: "write", errno: code)
            }
        }
    }

    /// Writes every byte, waiting with `poll(POLLOUT)` while the device buffer is full, for at most
    /// `timeout` without progress.
    public func write(_ bytes: [UInt8], timeout: Duration = .seconds(10)) throws(SerialPortError) {
        guard fileDescriptor >= 0 else { throw .closed(path: path) }
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fileDescriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if count > 0 {
                offset += count
                continue
            }
            let code = count == 0 ? EAGAIN : errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK:
                var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
                let ready = poll(&descriptor, 1, milliseconds)
                if ready == 0 { throw .writeTimedOut(path: path) }
                if ready < 0, errno != EINTR { throw .system(path: path, operation: "poll", errno: errno) }
                if descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0, descriptor.revents & Int16(POLLOUT) == 0 {
                    throw .hungUp(path: path, detail: "hang-up while writing")
                }
            case EIO, ENODEV, ENXIO, EPIPE: throw .hungUp(path: path, detail: SerialPortError.describe(code))
            default: throw .system(path: path, operation: "write", errno: code)
            }
        }
    }

    /// Closes the descriptor (releasing the lock and `TIOCEXCL`). Idempotent.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        _ = Glibc.close(fileDescriptor)
        fileDescriptor = -1
    }
}

/// Small wrappers that retry on EINTR and keep errno handling in one place.
enum Syscall {
    struct Outcome {
        let value: Int32
        let code: Int32
        var failed: Bool { value < 0 }

        func get<E: Error>(or makeError: (Int32) -> E) throws(E) -> Int32 {
            if value < 0 { throw makeError(code) }
            return value
        }
    }

    static func retrying(_ call: () -> Int32) -> Outcome {
        while true {
            let value = call()
            if value >= 0 { return Outcome(value: value, code: 0) }
            let code = errno
            if code != EINTR { return Outcome(value: value, code: code) }
        }
    }
}
