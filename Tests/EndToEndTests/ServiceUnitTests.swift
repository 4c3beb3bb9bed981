import Foundation
import Testing

/// `Config/smsagent.service` as systemd reads it: `systemd-analyze verify` has nothing to say, and
/// `systemd-analyze security --offline=true` rates it at most 2.0 ("OK") with the settings the
/// issue asks for. Needs the `systemd` package (systemd-analyze works without a running systemd).
@Suite struct ServiceUnitTests {
    static let unitPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Config/smsagent.service").standardizedFileURL.path

    static func analyze(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        // Closed now, not left to FileHandle's deinit (descriptors, README "Tests").
        try? out.fileHandleForReading.close()
        try? err.fileHandleForReading.close()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    static func unitText() throws -> String { try String(contentsOfFile: unitPath, encoding: .utf8) }

    @Test func systemdAnalyzeVerifyHasNothingToSay() throws {
        // verify checks that the programs exist: point them at the built binary.
        let binary = try SMSAgentBinary.url().path
        let directory = try TemporaryDirectory(prefix: "unit")
        let unit = directory.file("smsagent.service")
        try Self.unitText().replacingOccurrences(of: "/usr/bin/smsagent", with: binary).write(to: unit, atomically: true, encoding: .utf8)
        let result = try Self.analyze(["verify", "--man=no", unit.path])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty, "systemd-analyze verify: \(result.stderr)")

        // The check sees a mistake (so an empty answer above means something).
        try (Self.unitText().replacingOccurrences(of: "/usr/bin/smsagent", with: binary) + "\n[Service]\nWatchdogSecs=5\n")
            .write(to: unit, atomically: true, encoding: .utf8)
        #expect(try Self.analyze(["verify", "--man=no", unit.path]).stderr.contains("WatchdogSecs"))
    }

    @Test func securityExposureIsAtMostTwo() throws {
        let result = try Self.analyze(["security", "--offline=true", "--no-pager", Self.unitPath])
        let line = try #require(result.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(result.stdout)\(result.stderr)")
        let figure = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, "\(line)")
        #expect(figure <= 2.0, "\(line)")
    }

    @Test func theUnitIsANotifyServiceWithWatchdogReloadAndTheRequestedHardening() throws {
        let lines = Set(try Self.unitText().split(separator: "\n").map(String.init))
        for setting in [
            "Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "WatchdogSec=60", "DevicePolicy=closed",
            "DeviceAllow=char-ttyUSB rw", "DeviceAllow=char-ttyACM rw", "CapabilityBoundingSet=",
            "SystemCallFilter=@system-service", "RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6",
            "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes", "LockPersonality=yes",
            "MemoryDenyWriteExecute=yes", "User=smsagent", "Group=smsagent",
        ] {
            #expect(lines.contains(setting), "missing \(setting)")
        }
        let text = try Self.unitText()
        #expect(!text.contains("systemd-udev-settle"), "deprecated systemd-udev-settle")
        #expect(!text.contains("dialout"), "the udev rules' group smsagent, not all of dialout")
    }
}
