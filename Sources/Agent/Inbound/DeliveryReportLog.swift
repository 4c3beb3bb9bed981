#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// `deliveries.csv`: one line per SMS-STATUS-REPORT received (TS 23.040 §9.2.2.3), matched to the
/// sent message it reports on (by modem and TP-MR, TS 23.040 §9.2.3.6):
/// `received_at,message_id,part,modem,reference,recipient,status,meaning,delivered,discharged_at`.
/// `message_id` and `part` are empty when no sent message matched (the report is kept anyway).
///
/// Append-only, each line written with one `write(2)` on an `O_APPEND` descriptor and fsynced
/// before `append` returns, so a report leaves the SIM only once it is on disk.
public final class DeliveryReportLog: Sendable {
    public static let fileName = "deliveries.csv"
    public static let header = "received_at,message_id,part,modem,reference,recipient,status,meaning,delivered,discharged_at"

    public struct Entry: Sendable, Equatable {
        public var receivedAt: Date
        public var messageID: String?
        public var part: Int?
        public var modem: String
        public var reference: Int
        public var recipient: String
        /// TP-ST (TS 23.040 §9.2.3.15).
        public var status: UInt8
        public var meaning: String
        public var delivered: Bool
        public var dischargedAt: Date

        public init(receivedAt: Date, messageID: String?, part: Int?, modem: String, reference: Int, recipient: String,
                    status: UInt8, meaning: String, delivered: Bool, dischargedAt: Date) {
            self.receivedAt = receivedAt
            self.messageID = messageID
            self.part = part
            self.modem = modem
            self.reference = reference
            self.recipient = recipient
            self.status = status
            self.meaning = meaning
            self.delivered = delivered
            self.dischargedAt = dischargedAt
        }
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case system(operation: String, path: String, errno: Int32)
        public var description: String {
            switch self {
            case let .system(operation, path, code):
                return "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))"
            }
        }
    }

    public let path: String
    private let gate = Mutex<Void>(())

    public init(path: String) {
        self.path = path
    }

    public func append(_ entry: Entry) throws {
        try gate.withLock { _ in
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw Failure.system(operation: "open", path: path, errno: errno) }
            defer { close(fd) }
            var line = ""
            var info = stat()
            if fstat(fd, &info) == 0, info.st_size == 0 { line = Self.header + "\n" }
            line += Self.fields(entry).map(Self.quote).joined(separator: ",") + "\n"
            let bytes = Array(line.utf8)
            var written = 0
            while written < bytes.count {
                let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure.system(operation: "write", path: path, errno: errno)
                }
                written += n
            }
            guard fsync(fd) == 0 else { throw Failure.system(operation: "fsync", path: path, errno: errno) }
        }
    }

    /// What the reports say of a part (TS 23.040 §9.2.3.15 TP-ST): 0x00–0x1F the SMSC completed the
    /// delivery, 0x20–0x3F it is still trying, 0x40 and above it gave up.
    public enum Outcome: Sendable, Equatable {
        case delivered, pending, failed

        init(status: Int) {
            switch status {
            case 0x00...0x1F: self = .delivered
            case 0x20...0x3F: self = .pending
            default: self = .failed
            }
        }
    }

    /// Per matched message id, per part: the outcome of its latest report (file order).
    public func outcomes() throws -> [String: [Int: Outcome]] {
        var result: [String: [Int: Outcome]] = [:]
        for fields in try lines() where fields.count >= 7 {
            guard !fields[1].isEmpty, let part = Int(fields[2]), let status = Int(fields[6]) else { continue }
            result[fields[1], default: [:]][part] = Outcome(status: status)
        }
        return result
    }

    /// Every line as text fields (header excluded); for `smsagent inbox --deliveries` and tests.
    public func lines() throws -> [[String]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return InboundCSV.parse(String(decoding: data, as: UTF8.self)).dropFirst().map { $0 }
    }

    static func fields(_ e: Entry) -> [String] {
        [InboundTime.iso(e.receivedAt), e.messageID ?? "", e.part.map(String.init) ?? "", e.modem, String(e.reference),
         e.recipient, String(e.status), e.meaning, e.delivered ? "yes" : "no", InboundTime.iso(e.dischargedAt)]
    }

    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

enum InboundTime {
    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// A minimal RFC 4180 reader for the files this layer writes.
enum InboundCSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { inQuotes = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r\n" {
                row.append(field); field = ""
                rows.append(row); row = []
            } else if c != "\r" {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
