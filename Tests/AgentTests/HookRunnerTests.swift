import Foundation
import Logging
import Testing
@testable import Agent

/// The hook runner with real programs (`/bin/sh`, `/bin/sleep`): what a hook is given, the order,
/// and that a failing, missing or hanging program is logged and holds nothing up.
@Suite struct HookRunnerTests {
    /// A hook that appends `EVENT|FROM/TO|TEXT` and the stdin JSON line to `out`.
    static func recorder(_ out: String) -> [String] {
        ["/bin/sh", "-c", #"printf '%s|%s|%s\n' "$SMSAGENT_EVENT" "${SMSAGENT_FROM:-$SMSAGENT_TO}" "$SMSAGENT_TEXT" >> "$1"; cat >> "$1.json""#,
         "hook", out]
    }

    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hooks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func received(_ text: String) -> HookEvent {
        HookEvent(kind: .received, fields: [("from", "+33612345678"), ("text", text), ("modem", "a")])
    }

    @Test("each event reaches its hook, in order, as environment variables and one JSON line on stdin")
    func eventsInOrder() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("events").path
        var settings = HookSettings()
        settings.onReceive = Self.recorder(out)
        settings.onSent = Self.recorder(out)
        let log = CapturedLog()
        let runner = HookRunner(settings: settings, dataDirectory: dir.path, logger: log.logger)
        #expect(!runner.wants(.failed))
        runner.post(Self.received("Bonjour, \"quoted\" $HOME `x`\nsecond line"))
        runner.post(HookEvent(kind: .sent, fields: [("to", "+33611111111"), ("text", "Votre commande est prête")]))
        runner.post(HookEvent(kind: .failed, fields: [("to", "+33622222222"), ("text", "no hook for this one")]))
        runner.finish()
        await runner.run()

        let lines = try String(contentsOfFile: out, encoding: .utf8)
        #expect(lines == "received|+33612345678|Bonjour, \"quoted\" $HOME `x`\nsecond line\nsent|+33611111111|Votre commande est prête\n")
        let json = try String(contentsOfFile: out + ".json", encoding: .utf8).split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
        }
        #expect(json.count == 2)
        #expect(json.first??["event"] == "received")
        #expect(json.first??["text"] == "Bonjour, \"quoted\" $HOME `x`\nsecond line")
        #expect(json.last??["to"] == "+33611111111")
        #expect(log.count(.warning, containing: "hook") == 0 && log.count(.error, containing: "hook") == 0)
    }

    @Test("what a hook prints is logged line by line, attributed to the hook, stderr above stdout; a flood is cut")
    func outputIsAttributed() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        var settings = HookSettings()
        settings.onSent = ["/bin/sh", "-c", #"echo "sent to $SMSAGENT_TO"; echo 'cannot reach the CRM' >&2; printf 'no newline'"#]
        settings.onFailed = ["/bin/sh", "-c", #"i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i+1)); done"#]
        let log = CapturedLog()
        let runner = HookRunner(settings: settings, dataDirectory: dir.path, logger: log.logger)
        runner.post(HookEvent(kind: .sent, fields: [("to", "+33611111111"), ("text", "Votre commande est prête")]))
        runner.post(HookEvent(kind: .failed, fields: [("to", "+33622222222"), ("text", "x")]))
        runner.finish()
        await runner.run()

        #expect(log.count(.info, containing: "hook on_sent[sh]: sent to +33611111111") == 1)
        #expect(log.count(.notice, containing: "hook on_sent[sh]: cannot reach the CRM") == 1)
        #expect(log.count(.info, containing: "hook on_sent[sh]: no newline") == 1, "the last line without a newline too")
        #expect(log.count(.info, containing: "hook on_failed[sh]: line ") == HookRunner.maximumLines)
        #expect(log.count(.info, containing: "hook on_failed[sh]: line 499") == 0)
        #expect(log.count(.notice, containing: "more output not logged") == 1)
    }

    @Test("a hook that fails, cannot start or runs too long is logged, and the next one still runs")
    func failuresAreLogged() async throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("events").path
        let log = CapturedLog()
        func run(_ program: [String], timeout: Duration = .seconds(10)) async {
            var settings = HookSettings()
            settings.onReceive = program
            settings.timeout = timeout
            let runner = HookRunner(settings: settings, dataDirectory: dir.path, logger: log.logger)
            runner.post(Self.received("x"))
            runner.finish()
            await runner.run()
        }
        let clock = ContinuousClock()
        let started = clock.now
        await run(["/bin/sleep", "30"], timeout: .milliseconds(300))
        #expect(clock.now - started < .seconds(10), "the hanging hook was killed")
        #expect(log.count(.warning, containing: "hook ran too long and was killed") == 1)
        await run(["/bin/sh", "-c", "exit 3"])
        #expect(log.count(.warning, containing: "hook failed") == 1)
        await run(["/nonexistent/smsagent-hook"])
        #expect(log.count(.error, containing: "hook cannot start") == 1)
        // Hooks that exit without reading their stdin: writing the event to them must not raise
        // SIGPIPE (which would end the agent — and this test process). Whether the hook is gone
        // before the write is a race, so the write itself is checked below with a closed peer.
        for _ in 0..<20 { await run(["/bin/sh", "-c", "exec 0<&-; exit 0"]) }
        await run(Self.recorder(out))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "received|+33612345678|x\n")
    }

    @Test("the event written to a hook that has already gone gives EPIPE, not SIGPIPE")
    func noSIGPIPE() throws {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        close(fds[0])
        defer { close(fds[1]) }
        // With write(2) on a pipe, this process would end here.
        #expect(HookRunner.offer(Array("{\"event\":\"received\"}\n".utf8), to: fds[1]) == -1)
        #expect(errno == EPIPE)
    }

    @Test("a stopping agent runs queued hooks only for the grace it is given, and says how many it dropped")
    func stopGrace() async throws {
        var settings = HookSettings()
        settings.onReceive = ["/bin/sleep", "0.3"]
        let log = CapturedLog()
        let runner = HookRunner(settings: settings, dataDirectory: NSTemporaryDirectory(), logger: log.logger)
        for i in 0..<20 { runner.post(Self.received("message \(i)")) }
        let clock = ContinuousClock()
        let started = clock.now
        runner.finish(within: .milliseconds(500))
        await runner.run()
        #expect(clock.now - started < .seconds(3), "20 hooks of 0.3 s were not all run")
        #expect(log.count(.warning, containing: "queued hook events not run") == 1)
    }
}
