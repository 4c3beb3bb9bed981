import Agent
import Foundation
import Hummingbird
import Logging
import NIOCore
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
                                logger: Logger, feedInterval: Duration = .milliseconds(250),
                                webhookBackoff: [Duration]? = nil,
                                onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }) throws -> [any Service] {
        guard let listen = configuration.http.listen else { return [] }
        guard let address = ListenAddress(listen) else { throw StartError(description: "http.listen: cannot read '\(listen)' as host:port") }
        if configuration.http.tlsCertificate != nil {
            // The settings are read and validated; terminating TLS in-process is not built yet.
            throw StartError(description: "http.tls_certificate: TLS is not built into this version; listen on loopback behind a TLS reverse proxy (insecure_public: true) instead")
        }
        if !address.isLoopback && !configuration.http.insecurePublic {
            throw StartError(description: "http.listen \(listen) is not loopback: set http.insecure_public: true (behind a TLS proxy)")
        }
        let backend = APIBackend(configuration: configuration, data: data, clock: clock)
        let feed = EventFeed(backend: backend, interval: feedInterval, logger: logger)
        let router = makeRouter(backend: backend, feed: feed, secureCookie: false)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "smsagent"),
            onServerRunning: { channel in await onListening(address.host, channel.localAddress?.port ?? address.port) },
            logger: logger)
        let hooks = WebhookDispatcher(hooks: configuration.hooks.webhooks, feed: feed, logger: logger,
                                      backoff: webhookBackoff ?? [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)])
        return [app, hooks, feed]
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

    /// `http://127.0.0.1:8025/login?token=…` for `token create --login-url` and `demo --serve`.
    public static func loginURL(listen: String, token: String) -> String {
        let address = ListenAddress(listen)
        var host = address?.host ?? "127.0.0.1"
        if host == "0.0.0.0" { host = "127.0.0.1" }
        if host.contains(":") { host = "[\(host)]" }
        return "http://\(host):\(address?.port ?? 8025)/login?token=\(token)"
    }
}
