#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Synchronization

/// The outbox as a Maildir-style spool: `outbox/{tmp,new,sending,sent,failed}/<id>.json`.
///
/// - Intake: any program writes a file in `outbox/tmp/` (or anywhere on the same file system)
///   and renames it into `outbox/new/`; a rename is atomic, so a half-written file is never seen.
/// - Claim: `rename(new/x, sending/<id>.json)`; oldest first by file name (our ids sort by time).
/// - Every change of a claimed message rewrites its file atomically (temporary file in `tmp/`,
///   fsync, rename, fsync of the folder), so the file a person opens is always whole.
/// - A file that cannot be read as a message is moved to `failed/` with a `<name>.reason` file
///   beside it (invariant 7), and the claim goes on with the next file.
public final class FileOutbox: Outbox, Sendable {
    public let root: String
    /// Files larger than this are refused (moved to `failed/`).
    public static let maximumFileSize = 1 << 20
    private let logger: Logger
    private let fileMode: mode_t
    /// Serialises this process's changes of the spool (the data-directory lock keeps other agents
    /// out), and holds what it knows of the claimable files.
    private let gate = Mutex<Spool>(Spool())

    /// The claimable files as this process knows them (`OutboxIndex`), built by one listing at
    /// the first claim and kept current by inotify on `new/` and `queued/`, so a claim neither
    /// lists nor sorts the folders. Commands that only enqueue never build it.
    fileprivate struct Spool {
        var index = OutboxIndex()
        var built = false
        /// inotify on `new/` and `queued/`; nil before the first claim, or when inotify is not
        /// available (then every claim lists the folders, as without an index).
        var watch: SpoolWatch?
        var watchUnavailable = false
        /// Hidden files seen in `new/` (a producer writing in place), checked at each claim.
        var hidden: Set<String> = []
        /// Folders whose entries changed with no fsync yet, synced by the next step that syncs a
        /// folder (`syncFolders`): where a claim renamed a file to (`sending/`), and where a
        /// completed message was removed from once its `sent/` file was durable (`sending/`)...
        var unsynced: Set<OutboxFolder> = []
        /// ... and where a claim renamed a file from (`new/`, `queued/`): synced after the
        /// others, so that a file is never durably gone from its old folder before it is durably
        /// in its new one (on a file system whose renames are not atomic across a crash).
        var unsyncedSources: Set<OutboxFolder> = []
    }

    public init(root: String, permissions: RecordPermissions = .owner,
                logger: Logger = Logger(label: "smsagent.records.outbox")) throws {
        self.root = root
        self.logger = logger
        fileMode = permissions.file
        try FileSystem.makeDirectory(root, mode: permissions.directory)
        for folder in OutboxFolder.allCases {
            try FileSystem.makeDirectory(path(folder), mode: permissions.directory)
        }
    }

    public func path(_ folder: OutboxFolder) -> String { root + "/" + folder.rawValue }

    public func path(_ folder: OutboxFolder, id: String) -> String { path(folder) + "/" + id + ".json" }

    // MARK: Intake

    /// An ordinary message (no `kind`, no attempts, no result) is written to the drop box `new/`
    /// as a producer's request (`OutboxRequest`: exactly what another program may write there).
    /// The agent's own messages — replies with a `kind` — go to `queued/`, which producers never
    /// write, so a file in `new/` can never pass for one of them (DESIGN.md invariant 8).
    public func enqueue(_ message: OutboxMessage) throws {
        let (folder, bytes) = try spoolForm(of: message)
        try gate.withLock { spool in
            try checkUnused(message.id)
            try FileSystem.writeAtomically(bytes, to: path(folder, id: message.id), temporaryDirectory: path(.tmp), mode: fileMode)
            spool.learn(message.id, in: folder, notBefore: message.notBefore)
        }
    }

    /// Adds many messages with one flush of the file system instead of an fsync per file: every
    /// message is written to its own temporary file in `tmp/`, the file system is synced once
    /// (`syncfs`), then each file is renamed into `new/` (or `queued/`) and each folder is synced
    /// once. A crash at any point leaves each message either whole in its folder or absent (its
    /// temporary file is removed at a later start), never a partial file where it is claimed from.
    ///
    /// Nothing is written when an id is malformed, repeated in the batch or already used (the
    /// same rule as `enqueue`). Returns how many messages were queued (all of them).
    /// - Throws: `OutboxBatchError` when it failed after some messages were already renamed in
    ///   (they are queued and durable; the others are not).
    @discardableResult
    public func enqueue(contentsOf messages: [OutboxMessage]) throws -> Int {
        guard !messages.isEmpty else { return 0 }
        let encoder = RecordCoding.encoder()
        var forms: [(folder: OutboxFolder, bytes: [UInt8])] = []
        forms.reserveCapacity(messages.count)
        var ids = Set<String>()
        for message in messages {
            guard ids.insert(message.id).inserted else {
                throw RecordsError.duplicateMessageID(id: message.id, folder: "the same batch")
            }
            forms.append(try spoolForm(of: message, encoder: encoder))
        }
        return try gate.withLock { spool in
            for message in messages { try checkUnused(message.id) }
            var temporaries: [String] = []
            temporaries.reserveCapacity(messages.count)
            var renamed = 0
            var folders = Set<OutboxFolder>()
            do {
                for (message, form) in zip(messages, forms) {
                    let temporary = path(.tmp) + "/." + message.id + ".json." + FileSystem.randomHex(6) + ".tmp"
                    let fd = try FileSystem.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: fileMode)
                    temporaries.append(temporary)
                    defer { FileSystem.close(fd) }
                    try FileSystem.fchmod(fd, fileMode, path: temporary)
                    try FileSystem.writeAll(fd, form.bytes, path: temporary)
                }
                try FileSystem.syncFileSystem(containing: path(.tmp))
                for ((message, form), temporary) in zip(zip(messages, forms), temporaries) {
                    try FileSystem.rename(temporary, path(form.folder, id: message.id))
                    folders.insert(form.folder)
                    renamed += 1
                }
                for folder in OutboxFolder.allCases where folders.contains(folder) { try FileSystem.fsyncDirectory(path(folder)) }
            } catch {
                for temporary in temporaries.dropFirst(renamed) { _ = try? FileSystem.unlink(temporary) }
                guard renamed > 0 else { throw error }
                for folder in OutboxFolder.allCases where folders.contains(folder) { try? FileSystem.fsyncDirectory(path(folder)) }
                throw OutboxBatchError(queued: renamed, underlying: error)
            }
            for (message, form) in zip(messages, forms) { spool.learn(message.id, in: form.folder, notBefore: message.notBefore) }
            return renamed
        }
    }

    /// Where a message goes and its bytes there. An ordinary message (no `kind`, no attempts,
    /// no result) is written to the drop box `new/` as a producer's request (`OutboxRequest`:
    /// exactly what another program may write there). The agent's own messages — replies with a
    /// `kind` — go to `queued/`, which producers never write, so a file in `new/` can never pass
    /// for one of them (DESIGN.md invariant 8).
    private func spoolForm(of message: OutboxMessage, encoder: JSONEncoder = RecordCoding.encoder()) throws -> (OutboxFolder, [UInt8]) {
        try Self.validateID(message.id)
        let isAgentMessage = message.kind != nil || !message.attempts.isEmpty || message.result != nil
        if isAgentMessage { return (.queued, Array(try encoder.encode(message)) + [UInt8(ascii: "\n")]) }
        return (.new, try OutboxRequest(to: message.to, text: message.text, messageClass: message.messageClass,
                                        campaign: message.campaign, notBefore: message.notBefore,
                                        createdAt: message.createdAt).encoded(with: encoder))
    }

    /// An id names one message for ever: enqueueing it again must not send it twice.
    private func checkUnused(_ id: String) throws {
        for folder in Self.messageFolders where FileSystem.exists(path(folder, id: id)) {
            throw RecordsError.duplicateMessageID(id: id, folder: path(folder))
        }
    }

    // MARK: Claim

    public func claimNext(now: Date) throws -> ClaimedMessage? {
        try gate.withLock { spool -> ClaimedMessage? in
            try refreshIndex(&spool)
            var rejected: [RejectedSpoolFile] = try rejectStaleHiddenFiles(&spool)
            while let key = spool.index.next(now: now) {
                let (name, folder) = (key.name, key.folder)
                let source = path(folder) + "/" + name
                let id = Self.id(fromFileName: name)
                let message: OutboxMessage
                do {
                    guard let file = try readSpoolFile(source) else {   // taken meanwhile
                        spool.index.remove(key)
                        continue
                    }
                    message = try decodeSpoolFile(file, id: id, in: folder)
                } catch let problem as SpoolProblem {
                    spool.index.remove(key)
                    if let moved = try reject(source, name: name, id: id, reason: problem.reason) {
                        rejected.append(moved)
                    }
                    continue
                }
                if let notBefore = message.notBefore, notBefore > now {
                    spool.index.hold(key, until: notBefore)
                    continue
                }
                if let folder = [OutboxFolder.sending, .sent].first(where: { FileSystem.exists(path($0, id: id)) }) {
                    // Renaming over it would lose that message's record, or send one twice.
                    spool.index.remove(key)
                    if let moved = try reject(source, name: name, id: id,
                                              reason: "a message named \(id) is already in \(path(folder)); spool names must be unique") {
                        rejected.append(moved)
                    }
                    continue
                }
                let target = path(.sending, id: id)
                do {
                    try FileSystem.rename(source, target)
                } catch RecordsError.system(_, _, ENOENT) {
                    spool.index.remove(key)
                    continue
                }
                spool.index.remove(key)
                // Durable with the message's next step (its attempt's marker, its completion or
                // its requeue), which syncs these folders with its own: nothing is sent or
                // reported in between, and a crash before it leaves the message queued.
                spool.unsynced.insert(.sending)
                spool.unsyncedSources.insert(folder)
                return ClaimedMessage(message: message, rejected: rejected)
            }
            return nil   // rejections (if any) were logged by `reject`
        }
    }

    public func earliestHeldUntil() throws -> Date? {
        try gate.withLock { spool in
            try refreshIndex(&spool)
            return spool.index.earliestHeldUntil()
        }
    }

    /// Brings the index up to date: the first time (or without inotify) by listing `new/` and
    /// `queued/`, afterwards from the inotify events since the last look (a full listing again
    /// only if the kernel's event queue overflowed).
    private func refreshIndex(_ spool: inout Spool) throws {
        if spool.watch == nil && !spool.watchUnavailable {
            do {
                spool.watch = try SpoolWatch(folders: [(path(.new), .new), (path(.queued), .queued)])
            } catch {
                spool.watchUnavailable = true
                logger.warning("no inotify on the outbox: every claim lists the folders", metadata: ["error": "\(error)"])
            }
        }
        if let watch = spool.watch, spool.built {
            var overflowed = false
            watch.drain { event in
                switch event {
                case let .added(name, folder):
                    if name.hasPrefix(".") {
                        if folder == .new { spool.hidden.insert(name) }
                    } else {
                        spool.index.insert(OutboxIndex.Key(name: name, folder: folder))
                    }
                case .overflow, .stopped:
                    overflowed = true
                }
            }
            if watch.stopped {
                spool.watch = nil
                spool.watchUnavailable = true
                logger.warning("the outbox folders stopped being watched: every claim lists them")
            }
            if !overflowed { return }
        }
        var keys: [OutboxIndex.Key] = []
        var hidden: Set<String> = []
        for folder in [OutboxFolder.queued, .new] {
            for name in try FileSystem.listDirectory(path(folder)) {
                if !name.hasPrefix(".") {
                    keys.append(OutboxIndex.Key(name: name, folder: folder))
                } else if folder == .new {
                    hidden.insert(name)
                }
            }
        }
        spool.index.rebuild(keys)
        spool.hidden = hidden
        spool.built = true
    }

    // MARK: Progress of a claimed message

    public func recordAttempt(_ id: String, _ attempt: SendAttempt) throws {
        try Self.checkPart(of: attempt, id: id)
        try updateSending(id) { message in message.attempts.append(attempt) }
    }

    public func recordPartAccepted(_ id: String, part: Int, reference: Int, at: Date, next: SendAttempt?) throws {
        if let next { try Self.checkPart(of: next, id: id) }
        try updateSending(id) { message in
            if let index = message.attempts.lastIndex(where: { $0.part == part && $0.status == nil }) {
                message.attempts[index].status = .accepted
                message.attempts[index].reference = reference
                message.attempts[index].answeredAt = at
            } else if !message.attempts.contains(where: { $0.part == part && $0.status == .accepted && $0.reference == reference }) {
                throw RecordsError.invalidRecord("\(id): part \(part) accepted but no attempt was recorded for it")
            }   // else already recorded: idempotent
            if let next { message.attempts.append(next) }
        }
    }

    private static func checkPart(of attempt: SendAttempt, id: String) throws {
        guard attempt.part >= 1, attempt.part <= attempt.parts else {
            throw RecordsError.invalidRecord("attempt for part \(attempt.part) of \(attempt.parts) of \(id)")
        }
    }

    public func recordPartRejected(_ id: String, part: Int, reason: String, at: Date) throws {
        try recordPartOutcome(id, part: part, status: .rejected, reason: reason, at: at)
    }

    public func recordPartOutcome(_ id: String, part: Int, status: SendAttempt.Status, reason: String, at: Date) throws {
        try updateSending(id) { message in
            guard let index = message.attempts.lastIndex(where: { $0.part == part && $0.status == nil }) else {
                throw RecordsError.invalidRecord("\(id): part \(part) ended (\(status.rawValue)) but no attempt is outstanding")
            }
            message.attempts[index].status = status
            message.attempts[index].reason = reason
            message.attempts[index].answeredAt = at
        }
    }

    public func complete(_ id: String, result: SendResult) throws {
        try complete(id, result: result, sentText: nil)
    }

    public func complete(_ id: String, result: SendResult, sentText: String?) throws {
        try complete(id, result: result, sentText: sentText, accepting: []) {}
    }

    /// A sent message is written straight into `sent/` (one fsync of its data, one of `sent/`,
    /// shared with the folders a claim left unsynced), then its copy in `sending/` is removed;
    /// that removal becomes durable with the next step that syncs `sending/`. A crash before
    /// leaves a stale copy in `sending/`, which recovery recognises: a message in `sent/` is
    /// never claimed again, so its copy in `sending/` is only ever that (`recoverAfterCrash`).
    /// A failed message moves as before (rare; `failed/` may hold an older file of that name).
    /// `charge` runs on another thread while the new file's data is flushed, and both are done
    /// before the file is renamed into `sent/`.
    public func complete(_ id: String, result: SendResult, sentText: String?, accepting: [AcceptedPart],
                         charge: @Sendable () throws -> Void) throws {
        try gate.withLock { spool in
            var message = try loadSending(id)
            for accepted in accepting {
                try message.noteAccepted(part: accepted.part, reference: accepted.reference, at: accepted.at, next: nil)
            }
            message.result = result
            if let sentText { message.sentText = sentText }
            let bytes = try encode(message)
            if result.status == .sent, !FileSystem.exists(path(.sent, id: id)) {
                try withoutActuallyEscaping(charge) { charge in
                    try FileSystem.writeAtomically(bytes, to: path(.sent, id: id), temporaryDirectory: path(.tmp), mode: fileMode,
                                                   syncDirectory: false, alongsideFsync: charge)
                }
                try syncFolders(targets: [.sent], &spool)
                try FileSystem.unlink(path(.sending, id: id))
                spool.unsynced.insert(.sending)
                return
            }
            try charge()
            try FileSystem.writeAtomically(bytes, to: path(.sending, id: id), temporaryDirectory: path(.tmp), mode: fileMode)
            try move(id, from: .sending, to: result.status == .sent ? .sent : .failed, &spool)
        }
    }

    public func requeue(_ id: String, notBefore: Date?) throws {
        try gate.withLock { spool in
            var message = try loadSending(id)
            message.notBefore = notBefore
            try FileSystem.writeAtomically(try encode(message), to: path(.sending, id: id), temporaryDirectory: path(.tmp), mode: fileMode)
            try move(id, from: .sending, to: .queued, &spool)
            spool.learn(id, in: .queued, notBefore: notBefore)
        }
    }

    // MARK: Recovery

    public func recoverAfterCrash(policy: AmbiguousSendPolicy) throws -> RecoveryReport {
        try recoverAfterCrash(policy: policy) { _ in }
    }

    public func recoverAfterCrash(policy: AmbiguousSendPolicy, beforeSettling: (OutboxMessage) throws -> Void) throws -> RecoveryReport {
        // Recovery runs at start, before any claim: nothing is left unsynced, and it syncs each
        // folder as it goes (no `Spool` here: `beforeSettling` is the caller's closure).
        try gate.withLock { _ in
            var report = RecoveryReport()
            removeStaleTemporaryFiles()
            let names = try FileSystem.listDirectory(path(.sending)).filter { !$0.hasPrefix(".") }.sorted()
            for name in names {
                let source = path(.sending) + "/" + name
                let id = Self.id(fromFileName: name)
                if let settled = try settledCopy(of: id) {
                    // Completed (`complete` writes `sent/` first), stopped before the removal of
                    // this copy was durable. Charged again in case (commits are idempotent).
                    try beforeSettling(settled)
                    try FileSystem.unlink(source)
                    try FileSystem.fsyncDirectory(path(.sending))
                    report.entries.append(.init(id: id, action: .sent, ambiguousParts: [],
                                                acceptedParts: settled.attempts.filter { $0.status == .accepted },
                                                reason: "already in sent/; its copy left in sending/ was removed"))
                    logger.notice("removed the copy left in sending/ of a message already in sent/", metadata: ["message.id": "\(id)"])
                    continue
                }
                var message: OutboxMessage
                do {
                    guard let file = try readSpoolFile(source) else { continue }
                    message = try decodeSpoolFile(file, id: id)
                } catch let problem as SpoolProblem {
                    _ = try reject(source, name: name, id: id, reason: problem.reason)
                    report.entries.append(.init(id: id, action: .failed, ambiguousParts: [], acceptedParts: [], reason: problem.reason))
                    continue
                }
                if name != id + ".json" {
                    try FileSystem.rename(source, path(.sending, id: id))
                }
                let entry = try recover(&message, policy: policy, beforeSettling: beforeSettling)
                report.entries.append(entry)
                logger.notice("recovered message left in sending/", metadata: [
                    "message.id": "\(id)", "action": "\(entry.action.rawValue)",
                    "ambiguous_parts": "\(entry.ambiguousParts)", "reason": "\(entry.reason ?? "")",
                ])
            }
            return report
        }
    }

    private func recover(_ message: inout OutboxMessage, policy: AmbiguousSendPolicy,
                         beforeSettling: (OutboxMessage) throws -> Void) throws -> RecoveryReport.Entry {
        let settlement = OutboxRecovery.settle(message, policy: policy)
        message = settlement.message
        // The ledger first: a crash after the move and before the charge would lose the charge
        // for good (the message is no longer in sending/ for the next recovery to find).
        try beforeSettling(message)
        if settlement.rewrite { try rewriteSending(message) }
        var unsynced = Spool()   // recovery's own moves sync their folders at once
        try move(message.id, from: .sending, to: settlement.destination, &unsynced)
        return settlement.entry
    }

    /// The message of that id in `sent/`, when it is there whole with its result: then a file of
    /// that id in `sending/` is the copy a completion had not durably removed yet.
    private func settledCopy(of id: String) throws -> OutboxMessage? {
        guard (try? Self.validateID(id)) != nil, FileSystem.exists(path(.sent, id: id)) else { return nil }
        guard let file = try? readSpoolFile(path(.sent, id: id)),
              let message = try? decodeSpoolFile(file, id: id, in: .sent), message.result?.status == .sent else { return nil }
        return message
    }

    /// Our own temporary files (`.<name>.<random>.tmp`) left by a crash before their rename, once
    /// they are an hour old (a younger one may belong to a `smsagent send` still writing).
    private func removeStaleTemporaryFiles() {
        guard let names = try? FileSystem.listDirectory(path(.tmp)) else { return }
        let cutoff = Date().timeIntervalSince1970 - 3600
        for name in names where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            let file = path(.tmp) + "/" + name
            if let st = try? FileSystem.status(file), TimeInterval(st.st_mtim.tv_sec) < cutoff {
                try? FileSystem.unlink(file)
                logger.info("removed a temporary file left by a crash", metadata: ["file": "\(file)"])
            }
        }
    }

    // MARK: Retention

    /// Deletes the files of settled messages (`sent/`, `failed/`, with their `.reason`) last
    /// written before `cutoff` — the time they were settled. The ledger, `inbox.csv` and
    /// `deliveries.csv` keep their own rows. Returns how many messages went.
    @discardableResult
    public func prune(settledBefore cutoff: Date) throws -> Int {
        try gate.withLock { _ in
            var removed = 0
            for folder in [OutboxFolder.sent, .failed] {
                var changed = false
                for name in try FileSystem.listDirectory(path(folder)) where !name.hasPrefix(".") {
                    let file = path(folder) + "/" + name
                    guard let st = try? FileSystem.status(file), (st.st_mode & S_IFMT) == S_IFREG,
                          TimeInterval(st.st_mtim.tv_sec) < cutoff.timeIntervalSince1970 else { continue }
                    try FileSystem.unlink(file)
                    changed = true
                    if !name.hasSuffix(".reason") { removed += 1 }
                }
                if changed { try FileSystem.fsyncDirectory(path(folder)) }
            }
            return removed
        }
    }

    // MARK: Queries

    public func counts() throws -> OutboxCounts {
        func count(_ folder: OutboxFolder) throws -> Int {
            try FileSystem.listDirectory(path(folder)).filter { !$0.hasPrefix(".") && !$0.hasSuffix(".reason") }.count
        }
        return OutboxCounts(new: try count(.new) + count(.queued), sending: try count(.sending), sent: try count(.sent), failed: try count(.failed))
    }

    public func find(_ id: String) throws -> (folder: OutboxFolder, message: OutboxMessage)? {
        try Self.validateID(id)
        for folder in [OutboxFolder.sending, .queued, .new, .sent, .failed] {
            let file = path(folder, id: id)
            guard let contents = try readSpoolFile(file) else { continue }
            if let message = try? decodeSpoolFile(contents, id: id, in: folder) { return (folder, message) }
        }
        return nil
    }

    /// Every readable message of a folder, oldest first (unreadable files are skipped).
    public func messages(in folder: OutboxFolder) throws -> [OutboxMessage] {
        try FileSystem.listDirectory(path(folder)).filter { !$0.hasPrefix(".") && !$0.hasSuffix(".reason") }.sorted()
            .compactMap { name in
                guard let contents = try readSpoolFile(path(folder) + "/" + name) else { return nil }
                return try? decodeSpoolFile(contents, id: Self.id(fromFileName: name), in: folder)
            }
    }

    /// The reason a file in `failed/` could not be used (`<name>.reason`), if any.
    public func rejectionReason(fileName: String) -> String? {
        guard let bytes = try? FileSystem.readFile(path(.failed) + "/" + fileName + ".reason") else { return nil }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: Internals

    struct SpoolProblem: Error { var reason: String }

    static func id(fromFileName name: String) -> String {
        name.hasSuffix(".json") ? String(name.dropLast(5)) : name
    }

    package static func validateID(_ id: String) throws {
        if id.isEmpty || id.hasPrefix(".") || id.contains("/") || id.contains("\0") || id.utf8.count > 200 {
            throw RecordsError.invalidMessageID(id)
        }
    }

    private func encode(_ message: OutboxMessage) throws -> [UInt8] {
        Array(try RecordCoding.encoder().encode(message)) + [UInt8(ascii: "\n")]
    }

    /// Every folder a message can be in, for the uniqueness of ids.
    static let messageFolders: [OutboxFolder] = [.new, .queued, .sending, .sent, .failed]

    /// How long a hidden file (name starting with `.`) may sit in `new/` — a producer writing in
    /// place before its rename — before it is moved to `failed/` with a reason.
    public static let hiddenFileGrace: TimeInterval = 15 * 60

    /// Hidden files in `new/` are never claimed; once older than `hiddenFileGrace` (by their
    /// modification time, the wall clock) they go to `failed/` with a reason, so that a producer
    /// that forgot its rename hears of it instead of waiting for ever. Only the hidden files the
    /// index saw arrive are looked at (one `stat` each), not the whole folder.
    private func rejectStaleHiddenFiles(_ spool: inout Spool) throws -> [RejectedSpoolFile] {
        guard !spool.hidden.isEmpty else { return [] }
        let cutoff = Date().timeIntervalSince1970 - Self.hiddenFileGrace
        var rejected: [RejectedSpoolFile] = []
        for name in spool.hidden.sorted() {
            let source = path(.new) + "/" + name
            guard let st = try? FileSystem.status(source) else {
                spool.hidden.remove(name)   // renamed or removed by its producer
                continue
            }
            guard TimeInterval(st.st_mtim.tv_sec) < cutoff else { continue }
            spool.hidden.remove(name)
            let reason = "hidden file (name starts with \".\") left in new/ for more than \(Int(Self.hiddenFileGrace / 60)) min: "
                + "write the request elsewhere (outbox/tmp/) and rename it into new/ under a name without a leading dot"
            if let moved = try reject(source, name: name, id: Self.id(fromFileName: name), reason: reason) {
                rejected.append(moved)
            }
        }
        return rejected
    }

    /// `nil` when the file is gone (claimed or moved meanwhile).
    struct SpoolFile {
        var bytes: [UInt8]
        var modified: Date
    }

    func readSpoolFile(_ file: String) throws -> SpoolFile? {
        let fd: Int32
        do {
            fd = try FileSystem.open(file, O_RDONLY | O_NOFOLLOW)
        } catch RecordsError.system(_, _, ENOENT) {
            return nil
        } catch let RecordsError.system(operation, _, code) {
            throw SpoolProblem(reason: "cannot \(operation): \(String(cString: strerror(code))) (errno \(code))")
        }
        defer { FileSystem.close(fd) }
        do {
            let st = try FileSystem.status(fd: fd, path: file)
            guard (st.st_mode & S_IFMT) == S_IFREG else { throw SpoolProblem(reason: "not a regular file") }
            guard st.st_size.asInt <= Self.maximumFileSize else {
                throw SpoolProblem(reason: "larger than \(Self.maximumFileSize) bytes")
            }
            let modified = Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec) + TimeInterval(st.st_mtim.tv_nsec) / 1e9)
            return SpoolFile(bytes: try FileSystem.readToEnd(fd, path: file), modified: modified)
        } catch let RecordsError.system(operation, _, code) {
            throw SpoolProblem(reason: "cannot \(operation): \(String(cString: strerror(code))) (errno \(code))")
        }
    }

    /// A file of the drop box `new/` is a producer's request and nothing more (`OutboxRequest`);
    /// a file of the agent's own folders is its full record (attempts, result).
    func decodeSpoolFile(_ file: SpoolFile, id: String, in folder: OutboxFolder = .sending) throws -> OutboxMessage {
        if folder == .new {
            guard (try? Self.validateID(id)) != nil else { throw SpoolProblem(reason: "file name is not a usable message id") }
            // smstools3's outgoing format (headers, blank line, text) is a request too: it carries
            // no agent state, only a recipient, a text and a class.
            // gammu-smsd's outbox files (OUT<recipient>.txt): the name says who, the file is the text.
            if GammuRequest.matches(fileName: id), file.bytes.first != UInt8(ascii: "{") {
                do {
                    var message = try OutboxMessage(gammuFileName: id, bytes: file.bytes)
                    message.id = id
                    message.createdAt = file.modified
                    return message
                } catch {
                    throw SpoolProblem(reason: error.description)
                }
            }
            if SmstoolsRequest.looksLike(file.bytes) {
                do {
                    var message = try OutboxMessage(smstools: file.bytes)
                    message.id = id
                    message.createdAt = file.modified
                    return message
                } catch {
                    throw SpoolProblem(reason: error.description)
                }
            }
            do {
                return try OutboxRequest.decode(file.bytes).message(id: id, fileModified: file.modified)
            } catch {
                throw SpoolProblem(reason: error.description)
            }
        }
        var message: OutboxMessage
        do {
            if GammuRequest.matches(fileName: id), file.bytes.first != UInt8(ascii: "{") {
                message = try OutboxMessage(gammuFileName: id, bytes: file.bytes)
            } else {
                message = try SmstoolsRequest.looksLike(file.bytes) ? OutboxMessage(smstools: file.bytes)
                    : RecordCoding.decoder().decode(OutboxMessage.self, from: Data(file.bytes))
            }
        } catch let error as GammuRequestError {
            throw SpoolProblem(reason: error.description)
        } catch let error as SmstoolsRequestError {
            throw SpoolProblem(reason: error.description)
        } catch let error as DecodingError {
            throw SpoolProblem(reason: Self.describe(error))
        } catch {
            throw SpoolProblem(reason: "not valid JSON: \(error)")
        }
        guard (try? Self.validateID(id)) != nil else { throw SpoolProblem(reason: "file name is not a usable message id") }
        if message.to.trimmingCharacters(in: .whitespaces).isEmpty { throw SpoolProblem(reason: "\"to\" is empty") }
        if message.text.isEmpty { throw SpoolProblem(reason: "\"text\" is empty") }
        message.id = id
        if message.createdAt == OutboxMessage.unknownCreationDate {
            message.createdAt = file.modified   // no created_at: when the file was written
        }
        return message
    }

    static func describe(_ error: DecodingError) -> String {
        func where_(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "" : " at " + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context):
            return "missing field \"\(key.stringValue)\"\(where_(context.codingPath))"
        case let .typeMismatch(type, context):
            return "wrong type\(where_(context.codingPath)): expected \(type)"
        case let .valueNotFound(type, context):
            return "null value\(where_(context.codingPath)): expected \(type)"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "bad value\(where_(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "unreadable message"
        }
    }

    /// Moves an unusable file to `failed/` (under a free name) with a `.reason` file beside it.
    func reject(_ source: String, name: String, id: String, reason: String) throws -> RejectedSpoolFile? {
        var targetName = (try? Self.validateID(id)) != nil ? id + ".json" : "rejected-" + OutboxMessage.makeID() + ".json"
        if FileSystem.exists(path(.failed) + "/" + targetName) {
            targetName = Self.id(fromFileName: targetName) + "-" + FileSystem.randomHex(3) + ".json"
        }
        let target = path(.failed) + "/" + targetName
        let reasonText = "\(reason)\n(was \(source))\n"
        try FileSystem.writeAtomically(Array(reasonText.utf8), to: target + ".reason", temporaryDirectory: path(.tmp), mode: fileMode)
        do {
            try FileSystem.rename(source, target)
        } catch RecordsError.system(_, _, ENOENT) {
            _ = try? FileSystem.unlink(target + ".reason")
            return nil
        }
        try FileSystem.fsyncDirectory(path(.failed))
        try FileSystem.fsyncDirectory((source as NSString).deletingLastPathComponent)
        logger.error("spool file rejected", metadata: ["file": "\(source)", "moved_to": "\(target)", "reason": "\(reason)"])
        return RejectedSpoolFile(path: target, reason: reason)
    }

    private func loadSending(_ id: String) throws -> OutboxMessage {
        try Self.validateID(id)
        let file = path(.sending, id: id)
        do {
            guard let contents = try readSpoolFile(file) else {
                throw RecordsError.messageNotFound(id: id, folder: path(.sending))
            }
            return try decodeSpoolFile(contents, id: id)
        } catch let problem as SpoolProblem {
            throw RecordsError.malformedSpoolFile(path: file, reason: problem.reason)
        }
    }

    private func rewriteSending(_ message: OutboxMessage) throws {
        try FileSystem.writeAtomically(try encode(message), to: path(.sending, id: message.id), temporaryDirectory: path(.tmp), mode: fileMode)
    }

    private func updateSending(_ id: String, _ change: (inout OutboxMessage) throws -> Void) throws {
        try gate.withLock { spool in
            var message = try loadSending(id)
            try change(&message)
            // What a claim left unsynced is synced while the new content is flushed, before its
            // rename: the moment the new content is visible (a prompt marker: the PDU follows at
            // once) is followed by one fsync only, as before claims stopped syncing.
            let (first, second) = pendingRounds(spool)
            let (firstPaths, secondPaths) = (first.map { path($0) }, second.map { path($0) })
            var flushPending: (@Sendable () throws -> Void)?
            if !first.isEmpty || !second.isEmpty {
                flushPending = {
                    try FileSystem.fsyncDirectories(firstPaths)
                    try FileSystem.fsyncDirectories(secondPaths)
                }
            }
            try FileSystem.writeAtomically(try encode(message), to: path(.sending, id: message.id), temporaryDirectory: path(.tmp),
                                           mode: fileMode, syncDirectory: false, alongsideFsync: flushPending)
            spool.unsynced.subtract(first + second)
            spool.unsyncedSources.subtract(second)
            try syncFolders(targets: [.sending], &spool)
        }
    }

    /// The folders left unsynced, in the two rounds `syncFolders` syncs them in.
    private func pendingRounds(_ spool: Spool) -> (first: [OutboxFolder], second: [OutboxFolder]) {
        let first = OutboxFolder.allCases.filter { spool.unsynced.contains($0) && !spool.unsyncedSources.contains($0) }
        let second = OutboxFolder.allCases.filter { spool.unsyncedSources.contains($0) }
        return (first, second)
    }

    /// Makes the changes of `targets` (files renamed or written in) and `sources` (files renamed
    /// out) durable together with those earlier steps left unsynced: first every folder that
    /// received a file, then those a file left — each round one concurrent round of fsyncs
    /// (`FileSystem.fsyncDirectories`), which a journalling file system serves with one commit.
    private func syncFolders(targets: [OutboxFolder], sources: [OutboxFolder] = [], _ spool: inout Spool) throws {
        spool.unsynced.formUnion(targets)
        spool.unsyncedSources.formUnion(sources)
        let first = OutboxFolder.allCases.filter { spool.unsynced.contains($0) && !spool.unsyncedSources.contains($0) }
        try FileSystem.fsyncDirectories(first.map { path($0) })
        spool.unsynced.subtract(first)
        let second = OutboxFolder.allCases.filter { spool.unsynced.contains($0) || spool.unsyncedSources.contains($0) }
        try FileSystem.fsyncDirectories(second.map { path($0) })
        spool.unsynced.subtract(second)
        spool.unsyncedSources.subtract(second)
    }

    private func move(_ id: String, from: OutboxFolder, to: OutboxFolder, _ spool: inout Spool) throws {
        if to == .failed, FileSystem.exists(path(.failed, id: id)) {
            // An earlier file of that name failed too (e.g. rejected, then fixed and dropped
            // again): keep it, under a name of its own.
            let aside = path(.failed) + "/" + id + "." + FileSystem.randomHex(3) + ".json"
            try FileSystem.rename(path(.failed, id: id), aside)
            if FileSystem.exists(path(.failed, id: id) + ".reason") {
                try FileSystem.rename(path(.failed, id: id) + ".reason", aside + ".reason")
            }
        }
        try FileSystem.rename(path(from, id: id), path(to, id: id))
        try syncFolders(targets: [to], sources: [from], &spool)
    }
}

extension FileOutbox.Spool {
    /// A message this process put in `folder` (enqueue, requeue): known at once, with its time
    /// if held (inotify tells of it too, but not of its `not_before`).
    mutating func learn(_ id: String, in folder: OutboxFolder, notBefore: Date?) {
        guard built else { return }   // the first listing will find it
        let key = OutboxIndex.Key(name: id + ".json", folder: folder)
        if let notBefore {
            index.hold(key, until: notBefore)
        } else {
            index.insert(key, reread: true)
        }
    }
}
