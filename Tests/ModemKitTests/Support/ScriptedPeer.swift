import ModemKit
import Synchronization

/// An in-memory modem that answers each command line (cut at CR) from a script, and reports every
/// line it was given on `heard` — for dialect quirks the simulator does not play.
final class ScriptedPeer: ByteTransport, Sendable {
    let name = "scripted"
    let incoming: AsyncThrowingStream<[UInt8], any Error>
    /// Every line written to the peer, as it arrives.
    let heard: AsyncStream<String>
    private let output: AsyncThrowingStream<[UInt8], any Error>.Continuation
    private let heardContinuation: AsyncStream<String>.Continuation
    private let answer: @Sendable (String) -> String?
    private let partial = Mutex<[UInt8]>([])
    private let log = Mutex<[String]>([])

    /// `answer` gives the bytes to send back for a line, or nil for silence.
    init(answer: @escaping @Sendable (String) -> String?) {
        self.answer = answer
        (incoming, output) = AsyncThrowingStream.makeStream(of: [UInt8].self, throwing: (any Error).self)
        (heard, heardContinuation) = AsyncStream.makeStream(of: String.self)
    }

    /// The lines written so far.
    var lines: [String] { log.withLock { $0 } }

    func write(_ bytes: [UInt8]) async throws {
        let lines: [String] = partial.withLock { buffer in
            var lines: [String] = []
            for byte in bytes {
                if byte == 0x0D {
                    lines.append(String(decoding: buffer, as: UTF8.self))
                    buffer = []
                } else {
                    buffer.append(byte)
                }
            }
            return lines
        }
        for line in lines {
            log.withLock { $0.append(line) }
            heardContinuation.yield(line)
            if let reply = answer(line) { output.yield(Array(reply.utf8)) }
        }
    }

    func close() async {
        output.finish()
        heardContinuation.finish()
    }

    /// A modem that answers the resynchronising queries, `AT` and `AT+CSQ` as every modem does.
    static func standard(_ line: String) -> String? {
        switch line {
        case "AT", "ATE0": "\r\nOK\r\n"
        case "AT+CMEE?": "\r\n+CMEE: 1\r\n\r\nOK\r\n"
        case "AT+CSCS?": "\r\n+CSCS: \"GSM\"\r\n\r\nOK\r\n"
        case "AT+CMGF?": "\r\n+CMGF: 0\r\n\r\nOK\r\n"
        case "AT+CSQ": "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
        default: nil
        }
    }
}
