import Foundation

extension FileOutbox {
    /// Writes a message with its full record straight into `folder` (`smsagent records export`:
    /// a database's messages become files again). Refuses an id already in the spool.
    package func store(_ message: OutboxMessage, in folder: OutboxFolder, permissions: RecordPermissions = .owner) throws {
        try Self.validateID(message.id)
        for existing in Self.messageFolders where FileSystem.exists(path(existing, id: message.id)) {
            throw RecordsError.duplicateMessageID(id: message.id, folder: path(existing))
        }
        let bytes = Array(try RecordCoding.encoder().encode(message)) + [UInt8(ascii: "\n")]
        // `new/` takes only producers' requests: the agent's own record goes to `queued/`.
        let target = folder == .new && message.isAgentMessage ? OutboxFolder.queued : folder
        try FileSystem.writeAtomically(bytes, to: path(target, id: message.id), temporaryDirectory: path(.tmp), mode: permissions.file)
    }
}
