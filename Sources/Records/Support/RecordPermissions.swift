#if canImport(Glibc)
import Glibc
#endif

/// Modes of the files and folders the agent creates. `owner` (0600/0700) by default; `group`
/// (0640/0750) lets an operators' group read the records. The process umask still applies.
/// The HMAC key and the lock file are always 0600.
public struct RecordPermissions: Sendable, Equatable {
    public var file: mode_t
    public var directory: mode_t

    public init(file: mode_t, directory: mode_t) {
        self.file = file
        self.directory = directory
    }

    public static let owner = RecordPermissions(file: 0o600, directory: 0o700)
    public static let group = RecordPermissions(file: 0o640, directory: 0o750)
}
