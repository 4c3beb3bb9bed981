import Agent
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import HTTPAPI
import Logging
import Records
import ServiceLifecycle
import Synchronization

struct Timeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `body`, failing (never hanging) after `seconds`.
func withDeadline<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw Timeout(what: what)
        }
        guard let first = try await group.next() else { throw Timeout(what: what) }
        group.cancelAll()
        return first
    }
}

struct HTTPAnswer: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data
    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
}

/// The real server on loopback (port 0) over a throw-away data directory, with a read-write and
/// a read-only token.
final class TestServer: Sendable {
    let base: String
    let data: DataDirectory
    let configuration: AgentConfiguration
    let token: String
    let readOnlyToken: String
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    init(configure: (inout AgentConfiguration) -> Void = { _ in }, webhookBackoff: [Duration]? = nil) async throws {
        base = NSTemporaryDirectory() + "smsagent-http-\(UUID().uuidString.prefix(8))"
        var configuration = AgentConfiguration()
        configuration.dataDirectory = base + "/data"
        configuration.http.listen = "127.0.0.1:0"
        configuration.credits.openingBalance = 100
        configuration.compliance.quietHours = .none
        configure(&configuration)
        self.configuration = configuration
        data = try DataDirectory(path: configuration.dataDirectory, options: .init(openingBalance: configuration.credits.openingBalance))
        let tokens = TokenStore(dataDirectory: data.path)
        token = try tokens.create(name: "test", readOnly: false)
        readOnlyToken = try tokens.create(name: "reader", readOnly: true)
        var logger = Logger(label: "test.http")
        logger.logLevel = .critical
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let services = try HTTPAPIServer.services(configuration: configuration, data: data, logger: logger,
                                                  webhookBackoff: webhookBackoff) { _, port in portContinuation.yield(port) }
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
        self.group = group
        task = Task { try await group.run() }
        port = try await withDeadline(30, "the server to listen") {
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw Timeout(what: "a port") }
            return port
        }
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        try? FileManager.default.removeItem(atPath: base)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func request(_ method: String, _ path: String, json: Any? = nil, body: Data? = nil, token: String?? = .none,
                 headers: [String: String] = [:]) async throws -> HTTPAnswer {
        guard let url = URL(string: self.url + path) else { throw Timeout(what: "a URL") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        let bearer: String? = switch token { case .none: self.token; case .some(let value): value }
        if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let body { request.httpBody = body }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw Timeout(what: "an HTTP answer") }
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields["\(key)"] = "\(value)" }
        return HTTPAnswer(status: http.statusCode, headers: fields, body: data)
    }
}

final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

/// A raw HTTP/1.1 client over a socket, to read a stream (Server-Sent Events) as it arrives.
final class StreamReader: @unchecked Sendable {
    let fd: Int32
    var buffer = ""

    init(port: Int, path: String, headers: [String: String]) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Timeout(what: "a connection") }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers.map { "\($0.key): \($0.value)\r\n" }.joined() + "\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
    }

    deinit { close(fd) }

    /// Reads until `needle` has arrived (blocking read on a thread of its own).
    func read(until needle: String) async throws -> String {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
            Thread.detachNewThread {
                var chunk = [UInt8](repeating: 0, count: 4096)
                while !self.buffer.contains(needle) {
                    let count = recv(self.fd, &chunk, chunk.count, 0)
                    if count <= 0 { continuation.resume(throwing: Timeout(what: "'\(needle)' (stream closed)")); return }
                    self.buffer += String(decoding: chunk[0..<count], as: UTF8.self)
                }
                continuation.resume(returning: self.buffer)
            }
        }
    }

    func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
}
