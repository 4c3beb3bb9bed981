import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The request context: who is calling (set by `AuthMiddleware`) and how.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The token the request authenticated with (nil on public paths).
    var identity: TokenStore.Entry?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The caller's name for the records (`api:<token name>`).
    var source: String { "api:" + (identity?.name ?? "anonymous") }
}

/// Turns every error into a problem document: a route not found, a body too large, an error of
/// the records (500, logged, with no internal detail leaked).
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as HTTPError {
            switch error.status {
            case .notFound: throw Problem(.notFound, "no such resource: \(request.method) \(request.uri.path)")
            case .contentTooLarge: throw Problem(.contentTooLarge, "the body is larger than the limit (http.max_body_size)", field: "body")
            default: throw Problem(error.status, error.body ?? error.status.reasonPhrase)
            }
        } catch {
            context.logger.error("HTTP request failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(error)"])
            throw Problem(.internalServerError, "the agent could not complete the request; its log has the reason")
        }
    }
}

/// `Authorization: Bearer <token>`, or the dashboard's session cookie (set by `/login`). The
/// OpenAPI document, the login page and the dashboard's static files are public; everything
/// under `/api/v1` and `/metrics` needs a token, and a read-only token may only read.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    static let cookieName = "smsagent_session"
    /// Sent by the dashboard's script on every write made with the cookie: a cross-site form or
    /// image cannot set a custom header, so a cookie alone never authorises a write.
    static let csrfHeader = HTTPField.Name("X-Smsagent-Request")!

    let tokens: TokenStore

    static func isPublic(_ path: String) -> Bool {
        !(path.hasPrefix("/api/") || path == "/metrics") || path == "/api/v1/openapi.yaml"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.isPublic(path) { return try await next(request, context) }
        var presented: String?
        var viaCookie = false
        if let header = request.headers[.authorization] {
            guard header.lowercased().hasPrefix("bearer ") else {
                throw Problem(.unauthorized, "Authorization must be 'Bearer <token>'", field: "Authorization")
            }
            presented = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        } else if let cookie = request.cookies[Self.cookieName] {
            presented = cookie.value
            viaCookie = true
        }
        guard let presented else {
            throw Problem(.unauthorized, "this endpoint needs a token: Authorization: Bearer <token> (smsagent token create NAME)", field: "Authorization")
        }
        guard let entry = tokens.authenticate(presented) else {
            throw Problem(.unauthorized, "the token is unknown or revoked", field: viaCookie ? "cookie" : "Authorization")
        }
        let writes = request.method != .get && request.method != .head
        if writes && entry.readOnly {
            throw Problem(.forbidden, "token '\(entry.name)' is read-only", field: "Authorization")
        }
        if writes && viaCookie && request.headers[Self.csrfHeader] == nil {
            throw Problem(.forbidden, "a write with the session cookie needs the \(Self.csrfHeader) header", field: Self.csrfHeader.rawName)
        }
        var context = context
        context.identity = entry
        return try await next(request, context)
    }
}

/// Runs file work (fsync, readdir, CSV folds) on Dispatch's global queue, off the two threads of
/// the cooperative pool (STYLE.md 11).
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try body() })
        }
    }
}
