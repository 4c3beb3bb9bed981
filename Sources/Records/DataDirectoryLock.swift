#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Holds `flock(LOCK_EX)` on `<data>/smsagent.lock` so that one agent at a time works on a data
/// directory. The file holds the holder's PID (for the error a second agent gets). The lock is
/// the kernel's: it goes away with the process, also after `kill -9`, so a stale file never blocks.
public final class DataDirectoryLock: Sendable {
    public let path: String
    private let descriptor: Mutex<Int32?>

    /// Takes the lock or throws `RecordsError.locked(path:holderPID:)` at once (no waiting).
    public init(path: String, pid: Int32 = getpid()) throws {
        self.path = path
        let fd = try FileSystem.open(path, O_RDWR | O_CREAT)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            defer { FileSystem.close(fd) }
            if code == EWOULDBLOCK {
                let holder = (try? FileSystem.readToEnd(fd, path: path))
                    .flatMap { Int32(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) }
                throw RecordsError.locked(path: path, holderPID: holder)
            }
            throw RecordsError.system(operation: "flock", path: path, errno: code)
        }
        do {
            try FileSystem.ftruncate(fd, 0, path: path)
            let text = Array("\(pid)\n".utf8)
            try text.withUnsafeBytes { raw in
                _ = try FileSystem.call("pwrite", path) { pwrite(fd, raw.baseAddress!, raw.count, 0) }
            }
            try FileSystem.fsync(fd, path: path)
        } catch {
            FileSystem.close(fd)
            throw error
        }
        descriptor = Mutex(fd)
    }

    /// Releases the lock (also done when the object goes away). Idempotent.
    public func release() {
        descriptor.withLock { fd in
            guard let open = fd else { return }
            _ = try? FileSystem.ftruncate(open, 0, path: path)
            _ = flock(open, LOCK_UN)
            FileSystem.close(open)
            fd = nil
        }
    }

    public var isHeld: Bool { descriptor.withLock { $0 != nil } }

    deinit { release() }

    /// The PID recorded in a lock file, if any (whether or not it is still held).
    public static func recordedHolder(path: String) -> Int32? {
        guard let bytes = try? FileSystem.readFile(path) else { return nil }
        return Int32(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
