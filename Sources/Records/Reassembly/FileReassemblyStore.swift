import Foundation
import Logging
import Synchronization

/// `reassembly/<group>-<sequence>.json`, one file per part, each written atomically (temporary
/// file, fsync, rename, fsync of the folder). A file that cannot be read is renamed `*.bad`
/// (kept for a person, logged with its path) and skipped.
public final class FileReassemblyStore: ReassemblyStore, Sendable {
    public let directory: String
    private let logger: Logger
    private let gate = Mutex<Void>(())
    private let fileMode: mode_t

    public init(directory: String, permissions: RecordPermissions = .owner,
                logger: Logger = Logger(label: "smsagent.records.reassembly")) throws {
        self.directory = directory
        self.logger = logger
        fileMode = permissions.file
        try FileSystem.makeDirectory(directory, mode: permissions.directory)
    }

    public func save(_ part: StoredInboundPart) throws {
        guard part.total >= 1, (1...part.total).contains(part.sequence) else {
            throw RecordsError.invalidRecord("part \(part.sequence) of \(part.total) from \(part.originator)")
        }
        let encoder = RecordCoding.encoder()
        let bytes = Array(try encoder.encode(part)) + [UInt8(ascii: "\n")]
        try gate.withLock { _ in
            let file = directory + "/" + part.group.fileStem + "-" + String(part.sequence) + ".json"
            if FileSystem.exists(file) { return }
            try FileSystem.writeAtomically(bytes, to: file, mode: fileMode)
        }
    }

    public func all() throws -> [StoredInboundPart] {
        try gate.withLock { _ in
            let decoder = RecordCoding.decoder()
            var parts: [StoredInboundPart] = []
            for name in try FileSystem.listDirectory(directory).sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
                let file = directory + "/" + name
                do {
                    parts.append(try decoder.decode(StoredInboundPart.self, from: Data(try FileSystem.readFile(file))))
                } catch RecordsError.system(_, _, ENOENT) {
                    continue
                } catch {
                    logger.error("unreadable reassembly part set aside", metadata: ["file": "\(file)", "error": "\(error)"])
                    try? FileSystem.rename(file, file + ".bad")
                }
            }
            return parts.sorted { ($0.receivedAt, $0.sequence) < ($1.receivedAt, $1.sequence) }
        }
    }

    public func remove(_ group: ReassemblyGroupKey) throws {
        try gate.withLock { _ in
            let stem = group.fileStem + "-"
            var removed = false
            for name in try FileSystem.listDirectory(directory) where name.hasPrefix(stem) && name.hasSuffix(".json") {
                do {
                    try FileSystem.unlink(directory + "/" + name)
                    removed = true
                } catch RecordsError.system(_, _, ENOENT) {}
            }
            if removed { try FileSystem.fsyncDirectory(directory) }
        }
    }

    public func expired(before cutoff: Date) throws -> [ReassemblyGroupKey: [StoredInboundPart]] {
        let groups = Dictionary(grouping: try all(), by: \.group)
        return groups.filter { _, parts in (parts.map(\.receivedAt).min() ?? cutoff) < cutoff }
            .mapValues { $0.sorted { $0.sequence < $1.sequence } }
    }
}
