import Foundation
import Logging
import Records
import Synchronization

/// Opens the records a configuration asks for. `files` is built in; a shared backend
/// (`records.backend: postgres`) is registered by the program at start
/// (`AgentPostgres.register()`), so that the `Agent` layer does not depend on a database client.
public enum RecordsBackends {
    /// Records opened on a shared backend, and how to let them go.
    public struct Opened: Sendable {
        public var records: RecordSet
        public var close: @Sendable () -> Void
        public init(records: RecordSet, close: @escaping @Sendable () -> Void) {
            self.records = records
            self.close = close
        }
    }

    /// What opens a shared backend. `agent`: for `smsagent run` (apply migrations, listen for
    /// notifications, renew leases); commands only read and write records.
    public typealias Opener = @Sendable (_ configuration: AgentConfiguration, _ agent: Bool, _ logger: Logger) throws -> Opened

    public enum OpenError: Error, CustomStringConvertible {
        case backendNotAvailable(String)
        public var description: String {
            switch self {
            case .backendNotAvailable(let name): "records.backend: \(name) is not available in this program"
            }
        }
    }

    private static let openers = Mutex<[RecordsSettings.Backend: Opener]>([:])

    public static func register(_ backend: RecordsSettings.Backend, _ opener: @escaping Opener) {
        openers.withLock { $0[backend] = opener }
    }

    /// The shared records of `configuration`, or nil for `files`.
    public static func openShared(_ configuration: AgentConfiguration, agent: Bool, logger: Logger) throws -> Opened? {
        let backend = configuration.records.backend
        guard backend != .files else { return nil }
        guard let opener = openers.withLock({ $0[backend] }) else { throw OpenError.backendNotAvailable(backend.rawValue) }
        return try opener(configuration, agent, logger)
    }
}
