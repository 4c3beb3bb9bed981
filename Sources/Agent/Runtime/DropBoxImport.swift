import Foundation
import Logging
import Records

/// With shared records (`records.backend: postgres`) the data directory's drop box
/// (`outbox/new/`) stays open to the programs that write files there: this loop carries each
/// request into the shared outbox (`DropBoxImporter`) at start, at every arrival (inotify), and —
/// while the database cannot be reached — again after a growing pause (1 s doubling up to 30 s),
/// the files staying in the drop box meanwhile. Its file and database I/O run on a dedicated
/// thread, never on the cooperative pool.
actor DropBoxImport {
    private nonisolated let recordsExecutor = RecordsExecutor(name: "smsagent-dropbox")
    nonisolated var unownedExecutor: UnownedSerialExecutor { recordsExecutor.asUnownedSerialExecutor() }

    let importer: DropBoxImporter
    let logger: Logger
    let bell = Doorbell()
    static let firstRetry: Duration = .seconds(1)
    static let longestRetry: Duration = .seconds(30)

    init(importer: DropBoxImporter, logger: Logger) {
        self.importer = importer
        self.logger = logger
    }

    /// A file arrived: import at the next turn.
    nonisolated func ring() { bell.ring() }

    /// One pass; the pause before the next one if it could not finish (nil: it did).
    func pass() -> Duration? {
        do {
            _ = try importer.importPending()
            return nil
        } catch {
            logger.warning("cannot import the drop box into the shared outbox; its files stay there until it can",
                           metadata: ["drop_box": "\(importer.path)", "error": "\(error)"])
            return Self.firstRetry
        }
    }

    /// Imports until the task is cancelled.
    func run() async {
        var retry: Duration?
        while !Task.isCancelled {
            if let pause = pass() {
                retry = min(Self.longestRetry, retry.map { $0 * 2 } ?? pause)
            } else {
                retry = nil
            }
            await bell.wait(upTo: retry)
        }
    }
}
