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
    /// For a data directory shared with operators (group `smsagent`): files 0660, directories
    /// setgid 2770, so what the CLI of any member creates stays readable and writable by the
    /// service and the other members.
    public static let sharedWithGroup = RecordPermissions(file: 0o660, directory: 0o2770)

    /// `.sharedWithGroup` when `path` is a setgid directory (as the package's tmpfiles.d entry
    /// creates /var/lib/smsagent), else `.owner`: the installation decides, once, by the mode of
    /// the data directory itself.
    public static func matching(dataDirectory path: String) -> RecordPermissions {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, (info.st_mode & S_ISGID) != 0 else { return .owner }
        return .sharedWithGroup
    }
}
