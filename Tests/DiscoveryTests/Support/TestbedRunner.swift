import Discovery
import Foundation
import TestSupport
import Testing

extension TestbedReport {
    func probedModem(vendorID: String) throws -> DiscoveredModem {
        try #require(probed.first { $0.vendorID == vendorID }, "no probed modem \(vendorID) in \(scenario)")
    }

    func enumeratedModem(vendorID: String) throws -> DiscoveredModem {
        try #require(snapshot?.modems.first { $0.vendorID == vendorID }, "no enumerated modem \(vendorID) in \(scenario)")
    }
}

struct TestbedFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs a testbed scenario in a child process under `umockdev-wrapper` (a process that owns a
/// umockdev testbed must itself run under the preload). Reports are cached per scenario: several
/// tests read the same run.
actor TestbedRunner {
    static let shared = TestbedRunner()
    private var cache: [String: TestbedReport] = [:]

    func report(_ scenario: String) async throws -> TestbedReport {
        if let cached = cache[scenario] { return cached }
        let report = try await Self.runOnOwnThread(scenario)
        cache[scenario] = report
        return report
    }

    /// A scenario takes seconds of blocking reads and a wait for the child: on a thread of its own,
    /// never on one of Swift concurrency's few cooperative threads that every other test needs.
    static func runOnOwnThread(_ scenario: String) async throws -> TestbedReport {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try run(scenario) }) }.start()
        }
    }

    static func locateWrapper() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") + ["/usr/bin"] {
            let candidate = "\(dir)/umockdev-wrapper"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestbedFailure(description: """
            umockdev-wrapper not found in PATH: the discovery tests need umockdev \
            (Debian: apt-get install umockdev libumockdev-dev). They fail rather than skip.
            """)
    }

    /// `.build/debug/smsagent-testbed`, next to the test bundle.
    static func locateTestbed() throws -> String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("smsagent-testbed").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw TestbedFailure(description: "smsagent-testbed not found next to \(exe): run `swift build --build-tests` first")
    }

    static func run(_ scenario: String) throws -> TestbedReport {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try locateWrapper())
        process.arguments = [try locateTestbed(), scenario]
        var environment = ProcessInfo.processInfo.environment
        environment["UMOCKDEV_DIR"] = nil
        process.environment = environment
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Our read ends are closed here, not left to FileHandle's deinit (descriptors, README "Tests").
        defer {
            try? stdout.fileHandleForReading.close()
            try? stderr.fileHandleForReading.close()
        }
        // Read to EOF first (a full pipe would block the child), then reap it. The testbed has its
        // own 30 s watchdog, so this cannot hang for ever.
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitForExitBlocking(timeout: 60)
        let report: TestbedReport
        do {
            report = try JSONDecoder().decode(TestbedReport.self, from: output)
        } catch {
            throw TestbedFailure(description: """
                smsagent-testbed \(scenario) exited \(process.exitStatus.map(String.init) ?? "?") without a report (\(error)).
                stdout: \(String(decoding: output, as: UTF8.self).prefix(2000))
                stderr: \(String(decoding: errors, as: UTF8.self).prefix(2000))
                """)
        }
        if let failure = report.error {
            throw TestbedFailure(description: "scenario \(scenario) failed: \(failure)\nstderr: \(String(decoding: errors, as: UTF8.self).prefix(2000))")
        }
        return report
    }
}
