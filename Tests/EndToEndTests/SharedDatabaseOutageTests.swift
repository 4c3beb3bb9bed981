import Foundation
import Testing

/// Issue 15, the database away: an agent started while its database is down says so (the URL
/// without its password) and waits with a growing pause, then starts when it answers; a database
/// that goes away mid-run loses no message and sends none twice, and sending resumes when it is
/// back. Each test has a PostgreSQL cluster of its own (`.ci/start-postgres` on another port),
/// stopped and started again with `pg_ctl` (`pause` / `resume`); skipped with the reason printed
/// when `SMSAGENT_TEST_POSTGRES_URL` is not set (no PostgreSQL here), a failure in CI.
@Suite(.serialized) struct SharedDatabaseOutageTests {
    /// A throw-away cluster this test may stop and start.
    final class OwnDatabase: @unchecked Sendable {
        let port: Int
        let url: String

        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".ci/start-postgres")

        init(port: Int) async throws {
            _ = try SharedDatabaseEndToEndTests.database()   // the skip rule of the database tests
            self.port = port
            let started = try await Self.run([], port: port)
            url = try #require(started.split(separator: "\n").last.map(String.init), "start-postgres printed no URL")
        }

        func pause() async throws { _ = try await Self.run(["pause"], port: port) }
        func resume() async throws { _ = try await Self.run(["resume"], port: port) }
        func stop() { _ = try? Self.runBlocking(["stop"], port: port) }

        @discardableResult
        static func run(_ arguments: [String], port: Int) async throws -> String {
            let child = try ChildProcess(name: "start-postgres \(arguments.first ?? "")", executable: script, arguments: arguments,
                                         environment: ["SMSAGENT_PG_PORT": "\(port)"])
            child.closeStdin()
            let status = try await child.waitForExit(timeout: .seconds(60))
            #expect(status == 0, "\(child.transcript)")
            return child.stdout
        }

        static func runBlocking(_ arguments: [String], port: Int) throws {
            let process = Process()
            process.executableURL = script
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(["SMSAGENT_PG_PORT": "\(port)"]) { $1 }
            try process.run()
            process.waitUntilExit()
        }

        deinit { stop() }
    }

    /// A password file (the server trusts loopback, so any password does): what the agent
    /// prints must never show it.
    static func passwordFile() throws -> String {
        let path = NSTemporaryDirectory() + "smsagent-pw-" + UUID().uuidString
        try Data("s3cret-pw\n".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Started with its database down: the agent names the database (no password), keeps trying
    /// after 1 s, 2 s, 4 s … (no spinning, no exit), writes it in `status.json`, and starts — and
    /// sends what waited in its drop box — as soon as the database answers.
    @Test func anAgentStartedWithItsDatabaseDownWaitsForIt() async throws {
        let database = try await OwnDatabase(port: 55_461)
        let site = try await SharedDatabaseEndToEndTests.Site("a", ownNumber: "+33600000001", url: database.url,
                                                              schema: "outage_start", passwordFile: try Self.passwordFile())
        defer { site.stop() }
        // The schema exists (migrated) before the outage; a request waits in the drop box.
        let migrate = try await site.installation.run(["records", "migrate"])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        try SharedDatabaseEndToEndTests.drop("waiting.json", #"{"to": "+33620000001", "text": "Patience", "class": "notification"}"#,
                                             in: site)
        try await database.pause()

        let agent = try await site.installation.startAgent(waitFor: "records database unreachable")
        try await Wait.until("three attempts, 1 s then 2 s apart", timeout: .seconds(20), diagnostics: { agent.transcript }) {
            agent.stderr.contains("retry_in=4s")
        }
        #expect(agent.isRunning)
        #expect(agent.stderr.contains("retry_in=1s") && agent.stderr.contains("retry_in=2s"))
        #expect(agent.stderr.contains("postgres://smsagent@127.0.0.1:\(database.port)/smsagent_test"), "\(agent.stderr)")
        #expect(!agent.stderr.contains("s3cret-pw"), "the password must never be printed")
        let status = try #require(site.installation.statusJSON)
        #expect(status["state"] as? String == "waiting for the records database")
        let records = try #require(status["records"] as? [String: Any])
        #expect(records["reachable"] as? Bool == false)
        #expect((records["error"] as? String)?.contains("s3cret-pw") == false)
        #expect(site.simulator.completeSubmissions().isEmpty)

        try await database.resume()
        try await agent.waitForOutput(containing: "agent running", timeout: .seconds(40))
        try await Wait.until("the request that waited is sent", timeout: .seconds(30), diagnostics: { agent.transcript }) {
            site.simulator.completeSubmissions().count == 1
        }
        #expect(site.simulator.completeSubmissions().first?.text == "Patience")
    }

    /// Stopped while it waits for its database: the agent ends cleanly (exit 0), saying why.
    @Test func anAgentWaitingForItsDatabaseStopsOnSIGTERM() async throws {
        _ = try SharedDatabaseEndToEndTests.database()
        let site = try await SharedDatabaseEndToEndTests.Site("a", ownNumber: "+33600000001",
                                                              url: "postgres://smsagent@127.0.0.1:9/none?sslmode=disable",
                                                              schema: "unused", passwordFile: try Self.passwordFile())
        defer { site.stop() }
        let agent = try await site.installation.startAgent(waitFor: "records database unreachable")
        agent.signal(SIGTERM)
        #expect(try await agent.waitForExit(timeout: .seconds(10)) == 0, "\(agent.transcript)")
        #expect(agent.stderr.contains("postgres://smsagent@127.0.0.1:9/none"))
        #expect(!agent.stderr.contains("s3cret-pw"))
    }

    /// The database goes away in the middle of a campaign and comes back: every message is
    /// delivered exactly once, and the modem resumes by itself (it is not parked).
    @Test func aDatabaseThatGoesAwayMidRunLosesNothingAndSendsNothingTwice() async throws {
        let database = try await OwnDatabase(port: 55_462)
        // Each AT+CMGS answered after 200 ms: the outage lands inside sends.
        let site = try await SharedDatabaseEndToEndTests.Site("a", ownNumber: "+33600000001", url: database.url, schema: "outage_run",
                                                              lease: "30s", simulatorArguments: ["--cmgs-latency-ms", "200"])
        defer { site.stop() }
        let count = 40
        let queued = try await site.installation.run([
            "campaign", try SharedDatabaseEndToEndTests.csv(0..<count, in: site, name: "clients.csv"),
            "--template", "Bonjour {name}, votre commande est prête.", "--class", "notification"])
        #expect(queued.status == 0, "\(queued.stderr)")
        let agent = try await site.installation.startAgent()
        try await Wait.until("the campaign is under way", timeout: .seconds(30), diagnostics: { agent.transcript }) {
            site.simulator.completeSubmissions().count >= 5
        }
        try await database.pause()
        try await Wait.until("the agent notices the database is gone", timeout: .seconds(20), diagnostics: { agent.transcript }) {
            (site.installation.statusJSON?["records"] as? [String: Any])?["reachable"] as? Bool == false
        }
        let duringOutage = site.simulator.completeSubmissions().count
        #expect(duringOutage < count, "the outage came too late to test anything")
        try await database.resume()
        try await Wait.until("every message delivered", timeout: .seconds(90), every: .milliseconds(100), diagnostics: { agent.transcript }) {
            site.simulator.completeSubmissions().count >= count
        }
        try await Wait.until("the queue has settled every message", timeout: .seconds(20), diagnostics: { agent.transcript }) {
            ((site.installation.statusJSON?["queue"] as? [String: Any])?["sent"] as? Int) == count
        }
        let all = site.simulator.completeSubmissions()
        #expect(all.count == count, "no message twice: \(all.map(\.number))")
        #expect(Set(all.map(\.number)) == Set((0..<count).map(SharedDatabaseEndToEndTests.number)))
        let modems = site.installation.statusJSON?["modems"] as? [[String: Any]] ?? []
        #expect(modems.allSatisfy { ($0["state"] as? String) != "parked" }, "\(modems)")
        #expect(agent.isRunning)
    }
}
