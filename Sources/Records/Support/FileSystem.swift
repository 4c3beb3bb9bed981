#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Every libc call of the `Records` layer goes through here: each wrapper retries on `EINTR`
/// and throws `RecordsError.system(operation:path:errno:)` naming the call and the path.
enum FileSystem {
    static let fileMode: mode_t = 0o600
    static let directoryMode: mode_t = 0o700

    /// Runs `body` until it does not fail with `EINTR`; a `-1` result becomes a typed error.
    @discardableResult
    static func call<T: FixedWidthInteger>(_ operation: String, _ path: String, _ body: () -> T) throws -> T {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw RecordsError.system(operation: operation, path: path, errno: code)
        }
    }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = fileMode) throws -> Int32 {
        try call("open", path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)   // close is never retried on Linux (the fd is gone either way)
    }

    /// Writes every byte or throws.
    static func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>, path: String) throws {
        let array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let n = try array.withUnsafeBytes { raw in
                try call("write", path) { Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset) }
            }
            offset += n
        }
    }

    static func fsync(_ fd: Int32, path: String) throws {
        try call("fsync", path) { Glibc.fsync(fd) }
    }

    /// Flushes every file of the file system that holds `path` to stable storage in one call
    /// (`syncfs(2)`, which reports write-back errors since Linux 5.8): one flush for a batch of
    /// files instead of an fsync each. `syncfs` is looked up at run time (Swift's Glibc module
    /// does not declare it); without it, `sync(2)`, which flushes every file system.
    static func syncFileSystem(containing path: String) throws {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        guard let syncfs = syncfsFunction else {
            Glibc.sync()
            return
        }
        try call("syncfs", path) { syncfs(fd) }
    }

    private typealias SyncFS = @convention(c) (Int32) -> Int32
    private static let syncfsFunction: SyncFS? = {
        guard let symbol = dlsym(nil, "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: SyncFS.self)
    }()

    /// Makes a rename or a file creation inside `directory` durable.
    static func fsyncDirectory(_ directory: String) throws {
        let fd = try open(directory, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: directory)
    }

    /// Makes the changes inside several directories durable in one round: one fsync each, all
    /// issued at once from their own threads, so that a journalling file system (ext4, xfs) serves
    /// them with one journal commit instead of one commit after the other. Every directory is
    /// synced even when one fails; the first error is thrown.
    static func fsyncDirectories(_ directories: [String]) throws {
        if directories.count <= 1 {
            for directory in directories { try fsyncDirectory(directory) }
            return
        }
        let failures = Mutex<[Int: any Error]>([:])
        DispatchQueue.concurrentPerform(iterations: directories.count) { index in
            do {
                try fsyncDirectory(directories[index])
            } catch {
                failures.withLock { $0[index] = error }
            }
        }
        if let first = failures.withLock({ $0.sorted { $0.key < $1.key }.first?.value }) { throw first }
    }

    static func rename(_ from: String, _ to: String) throws {
        try call("rename", "\(from) -> \(to)") { Glibc.rename(from, to) }
    }

    static func unlink(_ path: String) throws {
        try call("unlink", path) { Glibc.unlink(path) }
    }

    static func exists(_ path: String) -> Bool {
        var st = Glibc.stat()
        return libcStat(path, &st) == 0
    }

    static func status(_ path: String) throws -> Glibc.stat {
        var st = Glibc.stat()
        try call("stat", path) { libcStat(path, &st) }
        return st
    }

    static func status(fd: Int32, path: String) throws -> Glibc.stat {
        var st = Glibc.stat()
        try call("fstat", path) { libcFstat(fd, &st) }
        return st
    }

    static func ftruncate(_ fd: Int32, _ length: Int, path: String) throws {
        try call("ftruncate", path) { Glibc.ftruncate(fd, off_t(length)) }
    }

    /// Sets the exact mode of a file the agent created (the umask would otherwise change it).
    static func fchmod(_ fd: Int32, _ mode: mode_t, path: String) throws {
        try call("fchmod", path) { Glibc.fchmod(fd, mode) }
    }

    static func chmod(_ path: String, _ mode: mode_t) throws {
        try call("chmod", path) { Glibc.chmod(path, mode) }
    }

    /// Creates `path` (and its parents) with `mode` if missing; an existing directory is kept as is.
    static func makeDirectory(_ path: String, mode: mode_t = directoryMode) throws {
        if let st = try? status(path) {
            if (st.st_mode & S_IFMT) == S_IFDIR { return }
            throw RecordsError.system(operation: "mkdir", path: path, errno: ENOTDIR)
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path, !exists(parent) {
            try makeDirectory(parent, mode: mode)
        }
        while Glibc.mkdir(path, mode) != 0 {
            let code = errno
            if code == EINTR { continue }
            if code == EEXIST { return }
            throw RecordsError.system(operation: "mkdir", path: path, errno: code)
        }
        // mkdir honours the umask; set the exact mode we promise.
        try chmod(path, mode)
    }

    /// Reads a whole file.
    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        return try readToEnd(fd, path: path)
    }

    /// Reads from `offset` to the end of the file (which may grow meanwhile: reads until `pread`
    /// gives nothing), straight into the result, sized from `fstat` first.
    static func readToEnd(_ fd: Int32, path: String, from offset: Int = 0) throws -> [UInt8] {
        let size = (try? status(fd: fd, path: path).st_size.asInt) ?? 0
        var result = [UInt8](repeating: 0, count: max(size - offset, 0) + 65536)
        var filled = 0
        while true {
            if filled == result.count { result.append(contentsOf: repeatElement(0, count: max(result.count, 65536))) }
            let n = try result.withUnsafeMutableBytes { raw in
                try call("pread", path) {
                    Glibc.pread(fd, raw.baseAddress! + filled, raw.count - filled, off_t(offset + filled))
                }
            }
            if n == 0 { break }
            filled += n
        }
        result.removeSubrange(filled...)
        return result
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the file).
    static func read(_ fd: Int32, path: String, from offset: Int, count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try result.withUnsafeMutableBytes { raw in
                try call("pread", path) {
                    Glibc.pread(fd, raw.baseAddress! + filled, raw.count - filled, off_t(offset + filled))
                }
            }
            if n == 0 { break }
            filled += n
        }
        result.removeSubrange(filled...)
        return result
    }

    /// Writes `bytes` to `path` atomically: a temporary file in `temporaryDirectory` (same file
    /// system), fsync, rename over `path`, fsync of the target directory.
    ///
    /// The temporary directory is not fsynced: that would only make the temporary name's removal
    /// durable, and a name that comes back after a crash is a stale temporary file, removed at the
    /// next start. On the send path this is one fsync less per state change of a message.
    /// `syncDirectory: false` leaves the rename's durability to the caller, who must fsync the
    /// folder (`fsyncDirectories`) before anything relies on the new content being there.
    /// `alongsideFsync` runs on another thread while the temporary file is flushed (a journalling
    /// file system serves its own fsync and this one with one commit); the rename waits for both,
    /// and does not happen if it throws.
    static func writeAtomically(_ bytes: [UInt8], to path: String, temporaryDirectory: String? = nil,
                                mode: mode_t = fileMode, syncDirectory: Bool = true,
                                alongsideFsync: (@Sendable () throws -> Void)? = nil) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let tmpDir = temporaryDirectory ?? directory
        let tmp = tmpDir + "/." + name + "." + randomHex(6) + ".tmp"
        let fd = try open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
        do {
            try fchmod(fd, mode, path: tmp)
            try writeAll(fd, bytes, path: tmp)
            if let alongsideFsync {
                let failures = Mutex<[Int: any Error]>([:])
                DispatchQueue.concurrentPerform(iterations: 2) { index in
                    do {
                        if index == 0 { try fsync(fd, path: tmp) } else { try alongsideFsync() }
                    } catch {
                        failures.withLock { $0[index] = error }
                    }
                }
                if let first = failures.withLock({ $0.sorted { $0.key < $1.key }.first?.value }) { throw first }
            } else {
                try fsync(fd, path: tmp)
            }
            close(fd)
        } catch {
            close(fd)
            _ = Glibc.unlink(tmp)
            throw error
        }
        do {
            try rename(tmp, path)
        } catch {
            _ = Glibc.unlink(tmp)
            throw error
        }
        if syncDirectory { try fsyncDirectory(directory) }
    }

    /// Names in a directory (no `.` / `..`), unsorted.
    static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = Glibc.opendir(path) else {
            throw RecordsError.system(operation: "opendir", path: path, errno: errno)
        }
        defer { Glibc.closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = Glibc.readdir(dir) else {
                if errno != 0 { throw RecordsError.system(operation: "readdir", path: path, errno: errno) }
                break
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names
    }

    static func randomHex(_ byteCount: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<byteCount).map { _ in hex(UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
    }
}

private func libcStat(_ path: String, _ st: UnsafeMutablePointer<stat>) -> Int32 { stat(path, st) }
private func libcFstat(_ fd: Int32, _ st: UnsafeMutablePointer<stat>) -> Int32 { fstat(fd, st) }
