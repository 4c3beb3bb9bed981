import Agent
import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ServiceLifecycle

/// POSTs feed events to the `hooks.webhooks` endpoints: the body is the event's JSON object,
/// `X-Smsagent-Event` names it, `X-Smsagent-Delivery` is its sequence number and
/// `X-Smsagent-Signature: sha256=<hex>` is HMAC-SHA-256 of the body under the hook's secret.
/// A delivery that fails (no answer, or a status other than 2xx) is retried after 1, 2, 4, 8, 16 s
/// (and given up after six attempts, logged); a slow endpoint delays only its own deliveries.
public final class WebhookDispatcher: Service, Sendable {
    public static let signatureHeader = "X-Smsagent-Signature"
    let hooks: [WebhookSettings]
    let feed: EventFeed
    let logger: Logger
    let backoff: [Duration]

    public init(hooks: [WebhookSettings], feed: EventFeed, logger: Logger,
                backoff: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)]) {
        self.hooks = hooks
        self.feed = feed
        self.logger = logger
        self.backoff = backoff
    }

    public static func signature(body: Data, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    public func run() async throws {
        guard !hooks.isEmpty else {
            // Nothing to deliver: stay until the group stops, like the other services.
            try? await gracefulShutdown()
            return
        }
        let stream = feed.subscribe(lastEventID: feed.startID)
        await withTaskGroup(of: Void.self) { group in
            // One ordered queue per hook: deliveries to one endpoint keep the events' order.
            var queues: [AsyncStream<FeedEvent>.Continuation] = []
            for hook in hooks {
                let (events, continuation) = AsyncStream.makeStream(of: FeedEvent.self, bufferingPolicy: .bufferingNewest(10_000))
                queues.append(continuation)
                group.addTask {
                    for await event in events { await self.deliver(event, to: hook) }
                }
            }
            for await event in stream {
                for (index, hook) in hooks.enumerated() where hook.events.isEmpty || hook.events.contains(event.type) {
                    queues[index].yield(event)
                }
            }
            queues.forEach { $0.finish() }
        }
    }

    func deliver(_ event: FeedEvent, to hook: WebhookSettings) async {
        guard let url = URL(string: hook.url) else { return }
        let body = Data(event.json.utf8)
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = 10
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(event.type, forHTTPHeaderField: "X-Smsagent-Event")
        request.setValue(String(event.sequence), forHTTPHeaderField: "X-Smsagent-Delivery")
        request.setValue(Self.signature(body: body, secret: hook.secret), forHTTPHeaderField: Self.signatureHeader)
        for attempt in 0...backoff.count {
            var failure = ""
            do {
                let (_, response) = try await URLSession.shared.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) { return }
                failure = "HTTP \(status)"
            } catch {
                failure = "\(error)"
            }
            guard attempt < backoff.count else {
                logger.error("webhook gave up", metadata: ["webhook.url": "\(hook.url)", "event": "\(event.type)", "error": "\(failure)"])
                return
            }
            logger.warning("webhook failed, will retry", metadata: ["webhook.url": "\(hook.url)", "event": "\(event.type)",
                                                                    "attempt": "\(attempt + 1)", "error": "\(failure)"])
            do { try await Task.sleep(for: backoff[attempt]) } catch { return }
        }
    }
}
