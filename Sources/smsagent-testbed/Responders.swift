import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How the far side of one emulated tty behaves.
enum PortBehaviour {
    /// A modem's AT port with SMS: answers AT, PDU mode, storage and identity.
    case modem(FakeIdentity)
    /// Like `.modem`, but ignores the first `ignored` commands (a port still settling after plug-in).
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

/// Answers on the master side of an emulated tty, on its own thread, until the fd hangs up.
///
/// Stands in for `SimulatedModem.serve(fileDescriptor:)` (Simulator target) for the modem port until
/// that lands; the other behaviours are what real diagnostics/NMEA ports look like to a prober.
final class PortResponder: @unchecked Sendable {
    // @unchecked: all state is confined to the responder's thread after start().
    private let fd: Int32
    private let devnode: String
    private let behaviour: PortBehaviour
    private var ignoredSoFar = 0

    init(fd: Int32, devnode: String, behaviour: PortBehaviour) {
        self.fd = fd
        self.devnode = devnode
        self.behaviour = behaviour
    }

    func start() {
        // Keep the slave side open: a pty master polls as hung up (POLLHUP) while no slave is open,
        // which would end the responder before the prober's first open.
        _ = open(devnode, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        if case .silent = behaviour { return }
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
        case let .modem(identity):
            send(modemAnswer(line, identity))
        case let .settling(identity, ignored):
            if ignoredSoFar < ignored {
                ignoredSoFar += 1
                return
            }
            send(modemAnswer(line, identity))
        }
    }

    private func modemAnswer(_ line: String, _ id: FakeIdentity) -> String {
        switch line.uppercased() {
        case "AT", "ATE0", "AT+CMGF=0", "AT+CMEE=1": return "\r\nOK\r\n"
        case "AT+CPMS?": return "\r\n+CPMS: \"SM\",0,30,\"SM\",0,30,\"SM\",0,30\r\n\r\nOK\r\n"
        case "AT+CGMI": return "\r\n\(id.manufacturer)\r\n\r\nOK\r\n"
        case "AT+CGMM": return "\r\n\(id.model)\r\n\r\nOK\r\n"
        case "AT+CGSN": return "\r\n\(id.imei)\r\n\r\nOK\r\n"
        case "AT+CIMI": return "\r\n\(id.imsi)\r\n\r\nOK\r\n"
        case "AT+CCID", "AT+ICCID": return "\r\n+CCID: \(id.iccid)\r\n\r\nOK\r\n"
        default: return "\r\nERROR\r\n"
        }
    }
}
