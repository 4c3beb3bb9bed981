import Foundation
import ModemKit
import SerialPort
import Simulator
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Serial port: exclusive, verified open; typed errors; hang-up ends the transport")
struct SerialPortTests {
    @Test("a pty opens raw 8N1 at the asked speed")
    func opensRaw() throws {
        let pty = try PseudoTerminal()
        defer { pty.unplug() }
        let port = try SerialPort.open(path: pty.slavePath, configuration: SerialConfiguration(baudRate: 57_600))
        var settings = termios()
        #expect(tcgetattr(port.fileDescriptor, &settings) == 0)
        #expect(cfgetospeed(&settings) == speed_t(B57600))
        #expect(settings.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS8))
        #expect(settings.c_cflag & tcflag_t(PARENB) == 0)
        #expect(settings.c_lflag & tcflag_t(ICANON | ECHO) == 0)
        #expect(fcntl(port.fileDescriptor, F_GETFD) & FD_CLOEXEC != 0)
        #expect(fcntl(port.fileDescriptor, F_GETFL) & O_NONBLOCK != 0)
    }

    @Test("a second open of the same port is refused as busy, and allowed after close")
    func exclusive() throws {
        let pty = try PseudoTerminal()
        defer { pty.unplug() }
        let first = try SerialPort.open(path: pty.slavePath)
        #expect {
            _ = try SerialPort.open(path: pty.slavePath)
        } throws: { error in
            guard case SerialPortError.busy(let path, _, _) = error else { return false }
            return path == pty.slavePath
        }
        first.close()
        _ = try SerialPort.open(path: pty.slavePath)
    }

    @Test("absent, not-a-tty and bad baud rate are typed errors naming the path")
    func typedErrors() throws {
        #expect {
            _ = try SerialPort.open(path: "/dev/ttyNOPE-smsagent")
        } throws: { error in
            guard case SerialPortError.notFound(let path, let code) = error else { return false }
            return path == "/dev/ttyNOPE-smsagent" && code == ENOENT
        }
        #expect {
            _ = try SerialPort.open(path: "/dev/null")
        } throws: { error in
            guard case SerialPortError.notATerminal(_, let code) = error else { return false }
            return code == ENOTTY
        }
        let pty = try PseudoTerminal()
        defer { pty.unplug() }
        #expect(throws: SerialPortError.unsupportedBaudRate(path: pty.slavePath, baudRate: 12_345)) {
            _ = try SerialPort.open(path: pty.slavePath, configuration: SerialConfiguration(baudRate: 12_345))
        }
        #expect(SerialPortError.busy(path: "/dev/ttyUSB2", errno: EBUSY, holder: "x").description.contains("EBUSY"))
    }

    @Test("bytes flow both ways through SerialTransport")
    func transportRoundTrip() async throws {
        let pty = try PseudoTerminal()
        defer { pty.unplug() }
        let transport = try SerialTransport.open(path: pty.slavePath)
        try await transport.write(Array("AT\r".utf8))
        var buffer = [UInt8](repeating: 0, count: 16)
        var pollDescriptor = pollfd(fd: pty.master, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pollDescriptor, 1, 5000) == 1)
        let count = read(pty.master, &buffer, buffer.count)
        #expect(Array(buffer.prefix(max(0, count))) == Array("AT\r".utf8))
        let reply = Array("\r\nOK\r\n".utf8)
        #expect(write(pty.master, reply, reply.count) == reply.count)
        var received: [UInt8] = []
        for try await chunk in transport.incoming {
            received += chunk
            if received.count >= reply.count { break }
        }
        #expect(received == reply)
        await transport.close()
    }

    @Test("close() ends incoming normally and frees the port")
    func closeEnds() async throws {
        let pty = try PseudoTerminal()
        defer { pty.unplug() }
        let transport = try SerialTransport.open(path: pty.slavePath)
        await transport.close()
        var chunks = 0
        for try await _ in transport.incoming { chunks += 1 }
        #expect(chunks == 0)
        let again = try SerialTransport.open(path: pty.slavePath)
        await again.close()
        await #expect(throws: SerialPortError.self) { try await transport.write([0x41]) }
    }

    @Test("the device vanishing ends incoming with .hungUp")
    func hangUp() async throws {
        let pty = try PseudoTerminal()
        let transport = try SerialTransport.open(path: pty.slavePath)
        pty.unplug()
        await #expect {
            for try await _ in transport.incoming {}
        } throws: { error in
            if case SerialPortError.hungUp(let path, _) = error { return path == pty.slavePath }
            return false
        }
        await transport.close()
    }
}
