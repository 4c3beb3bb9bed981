import Foundation

extension FileOutbox {
    /// Writes a message with its full record straight into `folder` (`smsagent records export`:
    /// a database's messages become files again). Refuses an id already in the spool.
    package func store(_ message: OutboxMessage, in folder: OutboxFolder, permissions: RecordPermissions = .owner) throws {
        try Self.validateID(message.id)
        for existing in Self.messageFolders where FileSystem.exists(path(existing, id: message.id)) {
            throw RecordsError.duplicateMessageID(id: message.id, folder: path(existing))
        }
        // `new/` takes only producers' requests (invariant 8): a request stays one, the agent's
        // own record goes to `queued/`.
        let target = folder == .new && message.isAgentMessage ? OutboxFolder.queued : folder
        let bytes = target == .new
            ? try OutboxRequest(to: message.to, text: message.text, messageClass: message.messageClass, campaign: message.campaign,
                                notBefore: message.notBefore, createdAt: message.createdAt).encoded()
            : Array(try RecordCoding.encoder().encode(message)) + [UInt8(ascii: "\n")]
        try FileSystem.writeAtomically(bytes, to: path(target, id: message.id), temporaryDirectory: path(.tmp), mode: permissions.file)
    }
}
