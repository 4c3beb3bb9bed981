#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// Where the agent's log lines go. The systemd journal reads a syslog priority at the start of
/// each line (`<4>…`, sd-daemon(3)), so `journalctl -p warning` can select warnings and errors;
/// a terminal gets swift-log's usual human format.
public enum LogDestination: Sendable, Equatable {
    /// stderr is the stream systemd connected to the journal: `<priority>message key=value`.
    case journal
    /// Anything else (a terminal, a pipe, a file): time, level, label, metadata, message.
    case plain

    /// `$JOURNAL_STREAM` holds `<device>:<inode>` of the stream the service manager gave the
    /// service (systemd.exec(5)). It is the journal only while `fd` is still that very stream: a
    /// program started from the service with its stderr redirected inherits the variable, not
    /// the stream, and must not prefix.
    public static func detect(environment: [String: String], fileDescriptor fd: Int32 = 2) -> LogDestination {
        guard let value = environment["JOURNAL_STREAM"], let stream = JournalStream(value) else { return .plain }
        return stream.matches(fileDescriptor: fd) ? .journal : .plain
    }
}

/// The `device:inode` pair of `$JOURNAL_STREAM`.
public struct JournalStream: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64

    /// nil unless `text` is two decimal numbers separated by one colon.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return nil }
        self.device = device
        self.inode = inode
    }

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The stream `fd` is open on (nil when `fd` is not open).
    public static func of(fileDescriptor fd: Int32) -> JournalStream? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return JournalStream(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    public func matches(fileDescriptor fd: Int32) -> Bool {
        JournalStream.of(fileDescriptor: fd) == self
    }
}

/// syslog(3) priorities of swift-log's levels: what `journalctl -p` filters on.
public enum SyslogPriority {
    public static func of(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7      // LOG_DEBUG
        case .info: 6               // LOG_INFO
        case .notice: 5             // LOG_NOTICE
        case .warning: 4            // LOG_WARNING
        case .error: 3              // LOG_ERR
        case .critical: 2           // LOG_CRIT
        }
    }
}

/// A swift-log handler for a journal stream: one `<priority>message key=value…` line per entry,
/// no time stamp (the journal adds its own, to the microsecond). A message of several lines
/// carries the priority on each, since the journal reads every line as its own entry.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let output: JournalOutput

    public init(label: String, fileDescriptor: Int32 = 2, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.output = JournalOutput.shared(fileDescriptor)
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var metadata = event.metadata ?? [:]
        if let error = event.error { metadata["error"] = "\(error)" }
        write(level: event.level, message: event.message, metadata: metadata)
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        write(level: level, message: message, metadata: explicit)
    }

    func write(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?) {
        var merged = self.metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit { merged.merge(explicit) { _, new in new } }
        output.write(Self.format(level: level, message: "\(message)", metadata: merged))
    }

    /// The bytes written for one entry, newline included.
    public static func format(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        let prefix = "<\(SyslogPriority.of(level))>"
        var text = message
        if !metadata.isEmpty {
            text += " " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { prefix + $0 + "\n" }.joined()
    }
}

/// Serialises writes to one file descriptor so entries from several threads never interleave.
final class JournalOutput: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var outputs: [Int32: JournalOutput] = [:]

    private init(fd: Int32) { self.fd = fd }

    static func shared(_ fd: Int32) -> JournalOutput {
        registryLock.lock()
        defer { registryLock.unlock() }
        if let output = outputs[fd] { return output }
        let output = JournalOutput(fd: fd)
        outputs[fd] = output
        return output
    }

    func write(_ text: String) {
        var bytes = Array(text.utf8)
        lock.lock()
        defer { lock.unlock() }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                Glibc.write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return  // the journal went away: nothing better to do with a log line
            }
            offset += written
        }
    }
}
