import ModemKit
import Synchronization

/// Passes bytes through and keeps, in order, what the engine wrote and each chunk the modem sent —
/// a capture of a real conversation to replay into the decoder.
final class TranscriptTransport: ByteTransport, Sendable {
    enum Event: Sendable {
        case wrote([UInt8])
        case read([UInt8])
    }

    final class Log: Sendable {
        let events = Mutex<[Event]>([])
        func append(_ event: Event) { events.withLock { $0.append(event) } }
    }

    let inner: any ByteTransport
    let incoming: AsyncThrowingStream<[UInt8], any Error>
    private let log = Log()
    var name: String { inner.name }
    var events: [Event] { log.events.withLock { $0 } }

    init(_ inner: any ByteTransport) {
        self.inner = inner
        let log = self.log
        let source = inner.incoming
        incoming = AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await chunk in source {
                        log.append(.read(chunk))
                        continuation.yield(chunk)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func write(_ bytes: [UInt8]) async throws {
        log.append(.wrote(bytes))
        try await inner.write(bytes)
    }

    func close() async { await inner.close() }
}
