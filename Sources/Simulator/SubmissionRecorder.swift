import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One line of the `--record` file: a message as it left the simulated modem.
public struct SubmissionRecord: Codable, Sendable, Equatable {
    /// ISO 8601 time of the last accepted part.
    public var time: String
    /// The port the message went through (pty path or link).
    public var modem: String
    public var profile: String
    public var number: String
    public var text: String
    /// Accepted PDUs: what the operator charges (a re-sent part counts again).
    public var parts: Int
    /// Segments announced by the concatenation header.
    public var segments: Int
    public var references: [Int]
    public var concatReference: Int?
    public var encoding: String
    public var statusReport: Bool
    public var messageClass: Int?
    /// False when some segments never arrived (written at shutdown).
    public var complete: Bool
    public var pdus: [String]

    enum CodingKeys: String, CodingKey {
        case time, modem, profile, number, text, parts, segments, references
        case concatReference = "concat_reference", encoding, statusReport = "status_report"
        case messageClass = "message_class", complete, pdus
    }

    public init(_ message: SubmittedMessage, modem: String, profile: ModemProfile) {
        time = SubmissionRecorder.timestamp(message.submittedAt)
        self.modem = modem
        self.profile = profile.rawValue
        number = message.number
        text = message.text
        parts = message.parts
        segments = message.segments
        references = message.references
        concatReference = message.concatenationReference
        encoding = message.encoding.rawValue
        statusReport = message.statusReportRequested
        messageClass = message.messageClass
        complete = message.complete
        pdus = message.pdus
    }
}

/// A line of the record file for a PDU the host entered and cancelled before its Ctrl-Z (never
/// sent, never charged): `"abandoned": true`, so readers of messages skip it.
public struct AbandonedRecord: Codable, Sendable, Equatable {
    public var abandoned = true
    public var time: String
    public var modem: String
    public var profile: String
    /// Empty when the digits do not decode as an SMS-SUBMIT.
    public var number: String
    public var pdu: String

    public init(_ pdu: AbandonedPDU, modem: String, profile: ModemProfile) {
        time = SubmissionRecorder.timestamp(pdu.at)
        self.modem = modem
        self.profile = profile.rawValue
        number = pdu.number ?? ""
        self.pdu = pdu.pdu
    }
}

/// Errors of the record file, with the path and errno.
public struct RecorderError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let errno: Int32
    public var description: String { "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// Appends one JSON line per submitted message to a file and fsyncs it before returning, so that
/// a reader who saw `+CMGS` finds the line on disk. Shared by several modems.
public actor SubmissionRecorder {
    public nonisolated let path: String
    private let fd: Int32
    private let encoder: JSONEncoder

    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw RecorderError(path: path, operation: "open", errno: errno) }
        self.fd = fd
        self.path = path
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    public func append(_ record: some Encodable & Sendable) throws {
        var line = try encoder.encode(record)
        line.append(0x0A)
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { throw RecorderError(path: path, operation: "write", errno: errno) }
        guard fsync(fd) == 0 else { throw RecorderError(path: path, operation: "fsync", errno: errno) }
    }

    /// A record line's time: ISO 8601 with milliseconds.
    nonisolated static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Reads the messages of a record file back (for tests and tools).
    public static func read(path: String) throws -> [SubmissionRecord] {
        try lines(path: path).filter { !$0.abandoned }.map { try JSONDecoder().decode(SubmissionRecord.self, from: $0.data) }
    }

    /// Reads the cancelled PDUs of a record file back.
    public static func readAbandoned(path: String) throws -> [AbandonedRecord] {
        try lines(path: path).filter(\.abandoned).map { try JSONDecoder().decode(AbandonedRecord.self, from: $0.data) }
    }

    private struct Kind: Decodable { var abandoned: Bool? }

    private static func lines(path: String) throws -> [(data: Data, abandoned: Bool)] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let decoder = JSONDecoder()
        return try data.split(separator: 0x0A).map { line in
            let line = Data(line)
            return (line, try decoder.decode(Kind.self, from: line).abandoned == true)
        }
    }

    deinit { close(fd) }
}
