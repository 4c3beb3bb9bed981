import Foundation

/// `http:` — the HTTP API and web dashboard served by `smsagent run` beside the agent.
///
/// On by default on loopback (`127.0.0.1:8025`); `listen: null` turns it off. Any other address is
/// refused unless TLS is configured (`tls_certificate` and `tls_key`) or `insecure_public: true`
/// says a person chose to expose plain HTTP (behind a reverse proxy that terminates TLS, say).
public struct HTTPSettings: Sendable, Equatable {
    /// `host:port` (`[::1]:8025` for IPv6), or nil: no server.
    public var listen: String? = "127.0.0.1:8025"
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var insecurePublic: Bool = false
    /// Largest request body accepted (bytes); larger bodies get 413.
    public var maxBodySize: Int = 1 << 20

    public init() {}
}

/// `hooks.webhooks[]`: an HTTP endpoint POSTed with each event it subscribes to, after the event is
/// on disk, signed with HMAC-SHA-256 of the body under `secret` (header `X-Smsagent-Signature`).
public struct WebhookSettings: Sendable, Equatable {
    public var url: String
    /// Event names (`message.sent`, `inbound.received`, `optout.recorded` …); empty = every event.
    public var events: [String]
    public var secret: String

    public init(url: String, events: [String] = [], secret: String) {
        self.url = url
        self.events = events
        self.secret = secret
    }
}

extension ConfigurationReading {
    static func readHTTP(_ node: ConfigNode, into h: inout HTTPSettings) throws {
        if node.isNull {
            h.listen = nil
            return
        }
        for (key, value) in try node.mapping(allowed: ["listen", "tls_certificate", "tls_key", "insecure_public", "max_body_size"]) {
            switch key {
            case "listen":
                if value.isNull {
                    h.listen = nil
                } else {
                    let text = try value.nonEmptyString()
                    guard ListenAddress(text) != nil else {
                        throw value.error("expected host:port such as 127.0.0.1:8025 or [::1]:8025, got '\(text)'")
                    }
                    h.listen = text
                }
            case "tls_certificate": h.tlsCertificate = try value.optionalString()
            case "tls_key": h.tlsKey = try value.optionalString()
            case "insecure_public": h.insecurePublic = try value.bool()
            case "max_body_size": h.maxBodySize = try value.int(min: 1024, max: 64 << 20)
            default: break
            }
        }
        if (h.tlsCertificate == nil) != (h.tlsKey == nil) {
            throw node.error("tls_certificate and tls_key go together: give both or neither")
        }
        if let listen = h.listen, let address = ListenAddress(listen), !address.isLoopback,
           h.tlsCertificate == nil, !h.insecurePublic {
            throw node.error("listen \(listen) is not a loopback address: configure tls_certificate and tls_key, or set insecure_public: true")
        }
    }

    static func readWebhooks(_ node: ConfigNode) throws -> [WebhookSettings] {
        try node.sequence().map { item in
            var url = "", secret = "", events: [String] = []
            for (key, value) in try item.mapping(allowed: ["url", "events", "secret"]) {
                switch key {
                case "url":
                    url = try value.nonEmptyString()
                    guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                        throw value.error("expected an http:// or https:// URL, got '\(url)'")
                    }
                case "events": events = try value.sequence().map { try $0.nonEmptyString() }
                case "secret":
                    secret = try value.nonEmptyString()
                    guard secret.utf8.count >= 16 else { throw value.error("expected a secret of at least 16 characters") }
                default: break
                }
            }
            guard !url.isEmpty else { throw item.error("a webhook needs url") }
            guard !secret.isEmpty else { throw item.error("a webhook needs secret (its HMAC-SHA-256 key)") }
            return WebhookSettings(url: url, events: events, secret: secret)
        }
    }
}

/// `host:port` as written in `http.listen`.
public struct ListenAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init?(_ text: String) {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
    }

    /// 127.0.0.0/8, ::1 and `localhost`.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

extension AgentConfiguration {
    /// The `hooks.webhooks` and `http` lines of `effectiveYAML()` (secrets never printed).
    func httpYAML(_ q: (String) -> String) -> [String] {
        var out: [String] = []
        if hooks.webhooks.isEmpty {
            out.append("  webhooks: []")
        } else {
            out.append("  webhooks:")
            for hook in hooks.webhooks {
                out.append("    - url: \(q(hook.url))")
                out.append("      events: [\(hook.events.map(q).joined(separator: ", "))]")
                out.append("      secret: \"****************\"   # hidden")
            }
        }
        out.append("http:")
        out.append("  listen: \(http.listen.map(q) ?? "null")")
        out.append("  tls_certificate: \(http.tlsCertificate.map(q) ?? "null")")
        out.append("  tls_key: \(http.tlsKey.map(q) ?? "null")")
        out.append("  insecure_public: \(http.insecurePublic)")
        out.append("  max_body_size: \(http.maxBodySize)")
        return out
    }
}
