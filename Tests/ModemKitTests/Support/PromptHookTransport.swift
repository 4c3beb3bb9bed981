import ModemKit

/// Passes bytes through and, the moment the `> ` prompt comes from the modem, runs `onPrompt`
/// before the engine sees it — so the simulator emits a URC while the engine is between the prompt
/// and the `+CMGS` answer.
struct PromptHookTransport: ByteTransport {
    let inner: any ByteTransport
    let incoming: AsyncThrowingStream<[UInt8], any Error>
    var name: String { inner.name }

    init(_ inner: any ByteTransport, onPrompt: @escaping @Sendable () async -> Void) {
        self.inner = inner
        let source = inner.incoming
        incoming = AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await chunk in source {
                        if chunk.count >= 2, chunk.suffix(2) == [0x3E, 0x20] { await onPrompt() }
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

    func write(_ bytes: [UInt8]) async throws { try await inner.write(bytes) }
    func close() async { await inner.close() }
}
