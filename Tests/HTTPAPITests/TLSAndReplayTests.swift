import Agent
import Foundation
@testable import HTTPAPI
import Records
import Testing

/// Runs a command to its end and returns its exit status and standard output.
private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    try? output.fileHandleForReading.close()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A self-signed certificate for 127.0.0.1, made by openssl for this test.
private struct Certificate {
    let directory: String
    var certificate: String { directory + "/cert.pem" }
    var key: String { directory + "/key.pem" }

    init() throws {
        directory = NSTemporaryDirectory() + "smsagent-tls-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let made = try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2",
                                                "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem"])
        guard made.status == 0 else { throw Timeout(what: "openssl to make a certificate (exit \(made.status))") }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite("HTTPS and the event stream's catch-up", .serialized)
struct TLSAndReplayTests {
    @Test("http.tls_certificate/tls_key: the server speaks HTTPS with that certificate, and plain HTTP is not answered")
    func tls() async throws {
        let certificate = try Certificate()
        defer { certificate.remove() }
        let server = try await TestServer { configuration in
            configuration.http.tlsCertificate = certificate.certificate
            configuration.http.tlsKey = certificate.key
        }
        defer { Task { await server.stop() } }
        let https = try run("/usr/bin/curl", ["-sS", "--max-time", "10", "--cacert", certificate.certificate,
                                              "-H", "Authorization: Bearer \(server.token)", "-w", "\n%{http_code}",
                                              "https://127.0.0.1:\(server.port)/api/v1/status"])
        #expect(https.status == 0)
        #expect(https.output.hasSuffix("\n200"), "\(https.output)")
        // The session cookie of a TLS server is Secure.
        let login = try run("/usr/bin/curl", ["-sS", "--max-time", "10", "--cacert", certificate.certificate, "-D", "-", "-o", "/dev/null",
                                              "https://127.0.0.1:\(server.port)/login?token=\(server.token)"])
        #expect(login.output.lowercased().contains("set-cookie:") && login.output.contains("; Secure"), "\(login.output)")
        let plain = try run("/usr/bin/curl", ["-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}",
                                              "http://127.0.0.1:\(server.port)/api/v1/status"])
        #expect(plain.output != "200", "plain HTTP must not be answered on the TLS port")
    }

    @Test("a certificate or key that cannot be read stops the start with the file's name")
    func unreadableCertificate() throws {
        let certificate = try Certificate()
        defer { certificate.remove() }
        var settings = HTTPSettings()
        settings.tlsCertificate = certificate.directory + "/missing.pem"
        settings.tlsKey = certificate.key
        #expect(throws: HTTPAPIServer.StartError.self) { _ = try HTTPAPIServer.tlsConfiguration(settings) }
        do { _ = try HTTPAPIServer.tlsConfiguration(settings) } catch { #expect("\(error)".contains("missing.pem")) }
        settings.tlsCertificate = certificate.certificate
        settings.tlsKey = certificate.certificate   // a certificate is not a key
        do {
            _ = try HTTPAPIServer.tlsConfiguration(settings)
            Issue.record("a certificate given as the key was accepted")
        } catch {
            #expect("\(error)".contains("http.tls_key"))
        }
    }

    @Test("Last-Event-ID: a reconnecting client gets what it missed, and only that; a stranger's id gets feed.reset")
    func catchUp() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let auth = ["Authorization": "Bearer \(server.token)"]
        // One client stays connected throughout: it tells when the feed has published an event.
        let witness = try StreamReader(port: server.port, path: "/api/v1/events", headers: auth)
        defer { witness.shutdown() }
        _ = try await withDeadline(10, "the stream to open") { try await witness.read(until: ": smsagent events") }
        let first = try StreamReader(port: server.port, path: "/api/v1/events", headers: auth)
        _ = try await withDeadline(10, "the stream to open") { try await first.read(until: ": smsagent events") }

        let a = OutboxMessage(to: "+33612345678", text: "first")
        try server.data.outbox.enqueue(a)
        let seenA = try await withDeadline(10, "message.queued of the first") { try await first.read(until: a.id) }
        let idA = try #require(Self.id(of: a.id, in: seenA))
        first.shutdown()

        let b = OutboxMessage(to: "+33612345679", text: "second")
        try server.data.outbox.enqueue(b)
        let witnessed = try await withDeadline(10, "the witness to see the second") { try await witness.read(until: b.id) }
        let idB = try #require(Self.id(of: b.id, in: witnessed))

        // Published while nobody else listened: only the catch-up can bring it.
        let second = try StreamReader(port: server.port, path: "/api/v1/events", headers: auth.merging(["Last-Event-ID": idA]) { $1 })
        defer { second.shutdown() }
        let replayed = try await withDeadline(10, "the missed event") { try await second.read(until: b.id) }
        #expect(replayed.contains("id: \(idB)\n"))
        #expect(!replayed.contains("id: \(idA)\n"), "the event the client had seen is not sent again")

        let stranger = try StreamReader(port: server.port, path: "/api/v1/events", headers: auth.merging(["Last-Event-ID": "1-5"]) { $1 })
        defer { stranger.shutdown() }
        let reset = try await withDeadline(10, "feed.reset") { try await stranger.read(until: "event: feed.reset") }
        #expect(reset.contains("the agent restarted"))
    }

    /// The `id:` line of the event whose data names `needle`. Lines are split on the byte "\n":
    /// the HTTP chunk framing between events ends in "\r\n", which Swift counts as one Character.
    static func id(of needle: String, in stream: String) -> String? {
        var lastID: String?
        for line in stream.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("id: ") { lastID = String(text.dropFirst(4)) }
            if text.hasPrefix("data: "), text.contains(needle) { return lastID }
        }
        return nil
    }
}
