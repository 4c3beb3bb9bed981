import Agent
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Records
import ServiceLifecycle

/// The HTTP API and the dashboard, as services to run beside the agent in one `ServiceGroup`
/// (`smsagent run`, `smsagent demo --serve`): the web server, the event feed and the webhooks.
public enum HTTPAPIServer {
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The services to add to the agent's group, in the order to give them (the group stops them
    /// in reverse order: the event feed ends the open event streams, then the server drains).
    /// `onListening` receives the bound port (useful with port 0).
    public static func services(configuration: AgentConfiguration, data: DataDirectory, clock: any AgentClock = SystemClock(),
                                logger: Logger,
                                webhookBackoff: [Duration]? = nil,
                                onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }) throws -> [any Service] {
        guard let listen = configuration.http.listen else { return [] }
        guard let address = ListenAddress(listen) else { throw StartError(description: "http.listen: cannot read '\(listen)' as host:port") }
        let tls = try tlsConfiguration(configuration.http)
        if !address.isLoopback && tls == nil && !configuration.http.insecurePublic {
            throw StartError(description: "http.listen \(listen) is not loopback: configure http.tls_certificate and http.tls_key, or set http.insecure_public: true (behind a TLS proxy)")
        }
        let backend = APIBackend(configuration: configuration, data: data, clock: clock)
        let feed = EventFeed(backend: backend, logger: logger)
        let router = makeRouter(backend: backend, feed: feed, secureCookie: tls != nil)
        let server: HTTPServerBuilder
        do {
            server = try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1()
        } catch {
            throw StartError(description: "http: cannot set up TLS: \(error)")
        }
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "smsagent"),
            onServerRunning: { channel in await onListening(address.host, channel.localAddress?.port ?? address.port) },
            logger: logger)
        let hooks = WebhookDispatcher(hooks: configuration.hooks.webhooks, feed: feed, logger: logger,
                                      backoff: webhookBackoff ?? [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)])
        return [app, hooks, feed]
    }

    /// The server's TLS set-up from `http.tls_certificate` (PEM, the certificate first, then any
    /// intermediates) and `http.tls_key` (PEM), or nil for plain HTTP. The files are read at start
    /// (and on a restart); an error names the file and what is wrong with it.
    static func tlsConfiguration(_ http: HTTPSettings) throws -> TLSConfiguration? {
        guard let certificatePath = http.tlsCertificate, let keyPath = http.tlsKey else { return nil }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw StartError(description: "http.tls_certificate \(certificatePath): cannot read a PEM certificate (\(error))")
        }
        guard !chain.isEmpty else {
            throw StartError(description: "http.tls_certificate \(certificatePath): no certificate in the file")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw StartError(description: "http.tls_key \(keyPath): cannot read a PEM private key (\(error))")
        }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        return tls
    }

    static func makeRouter(backend: APIBackend, feed: EventFeed, secureCookie: Bool) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: AuthMiddleware(tokens: backend.tokens))
        APIRoutes(backend: backend, feed: feed, maxBodySize: backend.configuration.http.maxBodySize).register(on: router)
        Dashboard.register(on: router, tokens: backend.tokens, secureCookie: secureCookie)
        return router
    }

    /// The operations the router serves under `/api/v1` and `/metrics` (checked against the
    /// OpenAPI document by the tests).
    public static var operations: [APIOperation] { APIRoutes.operations }

    /// The OpenAPI document as served.
    public static var openAPIDocument: String { String(decoding: Dashboard.files["openapi.yaml"]?.bytes ?? [], as: UTF8.self) }

    /// `http://127.0.0.1:8025/login?token=…` for `token create --login-url` and `demo --serve`
    /// (`https://` when the server terminates TLS).
    public static func loginURL(listen: String, token: String, tls: Bool = false) -> String {
        let address = ListenAddress(listen)
        var host = address?.host ?? "127.0.0.1"
        if host == "0.0.0.0" { host = "127.0.0.1" }
        if host.contains(":") { host = "[\(host)]" }
        return "\(tls ? "https" : "http")://\(host):\(address?.port ?? 8025)/login?token=\(token)"
    }
}
