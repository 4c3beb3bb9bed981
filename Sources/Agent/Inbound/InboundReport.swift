import Foundation

/// What one `InboundProcessor.drain(modem:modemID:)` did, for logs, `status.json` and tests.
public struct InboundReport: Sendable, Equatable, Codable {
    public var modemID: String
    /// Messages the SIM held when listed (`AT+CMGL=4`).
    public var listed = 0
    /// Complete inbound messages written to the archive by this drain (re-listed ones excluded).
    public var archived = 0
    /// Messages already archived by an earlier drain (re-listed after a crash): not archived again.
    public var alreadyArchived = 0
    /// New opt-out events recorded.
    public var optOuts = 0
    /// New opt-in (re-subscribe) events recorded.
    public var optIns = 0
    /// Confirmation SMS put in the outbox.
    public var confirmationsQueued = 0
    /// HELP replies put in the outbox.
    public var helpRepliesQueued = 0
    /// Messages that mention a keyword without matching the rule (kept for `smsagent inbox --review`).
    public var review = 0
    /// Status reports matched to (or recorded for) a sent message.
    public var statusReports = 0
    /// PDUs that could not be decoded (archived raw with the error, then deleted).
    public var malformed = 0
    /// Parts of multi-part messages persisted while the other parts are awaited.
    public var pendingParts = 0
    /// Multi-part messages given up after the reassembly timeout (archived as incomplete).
    public var expiredIncomplete = 0
    /// Stored messages left alone (SMS-SUBMIT drafts on the SIM: not inbound traffic).
    public var ignored = 0
    /// SIM indices deleted (`AT+CMGD`), only after what they carried was on disk.
    public var deleted: [Int] = []
    /// SIM indices kept because something failed; the next drain tries them again.
    public var kept: [Int] = []
    /// One line per failure, naming the index and the cause.
    public var failures: [String] = []

    public init(modemID: String) {
        self.modemID = modemID
    }
}
