import Agent
import Compliance
import Crypto
import Foundation
@testable import HTTPAPI
import HTTPTypes
import Hummingbird
import Logging
import Records
import ServiceLifecycle
import Synchronization
import Testing
import Yams

@Suite("HTTP API on the real server (loopback)", .serialized)
struct APIServerTests {
    @Test("no token → 401 problem; unknown token → 401; read-only token on a write → 403")
    func authentication() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let anonymous = try await server.request("GET", "/api/v1/status", token: .some(nil))
        #expect(anonymous.status == 401)
        #expect(anonymous.header("Content-Type") == "application/problem+json")
        #expect(anonymous.json["field"] as? String == "Authorization")
        #expect(anonymous.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        let wrong = try await server.request("GET", "/api/v1/status", token: .some("smsa_" + String(repeating: "0", count: 64)))
        #expect(wrong.status == 401)
        let reader = try await server.request("GET", "/api/v1/status", token: .some(server.readOnlyToken))
        #expect(reader.status == 200)
        let write = try await server.request("POST", "/api/v1/messages", json: ["to": "+33612345678", "text": "x"], token: .some(server.readOnlyToken))
        #expect(write.status == 403)
        #expect(try server.data.outbox.counts().new == 0)
        // Revoked: the next request fails.
        try TokenStore(dataDirectory: server.data.path).revoke(name: "reader")
        #expect(try await server.request("GET", "/api/v1/status", token: .some(server.readOnlyToken)).status == 401)
    }

    @Test("POST /messages queues the same outbox file as smsagent send; GET /messages/{id} reports its state")
    func sendQueuesInTheOutbox() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let answer = try await server.request("POST", "/api/v1/messages",
                                              json: ["to": "06 12 34 56 78", "text": "Votre commande est prête", "class": "notification", "campaign": "orders"])
        #expect(answer.status == 202)
        let id = try #require(answer.json["id"] as? String)
        #expect(answer.json["state"] as? String == "queued")
        #expect(answer.header("Location") == "/api/v1/messages/\(id)")
        let queued = try #require(try server.data.outbox.find(id))
        #expect(queued.folder == .new)
        #expect(queued.message.to == "06 12 34 56 78")
        #expect(queued.message.text == "Votre commande est prête")
        #expect(queued.message.messageClass == .notification)
        #expect(queued.message.campaign == "orders")
        #expect(queued.message.kind == nil)
        let state = try await server.request("GET", "/api/v1/messages/\(id)")
        #expect(state.status == 200)
        #expect(state.json["state"] as? String == "queued")
        let held = try await server.request("POST", "/api/v1/messages", json: ["to": "+33612345678", "text": "Plus tard", "not_before": "+2h"])
        let heldState = try await server.request("GET", "/api/v1/messages/\(try #require(held.json["id"] as? String))")
        #expect(heldState.json["state"] as? String == "held")
        #expect(heldState.json["not_before"] is String)
        let missing = try await server.request("GET", "/api/v1/messages/20260101T000000000Z-00000000")
        #expect(missing.status == 404)
        #expect(missing.json["field"] as? String == "id")
    }

    @Test("bad input: each 4xx is a problem document naming the field; nothing is queued", arguments: [
        (#"{"text":"hello"}"#, "application/json", 422, "to"),
        (#"{"to":"06 12","text":"hello"}"#, "application/json", 422, "to"),
        (#"{"to":"+33612345678","text":"   "}"#, "application/json", 422, "text"),
        (#"{"to":"+33612345678","text":"hi","class":"promo"}"#, "application/json", 422, "class"),
        (#"{"to":"+33612345678","text":"hi","kind":"confirmation"}"#, "application/json", 422, "kind"),
        (#"{"to":"+33612345678","text":"hi","attempts":[]}"#, "application/json", 422, "attempts"),
        (#"{"to":"+33612345678","text":"hi","result":{}}"#, "application/json", 422, "result"),
        (#"{"to":"+33612345678","text":"hi","colour":"red"}"#, "application/json", 422, "colour"),
        (#"{"to":"+33612345678","text":"hi","not_before":"someday"}"#, "application/json", 422, "not_before"),
        (#"{"to":"+33612345678","text":5}"#, "application/json", 422, "text"),
        (#"{"to": "+3361234"#, "application/json", 400, "body"),
        (#"["to"]"#, "application/json", 400, "body"),
        (#"to=+33612345678"#, "application/x-www-form-urlencoded", 415, "Content-Type"),
    ] as [(String, String, Int, String)])
    func badInput(body: String, type: String, status: Int, field: String) async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let answer = try await server.request("POST", "/api/v1/messages", body: Data(body.utf8), headers: ["Content-Type": type])
        #expect(answer.status == status)
        #expect(answer.header("Content-Type") == "application/problem+json")
        #expect(answer.json["status"] as? Int == status)
        #expect(answer.json["field"] as? String == field)
        #expect(try server.data.outbox.counts().new == 0)
    }

    @Test("a body over http.max_body_size is refused with 413")
    func bodyLimit() async throws {
        let server = try await TestServer { $0.http.maxBodySize = 2048 }
        defer { Task { await server.stop() } }
        let big = try await server.request("POST", "/api/v1/messages", json: ["to": "+33612345678", "text": String(repeating: "a", count: 4000)])
        #expect(big.status == 413)
        #expect(big.json["field"] as? String == "body")
        #expect(try server.data.outbox.counts().new == 0)
    }

    @Test("Idempotency-Key: a retried POST returns the first answer and queues one message; another body with the key is refused")
    func idempotency() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let body: [String: Any] = ["to": "+33612345678", "text": "Rendez-vous demain 10h"]
        let first = try await server.request("POST", "/api/v1/messages", json: body, headers: ["Idempotency-Key": "order-1042"])
        let second = try await server.request("POST", "/api/v1/messages", json: body, headers: ["Idempotency-Key": "order-1042"])
        #expect(first.status == 202)
        #expect(second.status == 202)
        #expect(first.json["id"] as? String == second.json["id"] as? String)
        #expect(second.header("Idempotent-Replayed") == "true")
        #expect(try server.data.outbox.counts().new == 1)
        let other = try await server.request("POST", "/api/v1/messages", json: ["to": "+33612345678", "text": "autre"],
                                             headers: ["Idempotency-Key": "order-1042"])
        #expect(other.status == 422)
        #expect(other.json["field"] as? String == "Idempotency-Key")
        // A new server over the same directory (a restarted agent) still knows the key.
        let third = try await server.request("POST", "/api/v1/messages", json: body, headers: ["Idempotency-Key": "order-1043"])
        #expect(third.json["id"] as? String != first.json["id"] as? String)
        let log = IdempotencyLog(dataDirectory: server.data.path)
        let again = try log.lookupOrRecord(client: "api:test", key: "order-1042", request: "x") { "never" }
        #expect(again.existed)
        #expect(again.entry.messageID == first.json["id"] as? String)
        #expect(try server.data.outbox.counts().new == 2)
    }

    @Test("previews: text as sent with the footer, encoding, segments, credits, verdict per recipient; opted-out and invalid numbers")
    func previews() async throws {
        let server = try await TestServer { $0.sender.brand = "Boulangerie Martin"; $0.sender.stopNumber = "+33600000001" }
        defer { Task { await server.stop() } }
        _ = try server.data.optOuts.optOut(try PhoneNumber.parse("+33612345602", defaultCountry: "FR"), source: "test")
        let answer = try await server.request("POST", "/api/v1/previews", json: [
            "template": "Bonjour {name}, -20% !", "class": "marketing",
            "recipients": [["phone": "+33612345601", "name": "Marie"], ["phone": "+33612345602", "name": "Paul"], ["phone": "06 12", "name": "X"]],
        ])
        #expect(answer.status == 200)
        let recipients = try #require(answer.json["recipients"] as? [[String: Any]])
        #expect(recipients.map { $0["verdict"] as? String } == ["send", "suppressed", "invalid"])
        let text = try #require(recipients[0]["text"] as? String)
        #expect(text.hasPrefix("Bonjour Marie, -20% !"))
        #expect(text.contains("STOP"))
        #expect(recipients[0]["footer_added"] as? Bool == true)
        #expect(recipients[0]["segments"] as? Int == 1)
        let summary = try #require(answer.json["summary"] as? [String: Any])
        #expect(summary["opted_out"] as? Int == 1)
        #expect(summary["invalid"] as? Int == 1)
        let missing = try await server.request("POST", "/api/v1/previews", json: ["template": "Bonjour {name}", "recipients": [["phone": "+33612345601"]]])
        #expect(missing.status == 422)
        #expect(missing.json["field"] as? String == "recipients[0].name")
    }

    @Test("campaigns: JSON or CSV body → 202 with counts, invalid rows skipped; progress by name; a name is used once")
    func campaigns() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let json = try await server.request("POST", "/api/v1/campaigns", json: [
            "name": "galettes", "template": "Bonjour {name}", "class": "marketing",
            "recipients": [["phone": "+33612345601", "name": "Marie"], ["phone": "06 12", "name": "X"]],
        ])
        #expect(json.status == 202)
        #expect(json.json["queued"] as? Int == 1)
        #expect(json.json["invalid"] as? Int == 1)
        let csv = "phone,name\n+33612345603,Léa\n+447700900123,John\n"
        let csvAnswer = try await server.request("POST", "/api/v1/campaigns?name=pain&template=Hello%20%7Bname%7D",
                                                 body: Data(csv.utf8), headers: ["Content-Type": "text/csv"])
        #expect(csvAnswer.status == 202)
        #expect(csvAnswer.json["queued"] as? Int == 2)
        let progress = try await server.request("GET", "/api/v1/campaigns/pain")
        #expect(progress.json["queued"] as? Int == 2)
        #expect(progress.json["total"] as? Int == 2)
        let list = try await server.request("GET", "/api/v1/campaigns")
        #expect((list.json["campaigns"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["galettes", "pain"])
        let again = try await server.request("POST", "/api/v1/campaigns", json: ["name": "pain", "template": "x", "recipients": [["phone": "+33612345601"]]])
        #expect(again.status == 409)
        #expect(again.json["field"] as? String == "name")
        #expect(try server.data.outbox.counts().new == 3)
    }

    @Test("opt-outs: add, read, remove with a reason (an opt-in event), export CSV")
    func optOuts() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let added = try await server.request("POST", "/api/v1/optouts", json: ["number": "06 12 34 56 78", "reason": "asked by phone"])
        #expect(added.status == 201)
        #expect(added.json["number"] as? String == "+33612345678")
        #expect(try server.data.optOuts.isOptedOut(try PhoneNumber.parse("+33612345678", defaultCountry: "FR")))
        #expect(try await server.request("GET", "/api/v1/optouts/%2B33612345678").json["opted_out"] as? Bool == true)
        let csv = try await server.request("GET", "/api/v1/optouts?format=csv")
        #expect(csv.text.contains("+33612345678,true"))
        let noReason = try await server.request("DELETE", "/api/v1/optouts/%2B33612345678")
        #expect(noReason.status == 422)
        #expect(noReason.json["field"] as? String == "reason")
        let removed = try await server.request("DELETE", "/api/v1/optouts/%2B33612345678?reason=typo")
        #expect(removed.status == 200)
        #expect(try !server.data.optOuts.isOptedOut(try PhoneNumber.parse("+33612345678", defaultCountry: "FR")))
        #expect(try server.data.optOuts.events().last?.event == .optin)
    }

    @Test("inbox review: a person resolves an item as an opt-out (recorded) or not; it leaves the review queue")
    func reviewResolution() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let stop = InboundRecord(from: "+33612345609", text: "Merci, mais stop les promos svp", modem: "shop-a", keywordResult: "review:STOP")
        let other = InboundRecord(from: "+33612345610", text: "Don't stop the croissants", modem: "shop-a", keywordResult: "review:STOP")
        try server.data.inbox.append(stop)
        try server.data.inbox.append(other)
        let review = try await server.request("GET", "/api/v1/inbox?review=true")
        #expect((review.json["messages"] as? [[String: Any]])?.count == 2)
        let resolved = try await server.request("POST", "/api/v1/inbox/\(stop.fingerprint)/resolve", json: ["as": "optout"])
        #expect(resolved.status == 200)
        #expect(try server.data.optOuts.isOptedOut(try PhoneNumber.parse("+33612345609", defaultCountry: "FR")))
        let none = try await server.request("POST", "/api/v1/inbox/\(other.fingerprint)/resolve", json: ["as": "none"])
        #expect(none.status == 200)
        #expect(try !server.data.optOuts.isOptedOut(try PhoneNumber.parse("+33612345610", defaultCountry: "FR")))
        #expect((try await server.request("GET", "/api/v1/inbox?review=true").json["messages"] as? [[String: Any]])?.isEmpty == true)
        let bad = try await server.request("POST", "/api/v1/inbox/\(other.fingerprint)/resolve", json: ["as": "maybe"])
        #expect(bad.status == 422)
        #expect(bad.json["field"] as? String == "as")
        let unknown = try await server.request("POST", "/api/v1/inbox/deadbeef/resolve", json: ["as": "none"])
        #expect(unknown.status == 404)
    }

    @Test("credits by day/class/modem from the ledger, and a top-up")
    func credits() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        _ = try server.data.ledger.commit(row: LedgerRow(messageID: "m1", recipient: "+33612345601", messageClass: "marketing", segments: 2,
                                                         credits: 2, modem: "shop-a", part: 1))
        let byModem = try await server.request("GET", "/api/v1/credits?by=modem")
        #expect(byModem.json["balance"] as? Int == 98)
        #expect((byModem.json["groups"] as? [[String: Any]])?.first?["key"] as? String == "shop-a")
        let bad = try await server.request("GET", "/api/v1/credits?by=week")
        #expect(bad.status == 422)
        #expect(bad.json["field"] as? String == "by")
        let topUp = try await server.request("POST", "/api/v1/credits/topups", json: ["credits": 50, "note": "invoice 12"])
        #expect(topUp.status == 201)
        #expect(try server.data.ledger.balance() == 148)
        let fractional = try await server.request("POST", "/api/v1/credits/topups", json: ["credits": 1.5])
        #expect(fractional.status == 422)
    }

    @Test("GET /api/v1/events streams message state changes, inbound SMS and opt-outs as they reach the disk")
    func serverSentEvents() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let reader = try StreamReader(port: server.port, path: "/api/v1/events", headers: ["Authorization": "Bearer \(server.token)"])
        defer { reader.shutdown() }
        _ = try await withDeadline(10, "the stream to open") { try await reader.read(until: ": smsagent events") }
        let message = OutboxMessage(to: "+33612345678", text: "hello")
        try server.data.outbox.enqueue(message)
        let queued = try await withDeadline(10, "message.queued") { try await reader.read(until: "event: message.queued") }
        #expect(queued.contains(message.id))
        _ = try server.data.optOuts.optOut(try PhoneNumber.parse("+33612345679", defaultCountry: "FR"), keyword: "STOP", source: "test")
        let optout = try await withDeadline(10, "optout.recorded") { try await reader.read(until: "event: optout.recorded") }
        #expect(optout.contains("+33612345679"))
    }

    @Test("webhooks: POSTed after the event is on disk, signed with HMAC-SHA-256, retried after a failure")
    func webhooks() async throws {
        let received = Mutex<[(signature: String, delivery: String, event: String, body: Data)]>([])
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let count = received.withLock { list in
                list.append((request.headers[HTTPField.Name("X-Smsagent-Signature")!] ?? "", request.headers[HTTPField.Name("X-Smsagent-Delivery")!] ?? "",
                             request.headers[HTTPField.Name("X-Smsagent-Event")!] ?? "", Data(body.readableBytesView)))
                return list.count
            }
            return Response(status: count == 1 ? .internalServerError : .ok)
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test.receiver")
        logger.logLevel = .critical
        let receiver = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                   onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let receiverGroup = ServiceGroup(configuration: .init(services: [.init(service: receiver)], logger: logger))
        let receiverTask = Task { try await receiverGroup.run() }
        defer { Task { await receiverGroup.triggerGracefulShutdown(); _ = try? await receiverTask.value } }
        let port = try await withDeadline(30, "the receiver") { var it = ports.makeAsyncIterator(); return await it.next() ?? 0 }
        let secret = "a-secret-of-32-characters-------"
        let server = try await TestServer(configure: {
            $0.hooks.webhooks = [WebhookSettings(url: "http://127.0.0.1:\(port)/hook", events: ["message.queued"], secret: secret)]
        }, webhookBackoff: [.milliseconds(50), .milliseconds(50)])
        defer { Task { await server.stop() } }
        let message = OutboxMessage(to: "+33612345678", text: "hello")
        try server.data.outbox.enqueue(message)
        try await withDeadline(15, "two deliveries") {
            while received.withLock({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(20)) }
        }
        let deliveries = received.withLock { $0 }
        #expect(deliveries.count == 2)
        #expect(deliveries[0].delivery == deliveries[1].delivery)
        #expect(deliveries[1].event == "message.queued")
        let body = deliveries[1].body
        let expected = "sha256=" + HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
        #expect(deliveries[1].signature == expected)
        let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(object["id"] as? String == message.id)
        #expect(object["type"] as? String == "message.queued")
    }

    @Test("GET /metrics: Prometheus text with messages by state, credits and opt-outs")
    func metrics() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        try server.data.outbox.enqueue(OutboxMessage(to: "+33612345678", text: "hello"))
        let answer = try await server.request("GET", "/metrics")
        #expect(answer.status == 200)
        #expect(answer.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(answer.text.contains("smsagent_messages{state=\"queued\"} 1\n"))
        #expect(answer.text.contains("smsagent_credits_balance 100\n"))
        #expect(answer.text.contains("# TYPE smsagent_optouts gauge\n"))
        #expect(try await server.request("GET", "/metrics", token: .some(nil)).status == 401)
    }

    @Test("login URL → HttpOnly SameSite=Strict cookie and a redirect to /; the cookie reads, and writes only with the page's header")
    func loginCookie() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let login = try await server.request("GET", "/login?token=\(server.token)", token: .some(nil))
        #expect(login.status == 303)
        #expect(login.header("Location") == "/")
        let cookie = try #require(login.header("Set-Cookie"))
        #expect(cookie.contains("HttpOnly"))
        #expect(cookie.contains("SameSite=Strict"))
        let pair = try #require(cookie.split(separator: ";").first.map(String.init))
        let read = try await server.request("GET", "/api/v1/status", token: .some(nil), headers: ["Cookie": pair])
        #expect(read.status == 200)
        let body: [String: Any] = ["to": "+33612345678", "text": "x"]
        let forged = try await server.request("POST", "/api/v1/messages", json: body, token: .some(nil), headers: ["Cookie": pair])
        #expect(forged.status == 403)
        let page = try await server.request("POST", "/api/v1/messages", json: body, token: .some(nil),
                                            headers: ["Cookie": pair, "X-Smsagent-Request": "1"])
        #expect(page.status == 202)
        #expect(try await server.request("GET", "/login?token=smsa_nope", token: .some(nil)).status == 401)
        let dashboard = try await server.request("GET", "/", token: .some(nil))
        #expect(dashboard.status == 200)
        #expect(dashboard.text.contains("<script src=\"/assets/app.js\""))
    }

    @Test("the served OpenAPI document lists exactly the operations the router serves, and each one is routed")
    func openAPIMatchesHandlers() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let served = try await server.request("GET", "/api/v1/openapi.yaml", token: .some(nil))
        #expect(served.status == 200)
        let document = try #require(try Yams.load(yaml: served.text) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        var documented = Set<APIOperation>()
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where ["get", "post", "put", "delete", "patch"].contains(method) {
                documented.insert(APIOperation(method: method.uppercased(), path: path))
            }
        }
        #expect(documented == Set(HTTPAPIServer.operations))
        for operation in HTTPAPIServer.operations where operation.path != "/api/v1/events" {
            let path = operation.path.replacingOccurrences(of: "{id}", with: "x").replacingOccurrences(of: "{name}", with: "x")
                .replacingOccurrences(of: "{number}", with: "x")
            let answer = try await server.request(operation.method, path, json: operation.method == "GET" || operation.method == "DELETE" ? nil : [String: Any]())
            let routed = !(answer.status == 404 && (answer.json["detail"] as? String ?? "").hasPrefix("no such resource"))
            #expect(routed, "\(operation.method) \(operation.path) is documented but not routed")
        }
        let unknown = try await server.request("GET", "/api/v1/nothing")
        #expect(unknown.status == 404)
        #expect(unknown.header("Content-Type") == "application/problem+json")
    }
}
