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
    @Test("a write the device does not take (nobody reads the other side) never stops reading")
    func stalledWriteKeepsReading() async throws {
        let pty = try PseudoTerminal()
        defer { pty.unplug() }
        let transport = try SerialTransport.open(path: pty.slavePath)
        // Far more than the kernel buffers: the write stalls until the test reads the other side.
        let payload = [UInt8](repeating: 0x41, count: 1 << 20)
        let write = Task { try await transport.write(payload) }

        // The write has begun once its first bytes wait on the other side; from then on it stalls.
        #expect(await OtherSide.readable(pty.master))

        // A URC from the modem while the write is stuck must still be read at once.
        let urc = Array("\r\n+CMTI: \"SM\",3\r\n".utf8)
        #expect(urc.withUnsafeBytes { Glibc.write(pty.master, $0.baseAddress, $0.count) } == urc.count)
        let received = try await withDeadlineResult(.seconds(3)) {
            var received: [UInt8] = []
            for try await chunk in transport.incoming {
                received += chunk
                if received.count >= urc.count { break }
            }
            return received
        }
        #expect(received == urc)

        // Reading the other side lets the write finish, every byte in order.
        let drained = await OtherSide.drain(pty.master, count: payload.count)
        #expect(drained == payload)
        try await write.value
        await transport.close()
    }

    @Test("close() fails a stalled write and the writes queued behind it, at once")
    func queuedWritesAndClose() async throws {
        let pty = try PseudoTerminal()
        defer { pty.unplug() }
        let transport = try SerialTransport.open(path: pty.slavePath)
        let stalled = Task { try await transport.write([UInt8](repeating: 0x41, count: 1 << 20)) }
        #expect(await OtherSide.readable(pty.master))
        let behind = Task { try await transport.write(Array("AT\r".utf8)) }
        await transport.close()
        await #expect(throws: SerialPortError.self) { try await stalled.value }
        await #expect(throws: SerialPortError.self) { try await behind.value }
    }
}

struct SerialDeadlineExceeded: Error {}

/// Runs `body` and returns its value, or throws `SerialDeadlineExceeded` after `limit` (cancelling it).
func withDeadlineResult<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw SerialDeadlineExceeded() }
        return value
    }
}

/// The pty's other side, read on a thread of its own so that a test waiting for it never blocks the
/// cooperative pool that the code under test needs.
enum OtherSide {
    /// True once `fd` has bytes to read; false after 5 s without any.
    static func readable(_ fd: Int32) async -> Bool {
        await onThread {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            return poll(&descriptor, 1, 5000) == 1
        }
    }

    /// Reads until `count` bytes came or 5 s pass without any.
    static func drain(_ fd: Int32, count: Int) async -> [UInt8] {
        await onThread {
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while received.count < count {
                var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&descriptor, 1, 5000) == 1 else { break }
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { break }
                received += buffer.prefix(n)
            }
            return received
        }
    }

    private static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}
