#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An append-only CSV file shared by every process that opens it (the agent and the `smsagent`
/// commands): rows are appended with one `write` + `fsync` under an exclusive `flock`, and each
/// reader folds in the rows other processes appended since it last looked (`refresh`), so an
/// in-memory index stays in step with the file at the cost of one `fstat` per look.
///
/// Crash safety: a row is acknowledged only after `fsync`. A crash in the middle of an append
/// leaves an unterminated tail; it was never acknowledged, so on open (under the lock) it is
/// copied to `<file>.torn` for a person to see and cut off the file.
final class AppendOnlyCSVFile {
    let path: String
    let columns: [String]
    private let fd: Int32
    /// Bytes of the file already parsed (always the end of a complete record).
    private var consumed = 0
    private var nextLine = 1

    /// Opens (creating with the header row if new) and returns the existing rows.
    init(path: String, columns: [String], mode: mode_t = FileSystem.fileMode) throws {
        self.path = path
        self.columns = columns
        let created = !FileSystem.exists(path)
        fd = try FileSystem.open(path, O_RDWR | O_APPEND | O_CREAT, mode: mode)
        if created {
            try? FileSystem.fsyncDirectory((path as NSString).deletingLastPathComponent)
        }
    }

    deinit { FileSystem.close(fd) }

    /// Reads the whole file (under the lock: cuts a torn tail, writes the header of a new file).
    func load() throws -> (rows: [CSV.Record], issues: [RecordIssue]) {
        try withExclusiveLock {
            let bytes = try FileSystem.readToEnd(fd, path: path)
            if bytes.isEmpty {
                try FileSystem.writeAll(fd, Array(CSV.record(columns).utf8), path: path)
                try FileSystem.fsync(fd, path: path)
                consumed = try FileSystem.status(fd: fd, path: path).st_size.asInt
                nextLine = 2
                return ([], [])
            }
            let parsed = CSV.parse(bytes[...])
            if parsed.completeLength < bytes.count {
                try saveTornTail(Array(bytes[parsed.completeLength...]))
                try FileSystem.ftruncate(fd, parsed.completeLength, path: path)
                try FileSystem.fsync(fd, path: path)
            }
            consumed = parsed.completeLength
            nextLine = 1 + parsed.linesConsumed
            var rows = parsed.records
            var issues = parsed.issues.map { RecordIssue(path: path, line: $0.line, reason: $0.reason) }
            guard let header = rows.first, header.line == 1 else {
                if parsed.completeLength == 0 {
                    // Only a torn header: start the file again.
                    try FileSystem.writeAll(fd, Array(CSV.record(columns).utf8), path: path)
                    try FileSystem.fsync(fd, path: path)
                    consumed = try FileSystem.status(fd: fd, path: path).st_size.asInt
                    nextLine = 2
                    return ([], [])
                }
                throw RecordsError.invalidFile(path: path, reason: "line 1 is not the header \(columns.joined(separator: ","))")
            }
            rows.removeFirst()
            if Array(header.fields.prefix(columns.count)) != columns {
                throw RecordsError.invalidFile(
                    path: path,
                    reason: "header is \(header.fields.joined(separator: ",")); expected \(columns.joined(separator: ","))")
            }
            issues.sort { $0.line < $1.line }
            return (rows, issues)
        }
    }

    /// Rows appended (by any process) since the last `load`/`refresh`/`append`.
    func refresh() throws -> (rows: [CSV.Record], issues: [RecordIssue]) {
        let size = try FileSystem.status(fd: fd, path: path).st_size.asInt
        if size == consumed { return ([], []) }
        if size < consumed {
            throw RecordsError.invalidFile(path: path, reason: "the file shrank from \(consumed) to \(size) bytes while open (edited by hand?)")
        }
        let bytes = try FileSystem.readToEnd(fd, path: path, from: consumed)
        let parsed = CSV.parse(bytes[...], firstLine: nextLine)
        consumed += parsed.completeLength
        nextLine += parsed.linesConsumed
        return (parsed.records, parsed.issues.map { RecordIssue(path: path, line: $0.line, reason: $0.reason) })
    }

    /// Appends one row durably (write + fsync). The caller folds it in through `refresh`, like
    /// rows written by other processes. Call inside `withExclusiveLock` when the decision to
    /// append depends on the current content (idempotence).
    func append(_ fields: [String]) throws {
        try FileSystem.writeAll(fd, Array(CSV.record(fields).utf8), path: path)
        try FileSystem.fsync(fd, path: path)
    }

    /// Runs `body` holding `flock(LOCK_EX)` on the file, so that a check-then-append is atomic
    /// across processes.
    func withExclusiveLock<T>(_ body: () throws -> T) throws -> T {
        try FileSystem.call("flock", path) { flock(fd, LOCK_EX) }
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }

    private func saveTornTail(_ tail: [UInt8]) throws {
        let tornPath = path + ".torn"
        let tornFD = try FileSystem.open(tornPath, O_WRONLY | O_APPEND | O_CREAT)
        defer { FileSystem.close(tornFD) }
        var bytes = tail
        if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        try FileSystem.writeAll(tornFD, bytes, path: tornPath)
        try FileSystem.fsync(tornFD, path: tornPath)
    }
}

extension FixedWidthInteger {
    var asInt: Int { Int(truncatingIfNeeded: self) }
}
