import Foundation
import ModemKit
@testable import Simulator

struct WireTimeout: Error, CustomStringConvertible {
    let waitingFor: String
    let received: String
    var description: String { "timed out waiting for \(waitingFor.debugDescription); received \(received.debugDescription)" }
}

/// The host side of a simulated port for tests: collects every byte, waits for patterns.
actor HostWire {
    let transport: any ByteTransport
    private(set) var received: [UInt8] = []
    private(set) var finished = false
    private var waiters: [(id: Int, check: @Sendable ([UInt8], Bool) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    private var nextID = 0
    private var reader: Task<Void, Never>?

    init(_ transport: any ByteTransport) {
        self.transport = transport
    }

    func start() {
        reader = Task {
            do {
                for try await chunk in transport.incoming { self.append(chunk) }
            } catch {}
            self.finish()
        }
    }

    private func append(_ chunk: [UInt8]) {
        received += chunk
        wake()
    }

    private func finish() {
        finished = true
        wake()
    }

    private func wake() {
        let ready = waiters.filter { $0.check(received, finished) }
        waiters.removeAll { w in ready.contains { $0.id == w.id } }
        for w in ready { w.continuation.resume() }
    }

    var text: String { String(decoding: received, as: UTF8.self) }

    /// Everything received so far, then forgets it.
    func take() -> String {
        defer { received = [] }
        return text
    }

    func send(_ string: String) async throws {
        try await transport.write(Array(string.utf8))
    }

    func sendBytes(_ bytes: [UInt8]) async throws {
        try await transport.write(bytes)
    }

    /// Waits (at most `timeout`) until the received text contains `pattern`; returns and forgets
    /// everything up to and including it.
    @discardableResult
    func read(until pattern: String, timeout: Duration = .seconds(5)) async throws -> String {
        let needle = Array(pattern.utf8)
        let check: @Sendable ([UInt8], Bool) -> Bool = { bytes, done in done || Self.find(needle, in: bytes) != nil }
        try await wait(for: check, timeout: timeout, describing: pattern)
        guard let range = Self.find(needle, in: received) else {
            throw WireTimeout(waitingFor: pattern, received: text)
        }
        let out = String(decoding: received[..<range.upperBound], as: UTF8.self)
        received.removeSubrange(..<range.upperBound)
        return out
    }

    /// Waits until the peer finishes the stream.
    func waitForEnd(timeout: Duration = .seconds(5)) async throws {
        try await wait(for: { _, done in done }, timeout: timeout, describing: "end of stream")
    }

    private func wait(for check: @escaping @Sendable ([UInt8], Bool) -> Bool, timeout: Duration, describing: String) async throws {
        if check(received, finished) { return }
        let id = nextID
        nextID += 1
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.expire(id)
        }
        await withCheckedContinuation { continuation in
            waiters.append((id, check, continuation))
        }
        timer.cancel()
        if !check(received, finished) { throw WireTimeout(waitingFor: describing, received: text) }
    }

    private func expire(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume()
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<start + needle.count]) == needle { return start..<start + needle.count }
        }
        return nil
    }

    /// Sends a command line and returns the answer up to its final result.
    @discardableResult
    func command(_ line: String, final: String = "\r\nOK\r\n", timeout: Duration = .seconds(5)) async throws -> String {
        try await send(line + "\r")
        return try await read(until: final, timeout: timeout)
    }
}

/// A connected modem and its wire, with echo off unless asked.
func connect(_ profile: ModemProfile = .generic, configure: (inout SimulatorConfiguration) -> Void = { _ in },
             echoOff: Bool = true) async throws -> (SimulatedModem, HostWire) {
    var configuration = SimulatorConfiguration.fast
    configure(&configuration)
    let modem = SimulatedModem(profile: profile, configuration: configuration)
    let wire = HostWire(await modem.connectInMemory())
    await wire.start()
    if echoOff {
        try await wire.command("ATE0")
        _ = await wire.take()
    }
    return (modem, wire)
}

struct DeadlineExceeded: Error {}

/// Runs `body`, failing with `DeadlineExceeded` if it takes longer than `limit`.
func withDeadline(_ limit: Duration, _ body: @escaping @Sendable () async -> Void) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask { await body(); return true }
        group.addTask { try await Task.sleep(for: limit); return false }
        let finished = try await group.next() ?? false
        group.cancelAll()
        if !finished { throw DeadlineExceeded() }
    }
}
