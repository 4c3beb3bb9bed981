#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// An append-only CSV file shared by every process that opens it (the agent and the `smsagent`
/// commands): rows are appended with one `write` + `fsync` under an exclusive `flock`, and each
/// reader folds in the rows other processes appended since it last looked (`refresh`), so an
/// in-memory index stays in step with the file at the cost of one `stat` + `fstat` per look.
///
/// A file replaced while open (a person saved it from an editor, which renames a new file over
/// it, or rewrote it shorter) is reopened and read again from the start: `Update.replaced`.
///
/// A last row without its newline is either a row written by hand (kept: the newline is added)
/// or an append cut short by a crash. A cut row was never acknowledged (the append had not
/// returned): when it does not have the header's number of fields it is copied to
/// `<file>.torn`, logged, and cut off the file.
final class AppendOnlyCSVFile {
    let path: String
    let columns: [String]
    /// The leading columns every file of this kind has; later ones were added since (a file
    /// written before them keeps its shorter header, and its rows have fewer fields).
    let requiredColumns: Int
    private let logger: Logger
    private var fd: Int32
    private var inode: ino_t = 0
    /// Bytes of the file already parsed (always the end of a complete record).
    private var consumed = 0
    private var nextLine = 1

    struct Update {
        var rows: [CSV.Record]
        var issues: [RecordIssue]
        /// The file was replaced: `rows` are all its rows, and earlier ones are void.
        var replaced = false
    }

    init(path: String, columns: [String], requiredColumns: Int? = nil, mode: mode_t = FileSystem.fileMode,
         logger: Logger = Logger(label: "smsagent.records")) throws {
        self.path = path
        self.columns = columns
        self.requiredColumns = min(requiredColumns ?? columns.count, columns.count)
        self.logger = logger
        let created = !FileSystem.exists(path)
        fd = try FileSystem.open(path, O_RDWR | O_APPEND | O_CREAT, mode: mode)
        if created {
            try FileSystem.fchmod(fd, mode, path: path)
            try? FileSystem.fsyncDirectory((path as NSString).deletingLastPathComponent)
        }
    }

    deinit { FileSystem.close(fd) }

    /// Reads the whole file (under the lock: settles an unterminated last row, writes the header
    /// of a new file).
    func load() throws -> Update {
        var rows: [CSV.Record] = []
        let issues = try load { record, _ in rows.append(record.materialized()) }
        return Update(rows: rows, issues: issues)
    }

    /// `load()` without making strings: hands every well-formed row after the header to `row`,
    /// with the file offset of its first byte, and returns the malformed rows by line.
    func load(rows row: (_ record: CSV.RawRecord, _ fileOffset: Int) throws -> Void) throws -> [RecordIssue] {
        try withExclusiveLock {
            inode = try FileSystem.status(fd: fd, path: path).st_ino
            let bytes = try FileSystem.readToEnd(fd, path: path)
            if bytes.allSatisfy({ $0 == 0x0A || $0 == 0x0D || $0 == 0x20 }) {
                if !bytes.isEmpty {
                    // A blank unterminated tail cannot be a row: set aside like any torn one.
                    let tail = bytes[((bytes.lastIndex(of: 0x0A) ?? -1) + 1)...]
                    if !tail.isEmpty && requiredColumns > 1 { try setAside(Array(tail)) }
                    try FileSystem.ftruncate(fd, 0, path: path)
                }
                try append(columns)
                consumed = try FileSystem.status(fd: fd, path: path).st_size.asInt
                nextLine = 2
                return []
            }
            var sawHeader = false
            func visit(_ record: CSV.RawRecord, base: Int) throws {
                if sawHeader { return try row(record, base + record.start) }
                guard record.line == 1 else {
                    throw RecordsError.invalidFile(path: path, reason: "line 1 is not the header \(columns.joined(separator: ","))")
                }
                let header = (0..<record.count).map { record.string($0) }
                if Array(header.prefix(requiredColumns)) != Array(columns.prefix(requiredColumns)) {
                    throw RecordsError.invalidFile(
                        path: path,
                        reason: "header is \(header.joined(separator: ",")); expected \(columns.joined(separator: ","))")
                }
                sawHeader = true
            }
            var summary = try bytes.withUnsafeBufferPointer { buffer in
                try CSV.scan(buffer) { record in try visit(record, base: 0) }
            }
            if summary.completeLength < bytes.count {
                let tail = Array(bytes[summary.completeLength...])
                let asRow = CSV.parse((tail + [0x0A])[...])
                if asRow.issues.isEmpty, asRow.records.count == 1, asRow.records[0].fields.count >= requiredColumns {
                    try FileSystem.writeAll(fd, [0x0A], path: path)   // a row typed without its newline
                    let base = summary.completeLength
                    let tailSummary = try (tail + [0x0A]).withUnsafeBufferPointer { buffer in
                        try CSV.scan(buffer, firstLine: 1 + summary.linesConsumed) { record in try visit(record, base: base) }
                    }
                    summary.completeLength += tailSummary.completeLength
                    summary.linesConsumed += tailSummary.linesConsumed
                    summary.issues += tailSummary.issues
                } else {
                    try setAside(tail)
                    try FileSystem.ftruncate(fd, summary.completeLength, path: path)
                }
                try FileSystem.fsync(fd, path: path)
            }
            guard sawHeader else {
                throw RecordsError.invalidFile(path: path, reason: "line 1 is not the header \(columns.joined(separator: ","))")
            }
            consumed = summary.completeLength
            nextLine = 1 + summary.linesConsumed
            return summary.issues.map { RecordIssue(path: path, line: $0.line, reason: $0.reason) }.sorted { $0.line < $1.line }
        }
    }

    /// Rows appended (by any process) since the last look; everything if the file was replaced.
    func refresh() throws -> Update {
        var rows: [CSV.Record] = []
        var replaced = false
        let issues = try refresh(restart: { replaced = true }) { record, _ in rows.append(record.materialized()) }
        return Update(rows: rows, issues: issues, replaced: replaced)
    }

    /// `refresh()` without making strings. When the file was replaced, `restart` is called first
    /// and then every row of the new file comes to `row`.
    func refresh(restart: () -> Void, rows row: (_ record: CSV.RawRecord, _ fileOffset: Int) throws -> Void) throws -> [RecordIssue] {
        let current: Glibc.stat
        do {
            current = try FileSystem.status(path)
        } catch RecordsError.system(_, _, ENOENT) {
            throw RecordsError.invalidFile(path: path, reason: "the file was removed while in use; restore it (the agent keeps no other copy)")
        }
        let size = current.st_size.asInt
        if current.st_ino == inode && size == consumed { return [] }
        if current.st_ino != inode || size < consumed {
            logger.notice("record file replaced while open: reading it again", metadata: ["file": "\(path)"])
            let fresh = try FileSystem.open(path, O_RDWR | O_APPEND)
            FileSystem.close(fd)
            fd = fresh
            restart()
            return try load(rows: row)
        }
        let bytes = try FileSystem.readToEnd(fd, path: path, from: consumed)
        let base = consumed
        let summary = try bytes.withUnsafeBufferPointer { buffer in
            try CSV.scan(buffer, firstLine: nextLine) { record in try row(record, base + record.start) }
        }
        consumed += summary.completeLength
        nextLine += summary.linesConsumed
        return summary.issues.map { RecordIssue(path: path, line: $0.line, reason: $0.reason) }
    }

    /// Every row already folded in (up to what `load`/`refresh` consumed), header excluded, read
    /// again from the file without changing it: for listings that need the whole history.
    func scanConsumed(rows row: (_ record: CSV.RawRecord, _ fileOffset: Int) throws -> Void) throws {
        var bytes = try FileSystem.readToEnd(fd, path: path)
        if bytes.count > consumed { bytes.removeSubrange(consumed...) }
        var sawHeader = false
        _ = try bytes.withUnsafeBufferPointer { buffer in
            try CSV.scan(buffer) { record in
                if sawHeader { try row(record, record.start) } else { sawHeader = true }
            }
        }
    }

    /// The record that starts at `offset` (a row `load`/`refresh` handed over), read again.
    func record(at offset: Int) throws -> CSV.Record? {
        var length = 4096
        while true {
            let bytes = try FileSystem.read(fd, path: path, from: offset, count: length)
            var found: CSV.Record?
            let summary = bytes.withUnsafeBufferPointer { buffer in
                CSV.scan(buffer, firstLine: 2) { record in
                    if found == nil { found = record.materialized() }
                }
            }
            if found != nil || summary.completeLength > 0 || bytes.count < length { return found }
            length *= 4
        }
    }

    /// Appends one row durably (write + fsync). The caller folds it in through `refresh`, like
    /// rows written by other processes. Call inside `withExclusiveLock` when the decision to
    /// append depends on the current content (idempotence).
    func append(_ fields: [String]) throws {
        try FileSystem.writeAll(fd, Array(CSV.record(fields).utf8), path: path)
        try FileSystem.fsync(fd, path: path)
    }

    /// Appends many rows with one `write` and one `fsync` (an import): none is acknowledged
    /// before all are durable. A crash in the middle leaves whole rows and at most one torn last
    /// row, which the next `load` sets aside.
    func append(rows: [[String]]) throws {
        guard !rows.isEmpty else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.count * 96)
        for fields in rows { bytes.append(contentsOf: CSV.record(fields).utf8) }
        try FileSystem.writeAll(fd, bytes, path: path)
        try FileSystem.fsync(fd, path: path)
    }

    /// Runs `body` holding `flock(LOCK_EX)` on the file, so that a check-then-append is atomic
    /// across processes.
    func withExclusiveLock<T>(_ body: () throws -> T) throws -> T {
        try FileSystem.call("flock", path) { flock(fd, LOCK_EX) }
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }

    private func setAside(_ tail: [UInt8]) throws {
        let tornPath = path + ".torn"
        let tornFD = try FileSystem.open(tornPath, O_WRONLY | O_APPEND | O_CREAT)
        defer { FileSystem.close(tornFD) }
        try FileSystem.writeAll(tornFD, tail + [0x0A], path: tornPath)
        try FileSystem.fsync(tornFD, path: tornPath)
        logger.warning("an unfinished last row (a write cut by a crash) was moved aside", metadata: [
            "file": "\(path)", "moved_to": "\(tornPath)", "row": "\(String(decoding: tail, as: UTF8.self))",
        ])
    }
}

extension FixedWidthInteger {
    var asInt: Int { Int(truncatingIfNeeded: self) }
}

/// The in-memory fold of an append-only CSV file (opt-outs, confirmations, the ledger), kept in
/// step with what other processes append to it.
protocol FoldedCSVState {
    var file: AppendOnlyCSVFile { get }
    var failure: RecordsError? { get set }
    /// A fresh fold of `file` once it was replaced (an editor rewrote it), keeping what is not the file's.
    func restarted() -> Self
}

extension FoldedCSVState {
    /// Folds in rows appended since the last look. A malformed row appended while open makes
    /// this and every later call fail (the same error), never silently skipped.
    mutating func refresh(fold: (_ rows: [CSV.Record], _ issues: [RecordIssue], _ state: inout Self) throws -> Void) throws {
        let update = try file.refresh()
        if update.replaced { self = restarted() }
        if let failure { throw failure }
        if update.rows.isEmpty && update.issues.isEmpty { return }
        do {
            try fold(update.rows, update.issues, &self)
        } catch let error as RecordsError {
            failure = error
            throw error
        }
    }
}
