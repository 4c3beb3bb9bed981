import Agent
import Foundation
@testable import HTTPAPI
import Testing

@Suite("http settings, listen addresses and tokens")
struct SettingsTests {
    @Test("http: default loopback, null turns it off, a public address needs TLS or insecure_public", arguments: [
        ("", "127.0.0.1:8025", nil),
        ("http: null", nil, nil),
        ("http:\n  listen: null", nil, nil),
        ("http:\n  listen: \"[::1]:9000\"", "[::1]:9000", nil),
        ("http:\n  listen: 0.0.0.0:8025", nil, "not a loopback address"),
        ("http:\n  listen: 0.0.0.0:8025\n  insecure_public: true", "0.0.0.0:8025", nil),
        ("http:\n  listen: 192.168.1.2:8025\n  tls_certificate: /c.pem\n  tls_key: /k.pem", "192.168.1.2:8025", nil),
        ("http:\n  listen: 127.0.0.1:8025\n  tls_certificate: /c.pem", nil, "go together"),
        ("http:\n  listen: 127.0.0.1", nil, "expected host:port"),
        ("http:\n  listen: 127.0.0.1:99999", nil, "expected host:port"),
        ("http:\n  port: 80", nil, "unknown key"),
    ] as [(String, String?, String?)])
    func listen(yaml: String, listen: String?, error: String?) throws {
        do {
            let configuration = try ConfigurationLoader.parse(yaml: yaml)
            #expect(error == nil, "accepted \(yaml)")
            #expect(configuration.http.listen == listen)
        } catch let failure as ConfigurationError {
            let expected = try #require(error, "refused \(yaml): \(failure)")
            #expect(failure.description.contains(expected))
            #expect(failure.description.contains("http"))
        }
    }

    @Test("hooks.webhooks: url, events, secret; a missing secret or a non-HTTP URL is an error naming the key")
    func webhooks() throws {
        let good = try ConfigurationLoader.parse(yaml: """
            hooks:
              webhooks:
                - url: https://shop.example/sms
                  events: [message.sent, optout.recorded]
                  secret: 0123456789abcdef0123
            """)
        #expect(good.hooks.webhooks == [WebhookSettings(url: "https://shop.example/sms", events: ["message.sent", "optout.recorded"],
                                                         secret: "0123456789abcdef0123")])
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse(yaml: "hooks:\n  webhooks:\n    - url: https://x.example/\n") }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse(yaml: "hooks:\n  webhooks:\n    - url: ftp://x.example/\n      secret: 0123456789abcdef0123\n") }
    }

    @Test("a token is shown once and stored only as its SHA-256, in a 0600 file; revoke removes it")
    func tokens() throws {
        let directory = NSTemporaryDirectory() + "smsagent-tokens-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = TokenStore(dataDirectory: directory)
        let token = try store.create(name: "shop-site", readOnly: true)
        #expect(token.hasPrefix("smsa_"))
        let file = try String(contentsOfFile: store.path, encoding: .utf8)
        #expect(!file.contains(token))
        #expect(!file.contains(String(token.dropFirst(5))))
        #expect(file.contains(TokenStore.digest(token)))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(store.authenticate(token)?.name == "shop-site")
        #expect(store.authenticate(token)?.readOnly == true)
        #expect(store.authenticate(token + "0") == nil)
        #expect(throws: TokenStore.Failure.exists("shop-site")) { try store.create(name: "shop-site", readOnly: false) }
        #expect(throws: TokenStore.Failure.invalidName("a b")) { try store.create(name: "a b", readOnly: false) }
        try store.revoke(name: "shop-site")
        #expect(store.authenticate(token) == nil)
        #expect(throws: TokenStore.Failure.notFound("shop-site")) { try store.revoke(name: "shop-site") }
    }

    @Test("the login URL names the listen address (IPv6 in brackets; 0.0.0.0 as loopback)", arguments: [
        ("127.0.0.1:8025", "http://127.0.0.1:8025/login?token=T"),
        ("[::1]:9000", "http://[::1]:9000/login?token=T"),
        ("0.0.0.0:8025", "http://127.0.0.1:8025/login?token=T"),
    ])
    func loginURL(listen: String, url: String) {
        #expect(HTTPAPIServer.loginURL(listen: listen, token: "T") == url)
    }
}
