import Foundation
import ModemKit
import Testing
@testable import Simulator
#if canImport(Glibc)
import Glibc
#endif

/// A simulated modem's start/stop cycle gives back every descriptor it took: the pty master, the
/// slave it keeps open, the agent's port. Leaked, they add up over a test run until Foundation's
/// `Process.run` (it uses `select()`) crashes the test process past descriptor 1024 — which is
/// what kept the dialect profiles out of `main` once.
///
/// Each case runs its cycle `cycles` times and compares `/proc/self/fd` before and after: a leak of
/// even one descriptor per cycle shows as `cycles`, far above the slack allowed for descriptors
/// the runtime opens once for itself (a dispatch queue's eventfd, a thread's timerfd).
@Suite("descriptors", .serialized)
struct DescriptorLeakTests {
    static let cycles = 12
    static let slack = 3

    /// Open descriptors of this process (the directory's own descriptor excluded).
    static func openDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return -1 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { count += 1 }
        }
        return count - 1
    }

    /// Runs `cycle` `cycles` times; returns how many descriptors stayed open once everything that
    /// closes asynchronously (a reader's cancel handler) had up to 5 s to do so.
    static func leaked(by cycle: () async throws -> Void) async throws -> Int {
        // One warm-up: the runtime's own descriptors (queues, timers) are opened once, not per cycle.
        try await cycle()
        let before = openDescriptors()
        for _ in 0..<cycles { try await cycle() }
        let deadline = ContinuousClock.now + .seconds(5)
        var after = openDescriptors()
        while after > before + slack, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            after = openDescriptors()
        }
        return after - before
    }

    /// The agent's side talks AT over the pty, as `smsagent` does, then the modem stops.
    static func talk(to path: String) async throws {
        let port = try AgentPort(path: path)
        port.write("AT\r")
        try await port.read(until: "OK\r\n")
    }

    @Test("a pty opened, used by an agent and shut down")
    func ptyShutdown() async throws {
        let leaked = try await Self.leaked {
            let modem = SimulatedModem(configuration: .fast)
            let path = try await modem.openPseudoTerminal()
            try await Self.talk(to: path)
            await modem.shutdown()
        }
        #expect(leaked <= Self.slack, "\(leaked) descriptors left open after \(Self.cycles) cycles")
    }

    @Test("a pty unplugged")
    func ptyUnplug() async throws {
        let leaked = try await Self.leaked {
            let modem = SimulatedModem(configuration: .fast)
            let path = try await modem.openPseudoTerminal()
            try await Self.talk(to: path)
            await modem.unplug()
            await modem.shutdown()
        }
        #expect(leaked <= Self.slack, "\(leaked) descriptors left open after \(Self.cycles) cycles")
    }

    @Test("a modem dropped without shutdown closes its pty")
    func ptyDropped() async throws {
        let leaked = try await Self.leaked {
            var modem: SimulatedModem? = SimulatedModem(configuration: .fast)
            let path = try await modem?.openPseudoTerminal() ?? ""
            try await Self.talk(to: path)
            modem = nil
        }
        #expect(leaked <= Self.slack, "\(leaked) descriptors left open after \(Self.cycles) cycles")
    }

    @Test("a pty replaced by a second pty and by an in-memory connection")
    func ptyReplaced() async throws {
        let leaked = try await Self.leaked {
            let modem = SimulatedModem(configuration: .fast)
            _ = try await modem.openPseudoTerminal()
            let path = try await modem.openPseudoTerminal()
            try await Self.talk(to: path)
            let transport = await modem.connectInMemory()
            await transport.close()
            await modem.shutdown()
        }
        #expect(leaked <= Self.slack, "\(leaked) descriptors left open after \(Self.cycles) cycles")
    }

    @Test("ModemKit's serial transport on the pty: set up, closed, modem shut down")
    func serialTransport() async throws {
        let leaked = try await Self.leaked {
            let simulator = SimulatedModem(configuration: .fast)
            let path = try await simulator.openPseudoTerminal()
            let modem = Modem(transport: try SerialTransport.open(path: path), options: ModemOptions())
            try await modem.initialise()
            await modem.close()
            await simulator.shutdown()
        }
        #expect(leaked <= Self.slack, "\(leaked) descriptors left open after \(Self.cycles) cycles")
    }
}
