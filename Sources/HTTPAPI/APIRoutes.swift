import Agent
import Compliance
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Records

/// One documented operation: the OpenAPI test checks the served document against this list, and
/// the router is built from it, so the two cannot drift apart silently.
public struct APIOperation: Sendable, Hashable {
    public var method: String
    /// As in the OpenAPI document: `/api/v1/messages/{id}`.
    public var path: String
}

/// The handlers of `/api/v1`: each reads the request, calls the same Agent/Records operation as
/// the CLI command named in its comment, and answers JSON (snake_case) or a problem document.
struct APIRoutes {
    let backend: APIBackend
    let feed: EventFeed
    let maxBodySize: Int


    static let operations: [APIOperation] = [
        .init(method: "GET", path: "/api/v1/openapi.yaml"),
        .init(method: "GET", path: "/api/v1/status"),
        .init(method: "POST", path: "/api/v1/messages"),
        .init(method: "GET", path: "/api/v1/messages/{id}"),
        .init(method: "POST", path: "/api/v1/previews"),
        .init(method: "POST", path: "/api/v1/campaigns"),
        .init(method: "GET", path: "/api/v1/campaigns"),
        .init(method: "GET", path: "/api/v1/campaigns/{name}"),
        .init(method: "GET", path: "/api/v1/modems"),
        .init(method: "GET", path: "/api/v1/optouts"),
        .init(method: "POST", path: "/api/v1/optouts"),
        .init(method: "GET", path: "/api/v1/optouts/{number}"),
        .init(method: "DELETE", path: "/api/v1/optouts/{number}"),
        .init(method: "GET", path: "/api/v1/inbox"),
        .init(method: "POST", path: "/api/v1/inbox/{id}/resolve"),
        .init(method: "GET", path: "/api/v1/credits"),
        .init(method: "POST", path: "/api/v1/credits/topups"),
        .init(method: "GET", path: "/api/v1/events"),
        .init(method: "GET", path: "/metrics"),
    ]

    typealias Handler = @Sendable (Request, APIRequestContext) async throws -> Response

    func handler(for operation: APIOperation) -> Handler {
        switch (operation.method, operation.path) {
        case ("GET", "/api/v1/openapi.yaml"): return { _, _ in Dashboard.asset("openapi.yaml") }
        case ("GET", "/api/v1/status"): return status
        case ("POST", "/api/v1/messages"): return postMessage
        case ("GET", "/api/v1/messages/{id}"): return getMessage
        case ("POST", "/api/v1/previews"): return postPreview
        case ("POST", "/api/v1/campaigns"): return postCampaign
        case ("GET", "/api/v1/campaigns"): return listCampaigns
        case ("GET", "/api/v1/campaigns/{name}"): return getCampaign
        case ("GET", "/api/v1/modems"): return modems
        case ("GET", "/api/v1/optouts"): return listOptOuts
        case ("POST", "/api/v1/optouts"): return postOptOut
        case ("GET", "/api/v1/optouts/{number}"): return getOptOut
        case ("DELETE", "/api/v1/optouts/{number}"): return deleteOptOut
        case ("GET", "/api/v1/inbox"): return inbox
        case ("POST", "/api/v1/inbox/{id}/resolve"): return resolve
        case ("GET", "/api/v1/credits"): return credits
        case ("POST", "/api/v1/credits/topups"): return topUp
        case ("GET", "/api/v1/events"): return events
        case ("GET", "/metrics"): return metrics
        default: return { _, _ in throw Problem(.notFound, "not implemented") }
        }
    }

    func register(on router: Router<APIRequestContext>) {
        for operation in Self.operations {
            let path = RouterPath(operation.path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: ""))
            router.on(path, method: HTTPRequest.Method(operation.method) ?? .get, use: handler(for: operation))
        }
    }

    // MARK: Bodies

    func body(_ request: Request) async throws -> [UInt8] {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: maxBodySize)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Problem(.contentTooLarge, "the body is larger than \(maxBodySize) bytes (http.max_body_size)", field: "body")
        }
    }

    func jsonObject(_ request: Request) async throws -> [String: Any] {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/json") else {
            throw Problem(.unsupportedMediaType, "send Content-Type: application/json", field: "Content-Type")
        }
        return try JSONBody.object(try await body(request))
    }

    // MARK: Status and modems (`smsagent status`)

    var status: Handler {
        { _, _ in
            let backend = self.backend
            let object = try await offload { () -> SendableBox in
                let counts = try backend.data.records.outbox.counts()
                var object: [String: Any] = [
                    "queue": ["queued": counts.new, "sending": counts.sending, "sent": counts.sent, "failed": counts.failed],
                    "credits": ["balance": try backend.data.records.ledger.balance(),
                                "low": (try backend.data.records.ledger.balance()) < backend.configuration.credits.lowBalanceWarning],
                    "optouts": try backend.data.records.optOuts.optedOutCount(),
                ]
                if let snapshot = try? StatusSnapshot.read(dataDirectory: backend.data.path) {
                    object["agent"] = ["state": snapshot.state, "pid": Int(snapshot.pid), "updated_at": backend.iso(snapshot.updatedAt),
                                       "started_at": backend.iso(snapshot.startedAt)]
                    object["modems"] = snapshot.modems.map(Self.modemJSON)
                } else {
                    object["agent"] = ["state": "not running"]
                    object["modems"] = [[String: Any]]()
                }
                return SendableBox(object)
            }
            return JSONBody.response(object.value)
        }
    }

    static func modemJSON(_ m: ModemStatus) -> [String: Any] {
        var object: [String: Any] = ["id": m.id, "port": m.port, "state": m.state, "sent": m.sent, "failed": m.failed,
                                     "throttle": ["min_interval_ms": Int(m.throttle.minIntervalMilliseconds), "daily_cap": m.throttle.dailyCap,
                                                  "sent_today": m.throttle.sentToday, "cap_reached": m.throttle.capReached]]
        if let v = m.operatorName { object["operator"] = v }
        if let v = m.signalDBm { object["signal_dbm"] = v }
        if let v = m.registration { object["registration"] = v }
        if let v = m.ownNumber { object["own_number"] = v }
        if let v = m.manufacturer { object["manufacturer"] = v }
        if let v = m.model { object["model"] = v }
        if let v = m.lastError { object["last_error"] = v }
        return object
    }

    var modems: Handler {
        { _, _ in
            let path = self.backend.data.path
            let modems = try await offload { SendableBox((try? StatusSnapshot.read(dataDirectory: path).modems.map(Self.modemJSON)) ?? []) }
            return JSONBody.response(["modems": modems.value])
        }
    }

    // MARK: Messages (`smsagent send`)

    var postMessage: Handler {
        { request, context in
            let message = try backend.messageRequest(try await jsonObject(request))
            let key = request.headers[HTTPField.Name("Idempotency-Key")!]
            let backend = self.backend
            let client = context.source
            let (id, created, state) = try await offload { () -> (String, Bool, SendableBox) in
                let (id, created) = try backend.submit(message, client: client, idempotencyKey: key)
                return (id, created, SendableBox(try backend.messageState(id: id)?["state"] ?? "queued"))
            }
            var headers = HTTPFields()
            headers[.location] = "/api/v1/messages/\(id)"
            if !created { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
            return JSONBody.response(["id": id, "state": state.value], status: .accepted, headers: headers)
        }
    }

    var getMessage: Handler {
        { _, context in
            let id = context.parameters.get("id") ?? ""
            let backend = self.backend
            guard let object = try await offload({ try backend.messageState(id: id).map(SendableBox.init) }) else {
                throw Problem(.notFound, "no message with id \(id)", field: "id")
            }
            return JSONBody.response(object.value)
        }
    }

    // MARK: Previews and campaigns (`smsagent preview`, `smsagent campaign`)

    var postPreview: Handler {
        { request, _ in
            let fields = try FieldReader(try await jsonObject(request), allowed: ["to", "text", "template", "recipients", "csv", "phone_column", "class"])
            let messages = try backend.messages(fields)
            let messageClass = try backend.messageClass(fields)
            let backend = self.backend
            let preview = try await offload { SendableBox(try backend.preview(messages, messageClass: messageClass)) }
            return JSONBody.response(preview.value)
        }
    }

    var postCampaign: Handler {
        { request, _ in try await self.queueCampaign(request) }
    }

    func queueCampaign(_ request: Request) async throws -> Response {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        var object: [String: Any]
        if type.hasPrefix("text/csv") {
            // A CSV body: name, template and class in the query.
            let csv = String(decoding: try await body(request), as: UTF8.self)
            object = ["csv": csv]
            for key in ["name", "template", "class", "not_before", "phone_column"] {
                if let value = request.uri.queryParameters.get(key) { object[key] = value }
            }
        } else {
            object = try await jsonObject(request)
        }
        let fields = try FieldReader(object, allowed: ["name", "template", "recipients", "csv", "phone_column", "class", "not_before"])
        let name = try fields.requiredString("name")
        guard name.count <= 128, !name.contains(where: { $0.isNewline || $0 == "/" }) else {
            throw Problem.invalid("name", "name must be 1–128 characters on one line, without '/'")
        }
        let messages = try backend.messages(fields)
        let messageClass = try backend.messageClass(fields)
        var notBefore: Date?
        if let raw = try fields.string("not_before") {
            do {
                notBefore = try ScheduledTime.parse(raw, timeZone: backend.configuration.compliance.zone, now: backend.clock.now())
            } catch {
                throw Problem.invalid("not_before", "not_before: \(error)")
            }
        }
        let backend = self.backend
        let scheduled = notBefore
        let result = try await offload { try Self.enqueueCampaign(backend, name: name, messages: messages, messageClass: messageClass, notBefore: scheduled) }
        var headers = HTTPFields()
        headers[.location] = "/api/v1/campaigns/\(name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name)"
        return JSONBody.response(result.value, status: .accepted, headers: headers)
    }

    static func enqueueCampaign(_ backend: APIBackend, name: String, messages: [(line: Int?, to: String, text: String)],
                                messageClass: MessageClass?, notBefore: Date?) throws -> SendableBox {
        if try backend.campaigns(only: name)[name] != nil {
            throw Problem(.conflict, "a campaign named '\(name)' exists: choose another name", field: "name")
        }
        var queued = 0
        var invalid: [[String: Any]] = []
        let country = backend.configuration.compliance.defaultCountry
        for message in messages {
            do {
                _ = try PhoneNumber.parse(message.to, defaultCountry: country)
            } catch {
                var entry: [String: Any] = ["raw": message.to, "reason": "\(error)"]
                if let line = message.line { entry["line"] = line }
                invalid.append(entry)
                continue
            }
            try backend.data.records.outbox.enqueue(OutboxMessage(to: message.to, text: message.text, messageClass: messageClass,
                                                          campaign: name, notBefore: notBefore))
            queued += 1
        }
        let now = backend.clock.now()
        let pending = try backend.campaigns(only: name)[name]?.pending ?? []
        let estimate = MessagePreview.estimate(pending: pending, configuration: backend.configuration, dataDirectory: backend.data, now: now)
        let object: [String: Any] = ["name": name, "queued": queued, "invalid": invalid.count, "skipped": invalid]
            .merging(backend.etaFields(estimate?.eta, now: now)) { $1 }
        return SendableBox(object)
    }

    var listCampaigns: Handler {
        { _, _ in
            let backend = self.backend
            let list = try await offload { SendableBox(try backend.campaigns().values.sorted { $0.name < $1.name }.map(backend.campaignJSON)) }
            return JSONBody.response(["campaigns": list.value])
        }
    }

    var getCampaign: Handler {
        { _, context in
            let name = context.parameters.get("name")?.removingPercentEncoding ?? ""
            let backend = self.backend
            guard let progress = try await offload({ try backend.campaigns(only: name)[name] }) else {
                throw Problem(.notFound, "no campaign named '\(name)'", field: "name")
            }
            return JSONBody.response(backend.campaignJSON(progress))
        }
    }

    // MARK: Opt-outs (`smsagent optouts`)

    static func optOutJSON(_ state: OptOutState, backend: APIBackend) -> [String: Any] {
        ["number": state.number, "opted_out": state.optedOut, "recorded_at": backend.iso(state.lastEvent.recordedAt),
         "event": state.lastEvent.event.rawValue, "keyword": state.lastEvent.keyword, "source": state.lastEvent.source,
         "modem": state.lastEvent.modem]
    }

    func number(_ raw: String, field: String) throws -> PhoneNumber {
        do {
            return try PhoneNumber.parse(raw, defaultCountry: backend.configuration.compliance.defaultCountry)
        } catch {
            throw Problem.invalid(field, "\(field) \(raw): \(error)")
        }
    }

    var listOptOuts: Handler {
        { request, _ in
            let query = request.uri.queryParameters
            let search = query.get("q") ?? ""
            let all = query.get("all") == "true"
            let backend = self.backend
            let states = try await offload { () -> [OptOutState] in
                try backend.data.records.optOuts.current().filter { (all || $0.optedOut) && (search.isEmpty || $0.number.contains(search)) }
            }
            if query.get("format") == "csv" {
                var csv = "number,opted_out,recorded_at,keyword,source\n"
                for s in states {
                    csv += [s.number, String(s.optedOut), backend.iso(s.lastEvent.recordedAt), s.lastEvent.keyword, s.lastEvent.source]
                        .map { $0.contains(where: { ",\"\n".contains($0) }) ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }
                        .joined(separator: ",") + "\n"
                }
                var headers = HTTPFields()
                headers[.contentType] = "text/csv; charset=utf-8"
                headers[.contentDisposition] = "attachment; filename=\"optouts.csv\""
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: csv)))
            }
            return JSONBody.response(["optouts": states.map { Self.optOutJSON($0, backend: backend) }, "count": states.count])
        }
    }

    var postOptOut: Handler {
        { request, context in
            let fields = try FieldReader(try await jsonObject(request), allowed: ["number", "reason"])
            let number = try number(try fields.requiredString("number"), field: "number")
            let reason = try fields.string("reason") ?? ""
            let backend = self.backend
            let source = context.source + (reason.isEmpty ? "" : " " + reason)
            let state = try await offload { () -> SendableBox in
                try backend.data.records.optOuts.optOut(number, source: source, at: backend.clock.now())
                return SendableBox(try backend.data.records.optOuts.state(of: number).map { Self.optOutJSON($0, backend: backend) } ?? [:])
            }
            return JSONBody.response(state.value, status: .created)
        }
    }

    var getOptOut: Handler {
        { _, context in
            let number = try number(context.parameters.get("number")?.removingPercentEncoding ?? "", field: "number")
            let backend = self.backend
            guard let state = try await offload({ try backend.data.records.optOuts.state(of: number) }) else {
                return JSONBody.response(["number": number.e164, "opted_out": false])
            }
            return JSONBody.response(Self.optOutJSON(state, backend: backend))
        }
    }

    var deleteOptOut: Handler {
        { request, context in
            let number = try number(context.parameters.get("number")?.removingPercentEncoding ?? "", field: "number")
            guard let reason = request.uri.queryParameters.get("reason"), !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw Problem.invalid("reason", "removing a number from the opt-out list needs a reason (?reason=…): the person asked again, a typo…")
            }
            let backend = self.backend
            let source = context.source + " " + reason
            let state = try await offload { () -> SendableBox in
                guard try backend.data.records.optOuts.isOptedOut(number) else {
                    throw Problem(.notFound, "\(number.e164) is not on the opt-out list", field: "number")
                }
                try backend.data.records.optOuts.optIn(number, source: source, at: backend.clock.now())
                return SendableBox(try backend.data.records.optOuts.state(of: number).map { Self.optOutJSON($0, backend: backend) } ?? [:])
            }
            return JSONBody.response(state.value)
        }
    }

    // MARK: Inbox (`smsagent inbox`)

    var inbox: Handler {
        { request, _ in
            let reviewOnly = request.uri.queryParameters.get("review") == "true"
            let limit = request.uri.queryParameters.get("limit").flatMap { Int($0) }.map { min(max($0, 1), 10_000) } ?? 200
            let backend = self.backend
            let list = try await offload { () -> SendableBox in
                let decisions = backend.reviews.decisions()
                var records = try backend.data.records.inbox.all()
                if reviewOnly { records = records.filter { $0.needsReview && decisions[$0.fingerprint] == nil } }
                let total = records.count
                records = Array(records.suffix(limit))
                return SendableBox(["total": total, "messages": records.reversed().map { r -> [String: Any] in
                    var object: [String: Any] = ["id": r.fingerprint, "received_at": backend.iso(r.receivedAt), "from": r.from,
                                                 "text": r.text, "modem": r.modem, "parts": r.parts,
                                                 "keyword_result": r.keywordResult, "status": r.status, "needs_review": r.needsReview]
                    if let decision = decisions[r.fingerprint] {
                        object["decision"] = decision.decision.rawValue
                        object["decided_by"] = decision.by
                    }
                    return object
                }] as [String: Any])
            }
            return JSONBody.response(list.value)
        }
    }

    var resolve: Handler {
        { request, context in
            let id = context.parameters.get("id") ?? ""
            let fields = try FieldReader(try await jsonObject(request), allowed: ["as"])
            let raw = try fields.requiredString("as")
            guard let decision = ReviewDecisions.Decision(rawValue: raw) else {
                throw Problem.invalid("as", "as must be optout or none, got '\(raw)'")
            }
            let backend = self.backend
            let by = context.source
            let result = try await offload { () -> SendableBox in
                guard let record = try backend.data.records.inbox.all().last(where: { $0.fingerprint == id }) else {
                    throw Problem(.notFound, "no inbound message with id \(id)", field: "id")
                }
                guard record.needsReview else {
                    throw Problem(.conflict, "message \(id) is not kept for review (keyword result \(record.keywordResult))", field: "id")
                }
                var object: [String: Any] = ["id": id, "decision": decision.rawValue]
                if decision == .optout {
                    // The opt-out is on disk before the decision that refers to it.
                    let keyword = record.keywordResult.split(separator: ":").last.map(String.init) ?? ""
                    if let number = try? PhoneNumber.parse(record.from, defaultCountry: backend.configuration.compliance.defaultCountry) {
                        try backend.data.records.optOuts.optOut(number, keyword: keyword, modem: record.modem, source: "review:\(id) \(by)",
                                                        at: backend.clock.now())
                        object["number"] = number.e164
                    } else {
                        try backend.data.records.optOuts.record(OptOutEvent(recordedAt: backend.clock.now(), number: record.from, event: .optout,
                                                                    keyword: keyword, modem: record.modem, source: "review:\(id) \(by)"))
                        object["number"] = record.from
                    }
                }
                try backend.reviews.record(fingerprint: id, decision: decision, by: by, at: backend.clock.now())
                return SendableBox(object)
            }
            return JSONBody.response(result.value)
        }
    }

    // MARK: Credits (`smsagent credits`)

    var credits: Handler {
        { request, _ in
            var by: LedgerGrouping?
            if let raw = request.uri.queryParameters.get("by") {
                guard let value = LedgerGrouping(rawValue: raw) else {
                    throw Problem.invalid("by", "by must be day, class or modem, got '\(raw)'")
                }
                by = value
            }
            let grouping = by
            let backend = self.backend
            let object = try await offload { () -> SendableBox in
                let ledger = backend.data.ledger
                let balance = try ledger.balance()
                let rows = try ledger.rows()
                let spentRows = rows.filter { $0.part != nil }
                var object: [String: Any] = [
                    "balance": balance, "spent": spentRows.reduce(0) { $0 + $1.credits },
                    "segments": spentRows.reduce(0) { $0 + $1.segments }, "messages": Set(spentRows.map(\.messageID)).count,
                    "opening_balance": backend.configuration.credits.openingBalance,
                    "topped_up": rows.filter { $0.messageID == "topup" }.reduce(0) { $0 - $1.credits },
                    "low": balance < backend.configuration.credits.lowBalanceWarning,
                    "low_balance_warning": backend.configuration.credits.lowBalanceWarning,
                ]
                if let grouping {
                    object["by"] = grouping.rawValue
                    object["groups"] = try ledger.summary(by: grouping, timeZone: backend.configuration.compliance.zone).map {
                        ["key": $0.key, "messages": $0.messages, "segments": $0.segments, "credits": $0.credits] as [String: Any]
                    }
                }
                return SendableBox(object)
            }
            return JSONBody.response(object.value)
        }
    }

    var topUp: Handler {
        { request, context in
            let fields = try FieldReader(try await jsonObject(request), allowed: ["credits", "note"])
            guard let value = fields.object["credits"] else { throw Problem.invalid("credits", "credits is required") }
            guard let number = value as? NSNumber, String(cString: number.objCType) != "c",
                  let credits = Int(exactly: number.doubleValue), (1...10_000_000).contains(credits) else {
                throw Problem.invalid("credits", "credits must be a whole number from 1 to 10000000")
            }
            let note = (try fields.string("note") ?? "") + " (\(context.source))"
            let backend = self.backend
            let balance = try await offload { () -> Int in
                try backend.data.records.ledger.addCredits(credits, note: note, at: backend.clock.now())
                return try backend.data.records.ledger.balance()
            }
            return JSONBody.response(["balance": balance, "added": credits], status: .created)
        }
    }

    // MARK: Events (SSE) and metrics

    var events: Handler {
        { request, _ in
            // A reconnecting EventSource names the last event it saw: it catches up on what it missed.
            let lastEventID = HTTPField.Name("Last-Event-ID").flatMap { request.headers[$0] }
            let stream = feed.subscribe(lastEventID: lastEventID)
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "retry: 2000\n: smsagent events\n\n"))
                for await event in stream {
                    try await writer.write(ByteBuffer(string: event.serverSentEvent))
                }
                try await writer.finish(nil)
            })
        }
    }

    var metrics: Handler {
        { _, _ in
            let backend = self.backend
            let text = try await offload { try PrometheusText.render(backend) }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}

/// JSON objects built with `[String: Any]` cross from the file-work thread back to the handler:
/// they hold only strings, numbers, booleans, arrays and dictionaries of them.
struct SendableBox: @unchecked Sendable {
    let value: Any
    init(_ value: Any) { self.value = value }
}
