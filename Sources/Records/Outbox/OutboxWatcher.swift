#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Synchronization

/// Tells the agent at once that a file arrived in `outbox/new/` (inotify `IN_MOVED_TO` — the
/// Maildir rename — and `IN_CLOSE_WRITE` — a program writing in place), with no timer: an idle
/// agent sleeps in `poll(2)` on a dedicated thread.
///
/// `events` yields `()` once per burst (a campaign of a thousand renames wakes the reader a few
/// times, not a thousand): the reader then claims until the outbox is empty. The stream finishes
/// on `stop()`, or if the folder is deleted.
public final class OutboxWatcher: Sendable {
    public let directory: String
    public let events: AsyncStream<Void>
    private let stopWrite: Int32
    private let finished: Mutex<Bool>
    private let done = DispatchSemaphore(value: 0)

    /// `also`: more folders whose arrivals wake the reader the same way (the agent's own queue
    /// `outbox/queued/` beside the drop box).
    public init(directory: String, also: [String] = [], logger: Logger = Logger(label: "smsagent.records.watcher")) throws {
        self.directory = directory
        let inotifyFD = try FileSystem.call("inotify_init1", directory) { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        do {
            for watched in [directory] + also {
                try FileSystem.call("inotify_add_watch", watched) {
                    inotify_add_watch(inotifyFD, watched, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR))
                }
            }
        } catch {
            FileSystem.close(inotifyFD)
            throw error
        }
        var pipeFDs: [Int32] = [-1, -1]
        do {
            try FileSystem.call("pipe", directory) { pipe(&pipeFDs) }
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
        finished = Mutex(false)
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        events = stream
        let done = self.done
        let path = directory
        let thread = Thread {
            Self.run(inotifyFD: inotifyFD, stopFD: stopRead, continuation: continuation, path: path, logger: logger)
            FileSystem.close(inotifyFD)
            FileSystem.close(stopRead)
            continuation.finish()
            done.signal()
        }
        thread.name = "smsagent.outbox-watcher"
        thread.start()
    }

    /// Stops watching and waits for the thread to end; `events` finishes. Idempotent.
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

    private static func run(inotifyFD: Int32, stopFD: Int32, continuation: AsyncStream<Void>.Continuation,
                            path: String, logger: Logger) {
        var fds = [pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("poll failed; outbox watcher stops", metadata: ["dir": "\(path)", "errno": "\(errno)"])
                return
            }
            if fds[1].revents != 0 { return }
            guard fds[0].revents != 0 else { continue }
            var wake = false
            var gone = false
            while true {
                let n = buffer.withUnsafeMutableBytes { read(inotifyFD, $0.baseAddress!, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    break   // EAGAIN: drained
                }
                if n == 0 { break }
                var offset = 0
                while offset + 16 <= n {
                    let mask = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self) }
                    let length = Int(buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self) })
                    let nameBytes = buffer[(offset + 16)..<min(n, offset + 16 + length)].prefix { $0 != 0 }
                    if mask & UInt32(IN_IGNORED) != 0 { gone = true }
                    if mask & UInt32(IN_Q_OVERFLOW) != 0 { wake = true }
                    if mask & UInt32(IN_MOVED_TO | IN_CLOSE_WRITE) != 0, nameBytes.first != UInt8(ascii: ".") { wake = true }
                    offset += 16 + length
                }
            }
            if wake { continuation.yield(()) }
            if gone {
                logger.warning("outbox folder removed; watcher stops", metadata: ["dir": "\(path)"])
                return
            }
        }
    }
}
