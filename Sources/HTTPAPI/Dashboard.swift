import Foundation
import HTTPTypes
import Hummingbird

/// The dashboard's files, shipped as package resources (no build step, no CDN: it works offline).
enum Dashboard {
    static let files: [String: (type: String, bytes: [UInt8])] = {
        var files: [String: (String, [UInt8])] = [:]
        let types = ["html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
                     "yaml": "application/yaml; charset=utf-8", "svg": "image/svg+xml"]
        let candidates = [Bundle.module.url(forResource: "Resources", withExtension: nil),
                          Bundle.module.resourceURL?.appendingPathComponent("Resources"),
                          Bundle.module.bundleURL.appendingPathComponent("Resources")].compactMap { $0 }
        guard let base = candidates.first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent("index.html").path) }),
              let names = try? FileManager.default.contentsOfDirectory(atPath: base.path) else { return [:] }
        for name in names {
            guard let type = types[(name as NSString).pathExtension],
                  let data = FileManager.default.contents(atPath: base.appendingPathComponent(name).path) else { continue }
            files[name] = (type, Array(data))
        }
        return files
    }()

    static func asset(_ name: String) -> Response {
        guard let file = files[name] else {
            return Response(status: .notFound, headers: [.contentType: "application/problem+json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: JSONBody.encode(Problem(.notFound, "no file \(name)").json))))
        }
        var headers = HTTPFields()
        headers[.contentType] = file.type
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        if name.hasSuffix(".html") {
            headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    static func register(on router: Router<APIRequestContext>, tokens: TokenStore, secureCookie: Bool) {
        router.get("/") { _, _ in asset("index.html") }
        router.get("/assets/:file") { _, context in
            let name = context.parameters.get("file") ?? ""
            guard ["app.js", "app.css", "favicon.svg"].contains(name) else { throw Problem(.notFound, "no asset \(name)") }
            return asset(name)
        }
        // `smsagent token create NAME --login-url` prints /login?token=…: the token becomes an
        // HttpOnly, SameSite=Strict cookie (the page's script never sees it) and the address bar
        // loses it at once with the redirect.
        router.get("/login") { request, _ in
            guard let token = request.uri.queryParameters.get("token"), !token.isEmpty else {
                throw Problem(.unauthorized, "open the address printed by `smsagent token create NAME --login-url`", field: "token")
            }
            guard tokens.authenticate(token) != nil else {
                throw Problem(.unauthorized, "the token is unknown or revoked", field: "token")
            }
            var headers = HTTPFields()
            headers[.location] = "/"
            headers[.setCookie] = "\(AuthMiddleware.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict" + (secureCookie ? "; Secure" : "")
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)
        }
        router.post("/logout") { _, _ in
            var headers = HTTPFields()
            headers[.setCookie] = "\(AuthMiddleware.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
            return Response(status: .noContent, headers: headers)
        }
    }
}
