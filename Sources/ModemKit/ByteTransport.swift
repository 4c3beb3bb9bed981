/// A bidirectional byte stream to a modem: a serial port, a pseudo-terminal, or an in-memory pipe
/// (the simulator). `Modem` owns exactly one transport and is its only reader.
///
/// Contract:
/// - `write` delivers all bytes or throws; it never writes partially without throwing.
/// - `incoming` yields chunks of bytes as they arrive, in order, and finishes (normally or with an
///   error) when the peer goes away (unplug, hang-up, closed pipe). It may be iterated only once.
/// - `close()` is idempotent and makes `incoming` finish.
public protocol ByteTransport: Sendable {
    /// A human-readable name used in errors and logs, e.g. `/dev/ttyUSB2` or `sim:0`.
    var name: String { get }
    var incoming: AsyncThrowingStream<[UInt8], any Error> { get }
    func write(_ bytes: [UInt8]) async throws
    func close() async
}
