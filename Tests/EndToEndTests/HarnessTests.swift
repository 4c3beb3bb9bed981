import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct HarnessTests {
    @Test func theBinaryUnderTestIsFound() throws {
        let url = try SMSAgentBinary.url()
        #expect(FileManager.default.isExecutableFile(atPath: url.path))
    }

    @Test func csvParsesQuotedFields() {
        #expect(CSV.parse("a,b\n\"x,1\",\"say \"\"hi\"\"\"\n") == [["a", "b"], ["x,1", "say \"hi\""]])
    }

    @Test func waitFailsWithWhatItWaitedFor() async {
        await #expect(throws: HarnessError.self) {
            try await Wait.until("never", timeout: .milliseconds(50)) { false }
        }
    }

    /// The harness closes both ends of every pipe it makes: a one-shot `smsagent …` read to its
    /// end, and a child (`smsagent simulate`) killed or dropped. Left open, their read ends added
    /// up to 600+ descriptors over the suite, and Foundation's `Process.run` (its `select()` takes
    /// no descriptor of 1024 or more) crashed the test process. A leak of one descriptor per run
    /// shows as `runs` here, far above the slack for what the runtime opens once for itself.
    @Test func runsAndChildrenLeaveNoDescriptorOpen() async throws {
        let runs = 5
        let slack = 3
        @Sendable func openDescriptors() -> Int { ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count }
        func cycle() async throws {
            let result = try await CLI.run(["--version"])
            #expect(result.status == 0, "\(result)")
            let child = try ChildProcess(name: "sleep", executable: URL(fileURLWithPath: "/bin/sh"),
                                         arguments: ["-c", "echo started; echo oops >&2; exec sleep 30"])
            try await child.waitForOutput(containing: "oops", timeout: .seconds(10))
            child.kill9()   // (not `stop()`: a `sleep` started from here outlives its SIGTERM, and the grace costs 2 s)
            // A second child, dropped while it runs: its deinit kills it, and its end of file
            // closes the read ends.
            _ = try ChildProcess(name: "dropped", executable: URL(fileURLWithPath: "/bin/sleep"), arguments: ["30"])
        }
        try await cycle()   // the runtime's own descriptors are opened once, here
        let before = openDescriptors()
        for _ in 0..<runs { try await cycle() }
        // The readers close at their end of file, on their own threads: give them a moment.
        let deadline = ContinuousClock.now + .seconds(5)
        var after = openDescriptors()
        while after > before + slack, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            after = openDescriptors()
        }
        #expect(after - before <= slack, "\(after - before) descriptors left open after \(runs) runs")
    }
}
