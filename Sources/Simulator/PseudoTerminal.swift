import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Errors opening a pseudo-terminal, with the errno and what was being done.
public struct PseudoTerminalError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let errno: Int32
    public let path: String?
    public var description: String {
        "\(operation)\(path.map { " \($0)" } ?? ""): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// A pseudo-terminal pair for the simulator (POSIX `posix_openpt`, `grantpt`, `unlockpt`).
///
/// The slave is put in raw mode at once (`cfmakeraw`): otherwise the kernel line discipline would
/// echo and edit what the agent writes before the simulator saw it. A slave fd stays open in the
/// simulator for the terminal's whole life, so that an agent closing the port (or being killed)
/// does not make the master return EIO: the simulator keeps serving across agent restarts.
/// Owned by one `SimulatedModem`; `unplug()` is serialised by a lock so that the modem's reader
/// can call it from its dispatch queue once it no longer reads the master.
public final class PseudoTerminal: @unchecked Sendable {
    public let master: Int32
    /// The slave device, e.g. `/dev/pts/7`.
    public let slavePath: String
    /// The symlink made at `link`, if any.
    public let link: String?
    private var keeper: Int32
    private var open = true
    private var linkRemoved = false
    private let lock = NSLock()

    /// The path an agent should open: the link when there is one.
    public var path: String { link ?? slavePath }

    public init(link: String? = nil) throws {
        let master = PTYCalls.posixOpenpt(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw PseudoTerminalError(operation: "posix_openpt", errno: errno, path: nil) }
        guard PTYCalls.grantpt(master) == 0, PTYCalls.unlockpt(master) == 0 else {
            let e = errno
            Glibc.close(master)
            throw PseudoTerminalError(operation: "grantpt/unlockpt", errno: e, path: nil)
        }
        var name = [CChar](repeating: 0, count: 128)
        guard PTYCalls.ptsnameR(master, &name, name.count) == 0 else {
            let e = errno
            Glibc.close(master)
            throw PseudoTerminalError(operation: "ptsname_r", errno: e, path: nil)
        }
        let slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let keeper = Glibc.open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard keeper >= 0 else {
            let e = errno
            Glibc.close(master)
            throw PseudoTerminalError(operation: "open", errno: e, path: slavePath)
        }
        var tio = termios()
        guard tcgetattr(keeper, &tio) == 0 else {
            let e = errno
            Glibc.close(keeper); Glibc.close(master)
            throw PseudoTerminalError(operation: "tcgetattr", errno: e, path: slavePath)
        }
        cfmakeraw(&tio)
        cfsetispeed(&tio, speed_t(B115200))
        cfsetospeed(&tio, speed_t(B115200))
        guard tcsetattr(keeper, TCSANOW, &tio) == 0 else {
            let e = errno
            Glibc.close(keeper); Glibc.close(master)
            throw PseudoTerminalError(operation: "tcsetattr", errno: e, path: slavePath)
        }
        if let link {
            _ = unlink(link)
            guard symlink(slavePath, link) == 0 else {
                let e = errno
                Glibc.close(keeper); Glibc.close(master)
                throw PseudoTerminalError(operation: "symlink", errno: e, path: link)
            }
        }
        self.master = master
        self.keeper = keeper
        self.slavePath = slavePath
        self.link = link
    }

    /// Discards what the modem wrote and no host read (as a UART's output to a closed port is
    /// lost), so that the next agent to open the port does not read stale answers.
    public func discardUnread() {
        lock.lock()
        defer { lock.unlock() }
        guard open else { return }
        _ = tcflush(keeper, TCIFLUSH)
    }

    /// Writes to the master under the lock that `unplug` closes it under, so the bytes can never
    /// reach another file that reused the descriptor number. Non-blocking: returns what was written,
    /// or the errno (`EBADF` once unplugged).
    public func writeMaster(_ bytes: UnsafeRawBufferPointer) -> Result<Int, POSIXError> {
        lock.lock()
        defer { lock.unlock() }
        return GuardedDescriptor.write(open ? master : nil, bytes)
    }

    /// Removes the symlink now (the fds are closed by `unplug`). Idempotent.
    public func removeLink() {
        lock.lock()
        defer { lock.unlock() }
        if let link, !linkRemoved {
            linkRemoved = true
            _ = unlink(link)
        }
    }

    /// Closes the master (the host sees a hang-up) and removes the link. Idempotent.
    public func unplug() {
        lock.lock()
        defer { lock.unlock() }
        guard open else { return }
        open = false
        if let link, !linkRemoved {
            linkRemoved = true
            _ = unlink(link)
        }
        Glibc.close(keeper)
        keeper = -1
        Glibc.close(master)
    }

    deinit { unplug() }
}

/// glibc's pseudo-terminal calls: declared behind feature macros the Swift Glibc module does not
/// set, so they are looked up once by name (they are always in libc).
enum PTYCalls {
    private typealias OpenFn = @convention(c) (Int32) -> Int32
    private typealias FdFn = @convention(c) (Int32) -> Int32
    private typealias NameFn = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32

    private static func symbol<T>(_ name: String, as: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: T.self)
    }

    static func posixOpenpt(_ flags: Int32) -> Int32 {
        guard let f = symbol("posix_openpt", as: OpenFn.self) else { errno = ENOSYS; return -1 }
        return f(flags)
    }

    static func grantpt(_ fd: Int32) -> Int32 {
        guard let f = symbol("grantpt", as: FdFn.self) else { errno = ENOSYS; return -1 }
        return f(fd)
    }

    static func unlockpt(_ fd: Int32) -> Int32 {
        guard let f = symbol("unlockpt", as: FdFn.self) else { errno = ENOSYS; return -1 }
        return f(fd)
    }

    static func ptsnameR(_ fd: Int32, _ buffer: inout [CChar], _ size: Int) -> Int32 {
        guard let f = symbol("ptsname_r", as: NameFn.self) else { return ENOSYS }
        return buffer.withUnsafeMutableBufferPointer { f(fd, $0.baseAddress, size) }
    }
}
