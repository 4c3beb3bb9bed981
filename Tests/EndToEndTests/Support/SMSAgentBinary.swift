import Foundation

/// Where the `smsagent` executable under test is: next to the test bundle (`.build/debug/`),
/// or `SMSAGENT_BINARY` when set.
enum SMSAgentBinary {
    static func url() throws -> URL {
        let fm = FileManager.default
        if let override = ProcessInfo.processInfo.environment["SMSAGENT_BINARY"], fm.isExecutableFile(atPath: override) {
            return URL(fileURLWithPath: override)
        }
        var candidates: [URL] = []
        // Linux: the test bundle is the executable `.build/debug/smsagentPackageTests.xctest`.
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent(".build/debug"))
        for directory in candidates {
            let binary = directory.appendingPathComponent("smsagent")
            if fm.isExecutableFile(atPath: binary.path) { return binary.standardizedFileURL }
        }
        throw HarnessError("smsagent binary not found next to the tests (looked in \(candidates.map(\.path))); run `swift build` first or set SMSAGENT_BINARY")
    }
}

/// A temporary directory removed when the value is released (or by `remove()`).
final class TemporaryDirectory: @unchecked Sendable {
    let url: URL
    var path: String { url.path }

    init(prefix: String = "smsagent-e2e") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory())
        url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Keep the directory when `SMSAGENT_KEEP_TEST_DIRS` is set (to look at a failure).
    func remove() {
        if ProcessInfo.processInfo.environment["SMSAGENT_KEEP_TEST_DIRS"] != nil { return }
        try? FileManager.default.removeItem(at: url)
    }

    deinit { remove() }
}
