import Foundation
import Testing
@testable import Records
@testable import RecordsPostgres

/// With shared records, what producers drop in a data directory's `outbox/new/` reaches the
/// shared queue: removed from the drop box only once its row is committed, refused files in
/// `failed/` with their reason. Real PostgreSQL server (`SMSAGENT_TEST_POSTGRES_URL`).
@Suite struct DropBoxImporterTests {
    final class Fixture: @unchecked Sendable {
        let directory = TemporaryDirectory("dropbox")
        let files: FileOutbox
        let shared: RecordsUnderTest
        let importer: DropBoxImporter

        init() throws {
            shared = try RecordsUnderTest(.postgres)
            files = try FileOutbox(root: directory.path + "/outbox")
            let outbox = try #require(shared.postgres).outbox
            importer = DropBoxImporter(files: files, into: outbox, logger: TestDatabase.quiet)
        }

        /// Writes a file into the drop box as a producer does (tmp/, then rename into new/).
        func drop(_ name: String, _ contents: String) throws {
            let temporary = files.path(.tmp) + "/" + name
            try Data(contents.utf8).write(to: URL(fileURLWithPath: temporary))
            #expect(rename(temporary, files.path(.new) + "/" + name) == 0)
        }

        func dropBox() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: files.path(.new)).sorted() }
        func failed() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: files.path(.failed)).sorted() }
    }

    /// JSON requests, smstools3 files and gammu-smsd files all land in the shared queue, each once,
    /// as claimable messages, and leave the drop box.
    @Test func everyRequestFormatReachesTheSharedQueue() throws {
        let f = try Fixture()
        try f.drop("api-1.json", #"{"to": "+33612345678", "text": "Votre commande est prête", "class": "notification", "campaign": "c1"}"#)
        try f.drop("st-2", "To: 33612345679\n\nRendez-vous demain 9h\n")
        try f.drop("OUT+33612345670.txt", "Colis livré")
        let report = try f.importer.importPending()
        #expect(report.imported == 3)
        #expect(report.rejected.isEmpty)
        #expect(try f.dropBox().isEmpty)
        var claimed: [String: OutboxMessage] = [:]
        while let next = try f.shared.outbox.claimNext(now: Date()) { claimed[next.message.id] = next.message }
        #expect(claimed.keys.sorted() == ["OUT+33612345670.txt", "api-1", "st-2"])
        #expect(claimed["api-1"]?.to == "+33612345678")
        #expect(claimed["api-1"]?.messageClass == .notification)
        #expect(claimed["api-1"]?.campaign == "c1")
        #expect(claimed["st-2"]?.text == "Rendez-vous demain 9h")
        #expect(claimed["OUT+33612345670.txt"]?.to == "+33612345670")
        #expect(try f.importer.importPending() == DropBoxImporter.Report())   // nothing twice
    }

    /// A file that is no request goes to `failed/` with a `.reason` beside it; the good ones go on.
    @Test func aBadFileGoesToFailedWithItsReason() throws {
        let f = try Fixture()
        try f.drop("bad.json", #"{"to": "+33612345678"}"#)
        try f.drop("forged.json", #"{"to": "+33612345678", "text": "x", "kind": "confirmation"}"#)
        try f.drop("good.json", #"{"to": "+33612345678", "text": "ok"}"#)
        let report = try f.importer.importPending()
        #expect(report.imported == 1)
        #expect(report.rejected.count == 2)
        #expect(try f.dropBox().isEmpty)
        #expect(try f.failed() == ["bad.json", "bad.json.reason", "forged.json", "forged.json.reason"])
        let reason = try String(contentsOfFile: f.files.path(.failed) + "/bad.json.reason", encoding: .utf8)
        #expect(reason.contains("text"), "\(reason)")
        #expect(try f.shared.outbox.find("bad") == nil)
        #expect(try f.shared.outbox.find("forged") == nil)
        #expect(try f.shared.outbox.find("good")?.folder == .new)
    }

    /// The agent stopped after the commit and before removing the file: the next pass recognises
    /// the committed request and removes the file without queueing it twice; another message
    /// under a taken id is refused.
    @Test func aFileWhoseRowIsCommittedIsRemovedNotQueuedTwice() throws {
        let f = try Fixture()
        let request = #"{"to": "+33612345678", "text": "Une fois", "created_at": "2026-12-01T10:00:00.000Z"}"#
        try f.drop("once.json", request)
        #expect(try f.importer.importPending().imported == 1)
        try f.drop("once.json", request)   // as if the unlink had not happened
        let again = try f.importer.importPending()
        #expect(again.imported == 0)
        #expect(again.alreadyQueued == 1)
        #expect(try f.dropBox().isEmpty)
        #expect(try f.shared.outbox.counts().new == 1)

        try f.drop("once.json", #"{"to": "+33612345678", "text": "Une autre"}"#)
        let other = try f.importer.importPending()
        #expect(other.rejected.count == 1)
        #expect(other.rejected.first?.reason.contains("already in") == true)
        #expect(try f.failed().contains("once.json.reason"))
        #expect(try f.shared.outbox.find("once")?.message.text == "Une fois")
    }

    /// The database cannot be reached: the pass throws a typed error and every file stays in the
    /// drop box for the next pass.
    @Test func anUnreachableDatabaseLeavesTheFilesInTheDropBox() throws {
        _ = try TestDatabase.requireURL()
        let directory = TemporaryDirectory("dropbox-down")
        let files = try FileOutbox(root: directory.path + "/outbox")
        var settings = PostgresSettings(host: "127.0.0.1", port: 9, user: "smsagent", database: "none", tls: .disable, agentID: "x",
                                        connectTimeoutSeconds: 2)
        settings.poolSize = 1
        let pool = try PostgresPool(settings: settings, logger: TestDatabase.quiet)
        defer { pool.close() }
        let importer = DropBoxImporter(files: files, into: PostgresOutbox(pool: pool), logger: TestDatabase.quiet)
        try Data(#"{"to": "+33612345678", "text": "attend"}"#.utf8).write(to: URL(fileURLWithPath: files.path(.new) + "/wait.json"))
        #expect(throws: PostgresRecordsError.self) { try importer.importPending() }
        #expect(FileManager.default.fileExists(atPath: files.path(.new) + "/wait.json"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: files.path(.failed)).isEmpty)
    }
}
