import Foundation
import ModemKit

/// One AT command as seen on the wire between the agent and a modem: from the write that ends its
/// command line (`\r`) to its final result code (`OK`, `ERROR`, `+CME ERROR`, `+CMS ERROR`,
/// `COMMAND NOT SUPPORT`). For `AT+CMGS` this spans the `> ` prompt, the PDU and the answer.
struct WireCommand: Sendable {
    var name: String
    var start: Double
    var end: Double?
    /// Time the modem spent waiting for the host inside the command: from the `> ` prompt to the
    /// PDU's Ctrl-Z (a host that sleeps after the prompt holds the modem; that is not modem work).
    var hostHold: Double = 0
    /// Duration minus `hostHold`: the modem's own service time.
    var service: Double { max(0, (end ?? start) - start - hostHold) }
}

/// Records every command the host writes, with monotonic time stamps. Thread-safe (a lock; the
/// transport's writer and reader run on different tasks).
final class WireLog: @unchecked Sendable {
    private let lock = NSLock()
    private var commands: [WireCommand] = []
    private var pending: Int?
    private var transmitLine: [UInt8] = []
    private var receiveLine: [UInt8] = []
    private var lastStarts: [String: Double] = [:]
    private var starts: [String: Int] = [:]
    private var promptAt: Double?

    /// How many commands of that name were written so far (cheap: no copy of the log).
    func started(_ name: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return starts[name] ?? 0
    }

    /// When the most recent command of that name started (nil: none yet).
    func lastStart(of name: String) -> Double? {
        lock.lock()
        defer { lock.unlock() }
        return lastStarts[name]
    }

    func snapshot() -> [WireCommand] {
        lock.lock()
        defer { lock.unlock() }
        return commands
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return commands.count
    }

    func wrote(_ bytes: [UInt8]) {
        let now = monotonicSeconds()
        lock.lock()
        defer { lock.unlock() }
        for byte in bytes {
            switch byte {
            case 0x0D:
                let line = String(decoding: transmitLine, as: UTF8.self)
                transmitLine = []
                let upper = line.uppercased()
                guard upper.hasPrefix("AT") || upper.hasPrefix("A/") else { continue }
                if let open = pending, commands[open].end == nil { commands[open].end = now }
                let name = Self.name(of: upper)
                promptAt = nil
                commands.append(WireCommand(name: name, start: now))
                lastStarts[name] = now
                starts[name, default: 0] += 1
                pending = commands.count - 1
            case 0x1A, 0x1B:  // end of a PDU (Ctrl-Z) or an abort (ESC)
                transmitLine = []
                if let open = pending, let prompt = promptAt {
                    commands[open].hostHold += now - prompt
                    promptAt = nil
                }
            case 0x0A:
                continue
            default:
                transmitLine.append(byte)
            }
        }
    }

    func received(_ bytes: [UInt8]) {
        let now = monotonicSeconds()
        lock.lock()
        defer { lock.unlock() }
        for byte in bytes {
            if byte == 0x0D || byte == 0x0A {
                let line = String(decoding: receiveLine, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                receiveLine = []
                guard !line.isEmpty, let open = pending else { continue }
                if line == "OK" || line == "ERROR" || line.hasPrefix("+CME ERROR") || line.hasPrefix("+CMS ERROR")
                    || line == "COMMAND NOT SUPPORT" || line == "NO CARRIER" {
                    commands[open].end = now
                    pending = nil
                }
            } else {
                receiveLine.append(byte)
                // The `> ` prompt of AT+CMGS/AT+CMGW has no line end.
                if receiveLine == [0x3E, 0x20], pending != nil {
                    promptAt = now
                    receiveLine = []
                }
            }
        }
    }

    /// `AT+CMGS=23` → `AT+CMGS`; `AT+CPMS?` → `AT+CPMS?`; `ATE0` → `ATE0`.
    static func name(of line: String) -> String {
        if let i = line.firstIndex(of: "=") {
            let rest = line[line.index(after: i)...]
            return String(line[..<i]) + (rest == "?" ? "=?" : "")
        }
        return line
    }
}

/// A `ByteTransport` that passes everything through and tells a `WireLog` what went by.
struct TappedTransport: ByteTransport {
    let inner: any ByteTransport
    let log: WireLog
    let incoming: AsyncThrowingStream<[UInt8], any Error>

    init(_ inner: any ByteTransport, log: WireLog) {
        self.inner = inner
        self.log = log
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: [UInt8].self, throwing: (any Error).self)
        incoming = stream
        let source = inner.incoming
        let pump = Task {
            do {
                for try await chunk in source {
                    log.received(chunk)
                    continuation.yield(chunk)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in pump.cancel() }
    }

    var name: String { inner.name }

    func write(_ bytes: [UInt8]) async throws {
        log.wrote(bytes)
        try await inner.write(bytes)
    }

    func close() async { await inner.close() }
}
