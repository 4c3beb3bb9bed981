import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A self-pipe that wakes the hotplug thread when the stream's consumer goes away.
/// Both ends are closed when the last owner (the thread or the stream's termination handler) lets go.
final class WakePipe: @unchecked Sendable {
    // @unchecked: the descriptors are immutable after init; write/read on a pipe are thread-safe.
    let readEnd: Int32
    let writeEnd: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw UdevError.callFailed(call: "pipe", errno: errno)
        }
        readEnd = fds[0]
        writeEnd = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
    }

    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }
}
