#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Synchronization

/// What changed in the watched folders, as inotify told it: file names, not a re-listing.
public struct FolderChange: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A file arrived (renamed in, or written and closed).
        case arrived
        /// A file was appended to or rewritten in place.
        case modified
        /// A file left (renamed away or deleted).
        case left
    }

    /// Index of the folder in the watcher's `folders`.
    public var folder: Int
    public var name: String
    public var kind: Kind
}

/// One batch of changes. `overflowed` says the kernel dropped events (its queue was full): what
/// the batch lists is then incomplete, and a reader must look at the folders again.
public struct FolderChanges: Sendable, Equatable {
    public var changes: [FolderChange] = []
    public var overflowed = false
}

/// Watches several folders with one inotify descriptor, on a thread of its own that sleeps in
/// `poll(2)` (no timer), and yields what changed in batches — one per burst of events, so a
/// campaign of a thousand renames wakes the reader a few times, not a thousand. Hidden files
/// (a leading dot: temporary files before their rename) are left out. The stream finishes on
/// `stop()` or once every watched folder is gone.
public final class FolderWatcher: Sendable {
    public let folders: [String]
    public let changes: AsyncStream<FolderChanges>
    private let stopWrite: Int32
    private let finished = Mutex(false)
    private let done = DispatchSemaphore(value: 0)

    /// `modifications`: also report files written in place (`IN_MODIFY`: every append to a CSV file).
    public init(folders: [String], modifications: Bool = false, label: String = "smsagent.folder-watcher",
                logger: Logger = Logger(label: "smsagent.records.watcher")) throws {
        self.folders = folders
        let inotifyFD = try FileSystem.call("inotify_init1", folders.first ?? "") { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        var watches: [Int32: Int] = [:]
        var mask = UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR)
        if modifications { mask |= UInt32(IN_MODIFY) }
        var pipeFDs: [Int32] = [-1, -1]
        do {
            for (index, folder) in folders.enumerated() {
                let wd = try FileSystem.call("inotify_add_watch", folder) { inotify_add_watch(inotifyFD, folder, mask) }
                watches[wd] = index
            }
            try FileSystem.call("pipe", folders.first ?? "") { pipe(&pipeFDs) }
            for fd in pipeFDs {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, O_NONBLOCK)
            }
        } catch {
            FileSystem.close(inotifyFD)
            throw error
        }
        stopWrite = pipeFDs[1]
        let stopRead = pipeFDs[0]
        let (stream, continuation) = AsyncStream.makeStream(of: FolderChanges.self, bufferingPolicy: .unbounded)
        changes = stream
        let done = self.done
        let thread = Thread { [watches] in
            Self.run(inotifyFD: inotifyFD, stopFD: stopRead, watches: watches, continuation: continuation, logger: logger)
            FileSystem.close(inotifyFD)
            FileSystem.close(stopRead)
            continuation.finish()
            done.signal()
        }
        thread.name = label
        thread.start()
    }

    /// Stops watching and waits for the thread to end; `changes` finishes. Idempotent.
    public func stop() {
        let first = finished.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(stopWrite, &byte, 1)
        done.wait()
        FileSystem.close(stopWrite)
    }

    deinit { stop() }

    private static func run(inotifyFD: Int32, stopFD: Int32, watches: [Int32: Int],
                            continuation: AsyncStream<FolderChanges>.Continuation, logger: Logger) {
        var fds = [pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var live = Set(watches.keys)
        while true {
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("poll failed; the folder watcher stops", metadata: ["errno": "\(errno)"])
                return
            }
            if fds[1].revents != 0 { return }
            guard fds[0].revents != 0 else { continue }
            var batch = FolderChanges()
            while true {
                let n = buffer.withUnsafeMutableBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return -1 }
                    return read(inotifyFD, base, raw.count)
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    break   // EAGAIN: drained
                }
                if n == 0 { break }
                var offset = 0
                let header = 16
                while offset + header <= n {
                    let (wd, mask, length) = buffer.withUnsafeBytes { raw in
                        (raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                         raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                         Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
                    }
                    let end = min(n, offset + header + length)
                    let nameBytes = buffer[(offset + header)..<end].prefix { $0 != 0 }
                    offset = end
                    if mask & UInt32(IN_Q_OVERFLOW) != 0 { batch.overflowed = true }
                    if mask & UInt32(IN_IGNORED) != 0 {
                        live.remove(wd)
                        continue
                    }
                    guard let folder = watches[wd], !nameBytes.isEmpty, nameBytes.first != UInt8(ascii: ".") else { continue }
                    let kind: FolderChange.Kind
                    if mask & UInt32(IN_MOVED_TO | IN_CLOSE_WRITE) != 0 {
                        kind = .arrived
                    } else if mask & UInt32(IN_MOVED_FROM | IN_DELETE) != 0 {
                        kind = .left
                    } else if mask & UInt32(IN_MODIFY) != 0 {
                        kind = .modified
                    } else {
                        continue
                    }
                    batch.changes.append(FolderChange(folder: folder, name: String(decoding: nameBytes, as: UTF8.self), kind: kind))
                }
            }
            if !batch.changes.isEmpty || batch.overflowed { continuation.yield(batch) }
            if live.isEmpty {
                logger.warning("every watched folder was removed; the folder watcher stops")
                return
            }
        }
    }
}
