import Foundation
import Glibc
import Logging

/// An outbox that takes producers' requests from a data directory's drop box: a shared store (a
/// database) whose agents still offer `outbox/new/` to the programs that write files there.
public protocol RequestImporting: Sendable {
    /// Queues a producer's request under its id (the file's name), durably, before returning.
    /// `.alreadyQueued`: this same request is already stored (an import whose file removal was cut
    /// short by a crash). Another message under that id: `RecordsError.duplicateMessageID`.
    func importRequest(_ message: OutboxMessage) throws -> RequestImportOutcome
}

public enum RequestImportOutcome: Sendable, Equatable {
    case queued
    case alreadyQueued
}

/// Carries the requests producers drop in `outbox/new/` (`smsagent`'s JSON requests, smstools3
/// and gammu-smsd files — exactly what the files backend accepts there) into a shared outbox.
///
/// Durability: a file is removed from the drop box only after its row is committed; a crash
/// between the two leaves the file, and the next pass recognises its committed row
/// (`.alreadyQueued`) and removes it without queueing it twice. A file that is not a usable
/// request — or whose id is taken by another message — goes to `outbox/failed/` with a
/// `.reason` file beside it, as on files. When the shared outbox cannot be reached, the pass
/// stops and throws, leaving the remaining files where they are for the next pass.
public final class DropBoxImporter: Sendable {
    public struct Report: Sendable, Equatable {
        /// Requests queued by this pass.
        public var imported = 0
        /// Files whose request was already queued (an earlier pass cut short after its commit).
        public var alreadyQueued = 0
        public var rejected: [RejectedSpoolFile] = []
        public init() {}
    }

    let files: FileOutbox
    let target: any RequestImporting
    let logger: Logger

    public init(files: FileOutbox, into target: any RequestImporting, logger: Logger = Logger(label: "smsagent.records.dropbox")) {
        self.files = files
        self.target = target
        self.logger = logger
    }

    /// The drop box's path (`outbox/new/`).
    public var path: String { files.path(.new) }

    /// Imports every request in the drop box now (oldest name first, held ones too: the shared
    /// outbox holds them until their time). Throws the shared outbox's error when it cannot be
    /// written; what was imported before stays imported.
    public func importPending(now: Date = Date()) throws -> Report {
        var report = Report()
        let folder = files.path(.new)
        for name in try FileSystem.listDirectory(folder).sorted() {
            let source = folder + "/" + name
            let id = FileOutbox.id(fromFileName: name)
            if name.hasPrefix(".") {
                // A producer writing in place: left alone for a while, then refused as on files.
                guard let st = try? FileSystem.status(source),
                      TimeInterval(st.st_mtim.tv_sec) < now.timeIntervalSince1970 - FileOutbox.hiddenFileGrace else { continue }
                let reason = "hidden file (name starts with \".\") left in new/ for more than \(Int(FileOutbox.hiddenFileGrace / 60)) min: "
                    + "write the request elsewhere (outbox/tmp/) and rename it into new/ under a name without a leading dot"
                if let moved = try files.reject(source, name: name, id: id, reason: reason) { report.rejected.append(moved) }
                continue
            }
            let message: OutboxMessage
            do {
                guard let file = try files.readSpoolFile(source) else { continue }   // removed meanwhile
                message = try files.decodeSpoolFile(file, id: id, in: .new)
            } catch let problem as FileOutbox.SpoolProblem {
                if let moved = try files.reject(source, name: name, id: id, reason: problem.reason) { report.rejected.append(moved) }
                continue
            }
            do {
                switch try target.importRequest(message) {
                case .queued: report.imported += 1
                case .alreadyQueued: report.alreadyQueued += 1
                }
            } catch RecordsError.duplicateMessageID(_, let where_) {
                let reason = "a message named \(id) is already in \(where_); spool names must be unique"
                if let moved = try files.reject(source, name: name, id: id, reason: reason) { report.rejected.append(moved) }
                continue
            }
            // Committed: only now may the file go.
            do {
                try FileSystem.unlink(source)
            } catch RecordsError.system(_, _, ENOENT) {
                continue
            }
            try FileSystem.fsyncDirectory(folder)
        }
        if report.imported + report.alreadyQueued > 0 || !report.rejected.isEmpty {
            logger.info("drop box imported into the shared outbox", metadata: [
                "queued": "\(report.imported)", "already_queued": "\(report.alreadyQueued)", "rejected": "\(report.rejected.count)",
                "drop_box": "\(folder)"])
        }
        return report
    }
}
