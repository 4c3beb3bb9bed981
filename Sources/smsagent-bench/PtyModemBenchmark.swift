import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import ModemKit
import Simulator

/// A simulated modem on a pseudo-terminal with every command time-stamped, for measuring other
/// SMS daemons (smstools, gammu-smsd) the same way as our agent: `Benchmarks/peers.sh` runs it.
/// The tap sits between the pty and the simulator, so times are the modem's: a command from the
/// moment its line arrives to the moment its final result leaves.
enum PtyModemBenchmark {
    static func run(_ arguments: Arguments, command: String) async throws {
        guard let i = arguments.values.firstIndex(of: "--link"), i + 1 < arguments.values.count else {
            throw BenchError("pty-modem needs --link PATH")
        }
        let link = arguments.values[i + 1]
        let parts = arguments.int("--parts", 10)
        let linger = arguments.double("--linger", 30)
        let timeout = arguments.double("--timeout", 600)
        var configuration = SimulatorConfiguration()
        configuration.name = "peer"
        configuration.fixedLatency = .milliseconds(arguments.int("--other-ms", 20))
        configuration.latency = ["+CMGS": .milliseconds(arguments.int("--cmgs-ms", 300))]
        configuration.statusReports = false
        let simulator = SimulatedModem(profile: .generic, configuration: configuration, logger: quietLogger())
        let pty = try PseudoTerminal(link: link)
        let transport = await simulator.connectInMemory()
        let log = WireLog()
        let wallOffset = Date().timeIntervalSince1970 - monotonicSeconds()
        let master = pty.master

        // modem → host
        let toHost = Task {
            for try await chunk in transport.incoming {
                log.received(chunk)
                var offset = 0
                while offset < chunk.count {
                    let n = chunk[offset...].withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
                    if n < 0 { if errno == EINTR || errno == EAGAIN { continue }; return }
                    offset += n
                }
            }
        }
        // host → modem: a thread blocked in read(2) on the master, in order through a stream.
        let (input, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(master, $0.baseAddress, $0.count) }
                if n > 0 {
                    let bytes = Array(buffer[0..<n])
                    log.wrote(bytes)
                    continuation.yield(bytes)
                } else if n < 0 && (errno == EINTR || errno == EAGAIN) {
                    continue
                } else {
                    continuation.finish()
                    return
                }
            }
        }
        reader.start()
        let toModem = Task {
            for await bytes in input { try? await transport.write(bytes) }
        }
        FileHandle.standardOutput.write(Data("pty-modem on \(link) (\(pty.slavePath)); waiting for \(parts) AT+CMGS parts, then \(Int(linger)) s idle\n".utf8))

        let started = monotonicSeconds()
        var doneAt: Double?
        while monotonicSeconds() - started < timeout {
            let sent = log.snapshot().filter { $0.name == "AT+CMGS" && $0.end != nil }.count
            if sent >= parts, doneAt == nil { doneAt = monotonicSeconds() }
            if let doneAt, monotonicSeconds() - doneAt >= linger { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let commands = log.snapshot()
        let sends = commands.filter { $0.name == "AT+CMGS" && $0.end != nil }
        let report = Report(name: "pty-modem", command: command)
        if let trace = arguments.values.firstIndex(of: "--trace").flatMap({ $0 + 1 < arguments.values.count ? arguments.values[$0 + 1] : nil }) {
            let lines = commands.map { String(format: "%.6f %.6f %@ %.6f", $0.start + wallOffset, ($0.end ?? $0.start) + wallOffset, $0.name, $0.hostHold) }
            try (lines.joined(separator: "\n") + "\n").write(toFile: trace, atomically: true, encoding: .utf8)
        }
        guard let first = sends.first, let last = sends.last, let lastEnd = last.end else {
            report.line("no AT+CMGS seen; commands: \(commands.count)")
            report.emit(json: arguments.json)
            return
        }
        let inWindow = commands.filter { $0.start >= first.start && $0.start <= lastEnd }
        let busy = sends.reduce(0.0) { $0 + $1.service }
        let hold = sends.reduce(0.0) { $0 + $1.hostHold }
        let window = lastEnd - first.start
        var byName = [String: Int]()
        for c in inWindow { byName[c.name, default: 0] += 1 }
        let after = commands.filter { $0.start > lastEnd }
        var idleNames = [String: Int]()
        for c in after { idleNames[c.name, default: 0] += 1 }
        let utilisation = busy / window
        report.line("\(sends.count) AT+CMGS parts from \(String(format: "%.3f", first.start + wallOffset)) to \(String(format: "%.3f", lastEnd + wallOffset)) (epoch s)")
        report.line("modem busy with AT+CMGS: \(percent(utilisation)) of the time from first to last part → waiting for the host \(percent(1 - utilisation))")
        report.line("host time between the > prompt and the PDU: \(ms(hold / Double(sends.count))) per part (counted as waiting, not busy)")
        report.line("AT commands per part: \(String(format: "%.2f", Double(inWindow.count) / Double(sends.count))): "
                    + byName.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        let lingered = (commands.last?.start ?? lastEnd) > lastEnd ? monotonicSeconds() - lastEnd : monotonicSeconds() - lastEnd
        report.line(String(format: "idle after the batch (%.0f s): %d AT commands", lingered, after.count)
                    + (idleNames.isEmpty ? "" : ": " + idleNames.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
        report.figures = ["parts": sends.count, "utilisation": utilisation, "first_cmgs_epoch": first.start + wallOffset,
                          "commands_per_part": Double(inWindow.count) / Double(sends.count), "commands": byName,
                          "prompt_hold_ms_per_part": hold / Double(sends.count) * 1000,
                          "idle_seconds": lingered, "idle_commands": after.count]
        report.emit(json: arguments.json)
        toHost.cancel()
        toModem.cancel()
        pty.unplug()
        await simulator.shutdown()
    }
}
