import Foundation
import Testing
@testable import Simulator
#if canImport(Glibc)
import Glibc
#endif

/// The agent's side of a pty: opened like a serial port (O_RDWR|O_NOCTTY, raw termios).
final class AgentPort {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(path: String) throws {
        fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw PseudoTerminalError(operation: "open", errno: errno, path: path) }
        var tio = termios()
        tcgetattr(fd, &tio)
        cfmakeraw(&tio)
        tcsetattr(fd, TCSANOW, &tio)
    }

    func write(_ s: String) {
        let bytes = Array(s.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    enum ReadEnd: Error { case timeout(String), hangUp(String) }

    /// Reads until `pattern` appears. Between looks it sleeps as a task (a blocking `poll` here
    /// would hold one of the few cooperative threads the simulator on the other side needs).
    @discardableResult
    func read(until pattern: String, timeout: Duration = .seconds(10)) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let needle = Array(pattern.utf8)
        while true {
            if let range = HostWire.find(needle, in: buffer) {
                defer { buffer.removeSubrange(..<range.upperBound) }
                return String(decoding: buffer[..<range.upperBound], as: UTF8.self)
            }
            if clock.now > deadline { throw ReadEnd.timeout(String(decoding: buffer, as: UTF8.self)) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 0)
            if ready > 0 {
                var chunk = [UInt8](repeating: 0, count: 1024)
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n > 0 { buffer += chunk[0..<n] } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    throw ReadEnd.hangUp(String(decoding: buffer, as: UTF8.self))
                }
            }
            if ready == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    /// True once the other side has gone (EOF/EIO/POLLHUP).
    func waitForHangUp(timeout: Duration = .seconds(5)) async -> Bool {
        do {
            _ = try await read(until: "\u{0}never\u{0}", timeout: timeout)
            return false
        } catch ReadEnd.hangUp {
            return true
        } catch {
            return false
        }
    }

    deinit { close(fd) }
}

@Suite("pseudo-terminal", .serialized)
struct PseudoTerminalTests {
    @Test("answers AT on a real pty opened like a serial port, per profile", arguments: ModemProfile.allCases)
    func answersOnPTY(profile: ModemProfile) async throws {
        let modem = SimulatedModem(profile: profile, configuration: .fast)
        let path = try await modem.openPseudoTerminal()
        let port = try AgentPort(path: path)
        port.write("AT\r")
        #expect(try await port.read(until: "OK\r\n") == "AT\r\r\nOK\r\n")
        port.write("ATE0\r")
        try await port.read(until: "OK\r\n")
        port.write("AT+CGMM\r")
        #expect(try await port.read(until: "OK\r\n") == "\r\n\(profile.identityLeadingSpace ? " " : "")\(profile.model)\r\n\r\nOK\r\n")
        await modem.shutdown()
    }

    @Test("keeps serving when the agent closes the port and opens it again (restart)")
    func agentRestart() async throws {
        let modem = SimulatedModem(profile: .huawei, configuration: .fast)
        let path = try await modem.openPseudoTerminal()
        do {
            let port = try AgentPort(path: path)
            port.write("ATE0\r")
            try await port.read(until: "OK\r\n")
        }
        let port = try AgentPort(path: path)
        port.write("AT+CSQ\r")
        #expect(try await port.read(until: "OK\r\n") == "\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
        await modem.shutdown()
    }

    @Test("with nobody reading, what the modem writes is discarded instead of stalling it")
    func nobodyReading() async throws {
        let modem = SimulatedModem(profile: .generic, configuration: .fast)
        let path = try await modem.openPseudoTerminal()
        for _ in 0..<150 { await modem.emitURC("+NOISE: " + String(repeating: "x", count: 1000)) }
        try await withDeadline(.seconds(10)) { await modem.settle() }
        let port = try AgentPort(path: path)
        port.write("ATE0\r")
        try await port.read(until: "ATE0\r\r\nOK\r\n", timeout: .seconds(10))
        port.write("AT\r")
        #expect(try await port.read(until: "OK\r\n") == "\r\nOK\r\n")
        await modem.shutdown()
    }

    @Test("a reset that re-enumerates: the port vanishes and comes back at the link, rebooted")
    func resetReenumerates() async throws {
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("smsagent-sim-reset-\(UUID().uuidString)").path
        var configuration = SimulatorConfiguration.fast
        configuration.resetReenumerates = .milliseconds(100)
        let modem = SimulatedModem(profile: .quectel, configuration: configuration)
        _ = try await modem.openPseudoTerminal(link: link)
        let port = try AgentPort(path: link)
        port.write("ATE0;+CFUN=1,1\r")
        #expect(await port.waitForHangUp())
        try await withDeadline(.seconds(5)) {
            while !FileManager.default.fileExists(atPath: link) { try? await Task.sleep(for: .milliseconds(5)) }
        }
        let again = try AgentPort(path: link)
        again.write("AT\r")
        #expect(try await again.read(until: "OK\r\n") == "AT\r\r\nOK\r\n")
        await modem.shutdown()
    }

    @Test("the --link symlink points at the slave and unplug removes it and hangs up the agent")
    func linkAndUnplug() async throws {
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("smsagent-sim-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let modem = SimulatedModem(profile: .generic, configuration: .fast)
        let path = try await modem.openPseudoTerminal(link: link)
        #expect(path == link)
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: link)
        #expect(target.hasPrefix("/dev/pts/"))
        let port = try AgentPort(path: link)
        port.write("AT\r")
        try await port.read(until: "OK\r\n")
        await modem.unplug()
        #expect(await port.waitForHangUp())
        #expect(!FileManager.default.fileExists(atPath: link))
    }

    @Test("serve(fileDescriptor:) returns on its own when the last slave closes (EIO on the master)")
    func serveReturnsOnHangUp() async throws {
        let master = PTYCalls.posixOpenpt(O_RDWR | O_NOCTTY | O_CLOEXEC)
        #expect(master >= 0)
        #expect(PTYCalls.grantpt(master) == 0 && PTYCalls.unlockpt(master) == 0)
        var name = [CChar](repeating: 0, count: 128)
        #expect(PTYCalls.ptsnameR(master, &name, name.count) == 0)
        let slave = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var port: AgentPort? = try AgentPort(path: slave)
        let modem = SimulatedModem(profile: .generic, configuration: .fast)
        let serving = Task { try await modem.serve(fileDescriptor: master) }
        await modem.waitForHost()
        port?.write("AT\r")
        _ = try await port?.read(until: "OK\r\n")
        port = nil   // the agent goes away: no slave left, the master reads EIO
        try await serving.value
        #expect(await modem.status.connected == false)
        close(master)
    }

    @Test("cancelling serve(fileDescriptor:) stops serving and leaves the fd open")
    func serveCancelled() async throws {
        let pty = try PseudoTerminal()
        let master = dup(pty.master)
        let modem = SimulatedModem(profile: .generic, configuration: .fast)
        let serving = Task { try await modem.serve(fileDescriptor: master) }
        await modem.waitForHost()
        serving.cancel()
        try await serving.value
        #expect(fcntl(master, F_GETFD) >= 0)
        close(master)
    }
}
