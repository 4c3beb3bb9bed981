import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How the far side of one emulated tty behaves.
enum PortBehaviour {
    /// A modem's AT port: the Simulator's `SimulatedModem` serves it.
    case modem(FakeIdentity)
    /// Like `.modem`, but the first `ignored` commands get no reply (a port still settling).
    case settling(FakeIdentity, ignored: Int)
    /// Answers `AT` but refuses SMS commands (a PPP data port or an auxiliary AT port).
    case atOnly
    /// A Qualcomm diagnostics port: binary frames, never `OK`.
    case diagnostics
    /// A GPS port: NMEA sentences whatever it is sent.
    case nmea
    /// Never answers.
    case silent
}

/// Answers on the master side of an emulated tty that is not the modem's AT port, on its own
/// thread, the way real secondary ports look to a prober (diagnostics frames, NMEA, bare `OK`).
final class PortResponder: @unchecked Sendable {
    // @unchecked: all state is confined to the responder's thread after start().
    private let fd: Int32
    private let devnode: String
    private let behaviour: PortBehaviour

    init(fd: Int32, devnode: String, behaviour: PortBehaviour) {
        self.fd = fd
        self.devnode = devnode
        self.behaviour = behaviour
    }

    /// Keeps the slave side open: a pty master polls as hung up (POLLHUP) while no slave is open,
    /// which would end whoever serves the master before the prober's first open.
    static func holdSlave(_ devnode: String) {
        _ = open(devnode, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
    }

    /// Reads and drops `count` command lines (CR-terminated) on its own thread, then calls `then`.
    static func swallowCommandLines(fd: Int32, count: Int, then: @escaping @Sendable () -> Void) {
        let thread = Thread {
            var seen = 0
            var byte: UInt8 = 0
            while seen < count {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, -1) >= 0 || errno == EINTR else { return }
                if pfd.revents & Int16(POLLIN) == 0 { continue }
                if read(fd, &byte, 1) == 1, byte == 0x0D { seen += 1 }
            }
            then()
        }
        thread.start()
    }

    func start() {
        Self.holdSlave(devnode)
        switch behaviour {
        case .silent, .modem, .settling: return
        case .atOnly, .diagnostics, .nmea: break
        }
        let thread = Thread { [self] in run() }
        thread.start()
    }

    private func run() {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, -1)
            if ready < 0 { if errno == EINTR { continue } else { return } }
            if pfd.revents & Int16(POLLIN) == 0 { return }   // hang-up or error: the device is gone
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { if n < 0 && (errno == EINTR || errno == EAGAIN) { continue } else { return } }
            buffer.append(contentsOf: chunk[0..<n])
            while let end = buffer.firstIndex(where: { $0 == 0x0D || $0 == 0x0A }) {
                let line = String(decoding: buffer[..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                buffer.removeSubrange(...end)
                if !line.isEmpty { answer(line) }
            }
        }
    }

    private func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    private func answer(_ line: String) {
        switch behaviour {
        case .silent:
            return
        case .diagnostics:
            send("\u{7E}\u{0B}\u{13}\u{00}\u{00}\u{7E}")
        case .nmea:
            send("$GPGSV,1,1,00*79\r\n$GPGGA,,,,,,0,,,,,,,,*66\r\n")
        case .atOnly:
            send(line.uppercased() == "AT" || line.uppercased() == "ATE0" ? "\r\nOK\r\n" : "\r\nERROR\r\n")
        case .modem, .settling:
            return
        }
    }

}
