import Foundation
import HTTPTypes
import Hummingbird

/// An RFC 9457 problem document (`application/problem+json`): every 4xx the API answers is one,
/// naming the request field at fault in `field` when there is one.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String
    /// The request field (JSON key, query parameter or header) at fault.
    public var field: String?
    /// Extra members (`retry_after`, `allowed`…).
    public var extra: [String: String] = [:]

    public init(_ status: HTTPResponse.Status, _ detail: String, field: String? = nil, title: String? = nil) {
        self.status = status
        self.detail = detail
        self.field = field
        self.title = title ?? status.reasonPhrase
    }

    /// `https://smsagent.invalid/problems/<slug>`: stable per kind, documented in the OpenAPI file.
    var type: String {
        let slug: String
        switch status.code {
        case 400: slug = "bad-request"
        case 401: slug = "unauthenticated"
        case 403: slug = "forbidden"
        case 404: slug = "not-found"
        case 405: slug = "method-not-allowed"
        case 409: slug = "conflict"
        case 413: slug = "content-too-large"
        case 415: slug = "unsupported-media-type"
        case 422: slug = "invalid-field"
        default: slug = "error"
        }
        return "https://smsagent.invalid/problems/" + slug
    }

    var json: [String: Any] {
        var object: [String: Any] = ["type": type, "title": title, "status": Int(status.code), "detail": detail]
        if let field { object["field"] = field }
        for (key, value) in extra { object[key] = value }
        return object
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var object = json
        object["instance"] = request.uri.path
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"smsagent\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONBody.encode(object))))
    }

    static func invalid(_ field: String, _ detail: String) -> Problem { Problem(.unprocessableContent, detail, field: field) }
}

/// JSON in and out with `JSONSerialization`: the API's bodies are small, and reading them as
/// dictionaries lets every refusal name the exact key.
enum JSONBody {
    static func encode(_ object: Any) -> [UInt8] {
        guard JSONSerialization.isValidJSONObject(object),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return Array("{}".utf8)
        }
        return Array(data)
    }

    static func response(_ object: Any, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: encode(object))))
    }

    /// The body as one JSON object; a problem naming what is wrong otherwise.
    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        guard !bytes.isEmpty else { throw Problem(.badRequest, "the request needs a JSON object body", field: "body") }
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            throw Problem(.badRequest, "the body is not valid JSON", field: "body")
        }
        guard let object = value as? [String: Any] else { throw Problem(.badRequest, "the body must be a JSON object", field: "body") }
        return object
    }
}

/// Reads the fields of a request object: unknown keys, agent-internal keys and wrong types are
/// refused with the key's name (DESIGN.md invariant 8: a request is never agent state).
struct FieldReader {
    let object: [String: Any]
    let prefix: String

    /// Keys the agent writes itself: a request that sets one is refused, not silently ignored.
    static let internalFields: Set<String> = ["id", "kind", "attempts", "result", "created_at", "state"]

    init(_ object: [String: Any], allowed: Set<String>, prefix: String = "") throws {
        self.object = object
        self.prefix = prefix
        for key in object.keys.sorted() where !allowed.contains(key) {
            if Self.internalFields.contains(key) {
                throw Problem.invalid(prefix + key, "\(prefix + key) is set by the agent, never by a request")
            }
            throw Problem.invalid(prefix + key, "unknown field \(prefix + key); expected: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    func string(_ key: String) throws -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw Problem.invalid(prefix + key, "\(prefix + key) must be a string") }
        return text
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw Problem.invalid(prefix + key, "\(prefix + key) is required") }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw Problem.invalid(prefix + key, "\(prefix + key) is empty")
        }
        return text
    }

    func array(_ key: String) throws -> [Any]? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let list = value as? [Any] else { throw Problem.invalid(prefix + key, "\(prefix + key) must be a list") }
        return list
    }
}
