import ModemKit
import Synchronization

/// Passes bytes through and keeps every command line the engine writes (PDU lines included).
final class RecordingTransport: ByteTransport, Sendable {
    let inner: any ByteTransport
    private let written = Mutex<[UInt8]>([])
    private let calls = Mutex<[[UInt8]]>([])
    var name: String { inner.name }
    var incoming: AsyncThrowingStream<[UInt8], any Error> { inner.incoming }

    init(_ inner: any ByteTransport) { self.inner = inner }

    func write(_ bytes: [UInt8]) async throws {
        written.withLock { $0 += bytes }
        calls.withLock { $0.append(bytes) }
        try await inner.write(bytes)
    }

    func close() async { await inner.close() }

    /// What was written, split at CR and Ctrl-Z.
    var lines: [String] {
        written.withLock { bytes in
            bytes.split(whereSeparator: { $0 == 0x0D || $0 == 0x1A }).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Each `write` call, as it was made.
    var writes: [[UInt8]] { calls.withLock { $0 } }

    func reset() {
        written.withLock { $0 = [] }
        calls.withLock { $0 = [] }
    }
}
