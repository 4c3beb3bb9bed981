#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Testing
import TestSupport
@testable import Agent

/// What the agent tells systemd and the journal: priorities on log lines, sd_notify datagrams
/// on a real socket, the watchdog period, the STATUS= line, and what a reload applies.
@Suite struct SystemdServiceTests {
    static func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("systemd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    // MARK: - Journal

    @Test("each swift-log level maps to its syslog priority", arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func priorities(level: Logger.Level, priority: Int) {
        #expect(SyslogPriority.of(level) == priority)
        #expect(JournalLogHandler.format(level: level, message: "m", metadata: [:]) == "<\(priority)>m\n")
    }

    @Test("a journal line carries the metadata sorted, and every line of a long message its priority")
    func journalFormat() {
        #expect(JournalLogHandler.format(level: .warning, message: "modem failed", metadata: ["modem": "a", "error": "timeout"])
                == "<4>modem failed error=timeout modem=a\n")
        #expect(JournalLogHandler.format(level: .error, message: "first\nsecond", metadata: [:]) == "<3>first\n<3>second\n")
    }

    @Test("JOURNAL_STREAM is device:inode, two numbers", arguments: [
        ("8:1234", JournalStream(device: 8, inode: 1234) as JournalStream?),
        ("0:0", JournalStream(device: 0, inode: 0)),
        ("", nil), ("8", nil), ("8:", nil), (":12", nil), ("8:12:3", nil), ("a:b", nil), ("-1:2", nil),
    ])
    func journalStreamParsing(text: String, expected: JournalStream?) {
        #expect(JournalStream(text) == expected)
    }

    @Test("the journal is detected only when stderr is the very stream JOURNAL_STREAM names")
    func journalDetection() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let stream = try #require(JournalStream.of(fileDescriptor: fds[1]))
        let value = "\(stream.device):\(stream.inode)"
        #expect(LogDestination.detect(environment: ["JOURNAL_STREAM": value], fileDescriptor: fds[1]) == .journal)
        // The variable inherited by a process whose stderr went elsewhere: not the journal.
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = open(dir + "/log", O_CREAT | O_WRONLY, 0o600)
        defer { close(file) }
        #expect(LogDestination.detect(environment: ["JOURNAL_STREAM": value], fileDescriptor: file) == .plain)
        #expect(LogDestination.detect(environment: [:], fileDescriptor: fds[1]) == .plain)
        #expect(LogDestination.detect(environment: ["JOURNAL_STREAM": "garbage"], fileDescriptor: fds[1]) == .plain)
    }

    @Test("the journal handler writes prefixed lines to its stream and honours its level")
    func journalHandlerWrites() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        var handler = JournalLogHandler(label: "test", fileDescriptor: fds[1])
        handler.logLevel = .info
        handler[metadataKey: "modem"] = "a"
        var logger = Logger(label: "test", factory: { _ in handler })
        logger.logLevel = .info
        logger.debug("not written")
        logger.info("agent running")
        logger.warning("SIM busy", metadata: ["retry": "2"])
        close(fds[1])
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = read(fds[0], &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "<6>agent running modem=a\n<4>SIM busy modem=a retry=2\n")
    }

    // MARK: - sd_notify

    @Test("notifications reach a datagram socket bound at NOTIFY_SOCKET's path")
    func notifyPath() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let socket = try NotifySocket(directory: dir)
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.path]))
        #expect(notifier.notify("READY=1\nSTATUS=running") == nil)
        #expect(try socket.receive(timeout: .seconds(5)) == "READY=1\nSTATUS=running")
        #expect(notifier.notify("WATCHDOG=1") == nil)
        #expect(try socket.receive(timeout: .seconds(5)) == "WATCHDOG=1")
    }

    @Test("without a listener the notifier reports the errno instead of failing the agent")
    func notifyNobody() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let notifier = SystemdNotifier(socketPath: dir + "/nobody.sock")
        #expect(notifier.notify("READY=1") == ENOENT)
    }

    @Test("NOTIFY_SOCKET must be an absolute path or an abstract name", arguments: [
        ("/run/systemd/notify", true), ("@/org/freedesktop/systemd1/notify/123", true),
        ("", false), ("@", false), ("relative.sock", false),
    ])
    func notifySocketVariable(value: String, accepted: Bool) {
        #expect((SystemdNotifier(environment: ["NOTIFY_SOCKET": value]) != nil) == accepted)
        #expect(SystemdNotifier(environment: [:]) == nil)
    }

    @Test("an abstract NOTIFY_SOCKET (@name) is reached in the abstract namespace")
    func notifyAbstract() throws {
        let name = "smsagent-test-\(UUID().uuidString.prefix(8))"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes: [UInt8] = [0] + Array(name.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        #expect(bound == 0)
        #expect(SystemdNotifier(socketPath: "@" + name).notify("READY=1") == nil)
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&poller, 1, 5000) == 1)
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = recv(fd, &buffer, buffer.count, 0)
        #expect(count == 7 && String(decoding: buffer[0..<max(0, count)], as: UTF8.self) == "READY=1")
    }

    @Test("the watchdog period comes from WATCHDOG_USEC, for this process only", arguments: [
        (["WATCHDOG_USEC": "30000000"], Duration?.some(.seconds(30))),
        (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4242"], .some(.seconds(30))),
        (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4243"], nil),
        (["WATCHDOG_USEC": "0"], nil), (["WATCHDOG_USEC": "-5"], nil), (["WATCHDOG_USEC": "soon"], nil), ([:], nil),
    ])
    func watchdogPeriod(environment: [String: String], expected: Duration?) {
        #expect(SystemdWatchdog.period(environment: environment, pid: 4242) == expected)
    }

    // MARK: - STATUS=

    @Test("STATUS= says how many modems are ready and how deep the queue is")
    func statusLine() {
        var a = ModemStatus(id: "a", port: "/dev/ttyUSB2", state: "ready")
        a.sent = 3
        let b = ModemStatus(id: "b", port: "/dev/ttyUSB5", state: "unhealthy")
        let gone = ModemStatus(id: "c", port: "/dev/ttyUSB8", state: "removed")
        var snapshot = StatusSnapshot(updatedAt: Date(), pid: 1, startedAt: Date(), state: "running", modems: [a, b, gone],
                                      queue: QueueStatus(new: 3, sending: 1, sent: 40, failed: 2, waitingForCredits: false),
                                      credits: CreditStatus(balance: 10, reserved: 0, low: false, exhausted: false), optOuts: 0)
        #expect(SystemdStatus.line(snapshot) == "1/2 modems ready; queue: 3 new, 1 sending; 40 sent, 2 failed")
        snapshot.modems = []
        snapshot.queue.waitingForCredits = true
        #expect(SystemdStatus.line(snapshot) == "no modem yet; queue: 3 new, 1 sending; 40 sent, 2 failed; waiting for credits")
    }

    // MARK: - Reload

    @Test("a reload applies throttles, brand, quiet hours, hooks and modems")
    func reloadApplies() {
        let running = AgentConfiguration()
        var reread = running
        reread.modems.throttle.minInterval = .seconds(10)
        reread.sender.brand = "Chez Léa"
        reread.hooks.onSent = ["/usr/local/bin/notify"]
        reread.modems.devices = [ModemDeviceSettings(name: "b", path: "/dev/ttyUSB5")]
        let plan = ConfigurationReload.plan(running: running, reread: reread)
        #expect(plan.applied == ["modems.throttle", "modems.devices", "sender", "hooks"])
        #expect(plan.refused.isEmpty)
        #expect(plan.effective == reread)
    }

    @Test("a reload keeps the data directory and the log level, and says why")
    func reloadRefuses() {
        var running = AgentConfiguration()
        running.dataDirectory = "/var/lib/smsagent"
        var reread = running
        reread.dataDirectory = "/srv/sms"
        reread.logLevel = "debug"
        reread.compliance.footerOnNotifications = true
        let plan = ConfigurationReload.plan(running: running, reread: reread)
        #expect(plan.refused.map(\.key) == ["data_directory", "log_level"])
        #expect(plan.effective.dataDirectory == "/var/lib/smsagent")
        #expect(plan.effective.logLevel == "info")
        #expect(plan.applied == ["compliance"])
        #expect(plan.effective.compliance.footerOnNotifications)
    }

    @Test("an unchanged file is nothing to apply (the workers keep running)")
    func reloadNothing() {
        var running = AgentConfiguration()
        running.sender.brand = "B"
        var reread = running
        reread.logLevel = "debug"
        let plan = ConfigurationReload.plan(running: running, reread: reread)
        #expect(plan.isEmpty)
        #expect(plan.refused.map(\.key) == ["log_level"])
    }
}
