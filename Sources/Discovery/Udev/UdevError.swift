import CUdev
#if canImport(Glibc)
import Glibc
#endif

/// Errors from libudev, with the call that failed and the errno it left.
public enum UdevError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A libudev call returned NULL or a negative status.
    case callFailed(call: String, errno: Int32)

    public var description: String {
        switch self {
        case let .callFailed(call, code):
            return "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}
