import Compliance
import Foundation
import Logging
import ModemKit
import Records
import SMSCodec

/// The receiving side of the agent: turns what a SIM stored into archived messages, opt-out events
/// and automatic replies, and only then frees the SIM.
///
/// For every stored message (DESIGN.md invariant 1):
/// 1. decode (TS 23.040 §9.2.2.1 SMS-DELIVER, §9.2.2.3 SMS-STATUS-REPORT). A PDU that does not
///    decode is archived raw with the error (status `undecodable`) and then deleted: nothing is
///    lost, and junk never fills a SIM (invariant 7);
/// 2. reassemble (TS 23.040 §9.2.3.24.1): each part of an unfinished message is written to the
///    reassembly store (fsync) before its SIM slot is freed, so a restart never loses half a message;
///    groups still incomplete after `InboundSettings.reassemblyTimeout` are archived as `incomplete`;
/// 3. classify with the keyword rule of COMPLIANCE.md and archive the message (fsync);
/// 4. record an opt-out / opt-in event (fsync);
/// 5. queue one confirmation (at most one per number per 24 h) or HELP reply in the outbox (fsync);
/// 6. `AT+CMGD` only the indices whose content is now on disk.
///
/// Idempotence: a message re-listed after a crash has the same fingerprint
/// (`InboundRecord.fingerprint`). It is not archived twice; an opt-out from a number already opted
/// out adds no event; and replies have ids derived from the fingerprint, so the outbox never holds
/// two for one message.
public actor InboundProcessor {
    /// Its disk I/O runs on the records thread, never on the cooperative pool.
    private nonisolated let recordsExecutor = RecordsExecutor(name: "smsagent-inbound")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { recordsExecutor.asUnownedSerialExecutor() }

    /// Prefix of the `source` column of opt-out events recorded from an inbound SMS.
    public static let smsSourcePrefix = "sms:"

    let configuration: AgentConfiguration
    let stores: InboundStores
    let clock: any AgentClock
    let logger: Logger
    let matcher: KeywordMatcher
    let texts = ConfirmationTexts()
    let hooks: HookRunner?

    /// Per modem: parts waiting for the rest of their message, loaded from the reassembly store on
    /// the first drain of that modem; dropped after a failure so the next drain reloads the store.
    var reassemblers: [String: ModemReassembly] = [:]
    private var drainingModems: Set<String> = []
    private var waitingDrains: [String: [CheckedContinuation<Void, Never>]] = [:]

    public init(configuration: AgentConfiguration, dataDirectory: DataDirectory, clock: any AgentClock, logger: Logger,
                hooks: HookRunner? = nil) {
        self.init(configuration: configuration, stores: InboundStores(dataDirectory), clock: clock, logger: logger, hooks: hooks)
    }

    /// With explicit stores (tests inject faults through them).
    public init(configuration: AgentConfiguration, stores: InboundStores, clock: any AgentClock, logger: Logger,
                hooks: HookRunner? = nil) {
        self.hooks = hooks
        self.configuration = configuration
        self.stores = stores
        self.clock = clock
        self.logger = logger
        self.matcher = KeywordMatcher(locales: configuration.inbound.keywordLocales)
    }

    /// Lists the modem's stored SMS, decodes and reassembles them, archives each (fsync), records
    /// opt-outs/opt-ins (fsync), enqueues confirmation/help replies into the outbox (class
    /// notification, kind "confirmation"/"help"), and only then deletes them from the SIM.
    /// Called by the modem worker on +CMTI, on +CDS/+CDSI, at start, and every pollInterval.
    ///
    /// Drains of one modem never overlap (a second call waits for the first), so an index is
    /// only ever deleted by the drain that processed what it held.
    /// - Throws: the `ModemError` of the listing (nothing is deleted then). A failure with one
    ///   message does not throw: it is logged, counted in the report, and the message stays on the
    ///   SIM for the next drain.
    public func drain(modem: Modem, modemID: String) async throws -> InboundReport {
        await beginDrain(modemID)
        defer { endDrain(modemID) }

        let stored = try await modem.listMessages()
        var report = InboundReport(modemID: modemID)
        report.listed = stored.count
        let deletable = process(stored, modemID: modemID, report: &report)
        for index in deletable.sorted() {
            do {
                try await modem.deleteMessage(index: index)
                report.deleted.append(index)
            } catch {
                report.kept.append(index)
                report.failures.append("index \(index): delete failed: \(error)")
                logger.warning("could not delete an inbound SMS from the SIM; it will be listed again",
                               metadata: ["modem": "\(modemID)", "sim.index": "\(index)", "error": "\(error)"])
            }
        }
        report.kept.sort()
        if report.listed > 0 || !report.failures.isEmpty {
            logger.info("inbound drain", metadata: report.logMetadata)
        }
        return report
    }

    /// Handles a PDU the modem routed to the host instead of storing it: `+CMT` (an SMS-DELIVER,
    /// `AT+CNMI` <mt>=2) or `+CDS` (a status report, <ds>=1), TS 27.005 §3.4.1. The same pipeline as
    /// `drain` without the SIM delete; there is no SIM copy, so a failure is logged as an error and
    /// reported (the modem worker should then not acknowledge it with `AT+CNMA` where that is used).
    public func receiveRouted(pduHex: String, modemID: String) -> InboundReport {
        var report = InboundReport(modemID: modemID)
        report.listed = 1
        let routed = StoredMessage(index: Self.routedIndex, status: .receivedUnread, length: pduHex.count / 2, pduHex: pduHex)
        _ = process([routed], modemID: modemID, report: &report)
        report.kept.removeAll()
        if !report.failures.isEmpty {
            logger.error("an SMS routed to the host could not be recorded", metadata: report.logMetadata)
        }
        return report
    }

    /// The index given to routed PDUs (they have no SIM slot).
    static let routedIndex = -1

    // MARK: - Serialising drains per modem

    private func beginDrain(_ modemID: String) async {
        while drainingModems.contains(modemID) {
            await withCheckedContinuation { waitingDrains[modemID, default: []].append($0) }
        }
        drainingModems.insert(modemID)
    }

    private func endDrain(_ modemID: String) {
        drainingModems.remove(modemID)
        for waiter in waitingDrains.removeValue(forKey: modemID) ?? [] { waiter.resume() }
    }

    // MARK: - One drain between the listing and the deletes (no suspension: atomic on the actor)

    private func process(_ stored: [StoredMessage], modemID: String, report: inout InboundReport) -> Set<Int> {
        let now = clock.now()
        var deletable = Set<Int>()
        var reassembly: ModemReassembly? = loadReassembly(modemID: modemID, now: now, report: &report)
        var reassemblyFailed = reassembly == nil
        var listedIndices: [ReassemblyGroupKey: [Int]] = [:]

        for message in stored.sorted(by: { $0.index < $1.index }) {
            let decoded: DecodedPDU
            do {
                decoded = try PDUDecoder.decode(hex: message.pduHex)
            } catch {
                if archiveUndecodable(message, error: error, modemID: modemID, now: now, report: &report) {
                    deletable.insert(message.index)
                } else {
                    report.kept.append(message.index)
                }
                continue
            }
            switch decoded {
            case .deliver(let deliver):
                guard let concatenation = deliver.concatenation, concatenation.total > 1 else {
                    let inbound = CompleteInbound(single: deliver, simIndex: message.index, receivedAt: now)
                    if handle(inbound, modemID: modemID, now: now, report: &report) {
                        deletable.insert(message.index)
                    } else {
                        report.kept.append(message.index)
                    }
                    continue
                }
                guard !reassemblyFailed, var state = reassembly else {
                    report.kept.append(message.index)
                    continue
                }
                let key = ReassemblyGroupKey(modem: modemID, originator: deliver.originator,
                                             reference: concatenation.reference, total: concatenation.total)
                let part = StoredInboundPart(modem: modemID, originator: deliver.originator,
                                             reference: concatenation.reference, total: concatenation.total,
                                             sequence: concatenation.sequence, pduHex: message.pduHex,
                                             receivedAt: now, simIndex: message.index)
                switch state.reassembler.add(deliver, receivedAt: now) {
                case .pending:
                    state.pending.insert(key)
                    if persist(part, report: &report) {
                        report.pendingParts += 1
                        deletable.insert(message.index)
                    } else {
                        report.kept.append(message.index)
                    }
                case .duplicate:
                    // A part listed again: still pending (make sure it is stored), or its message
                    // already completed and archived.
                    if !state.pending.contains(key) || persist(part, report: &report) {
                        deletable.insert(message.index)
                    } else {
                        report.kept.append(message.index)
                    }
                case .complete(let whole):
                    state.pending.remove(key)
                    let inbound = CompleteInbound(whole, simIndices: (listedIndices[key] ?? []) + [message.index])
                    if handle(inbound, modemID: modemID, now: now, report: &report), forget(key, report: &report) {
                        deletable.insert(message.index)
                    } else {
                        // The reassembler now believes the message done; reload it from the store
                        // (which still has the other parts) on the next drain.
                        reassemblyFailed = true
                        report.kept.append(message.index)
                    }
                }
                listedIndices[key, default: []].append(message.index)
                reassembly = state
            case .statusReport(let statusReport):
                if recordStatusReport(statusReport, modemID: modemID, now: now, report: &report) {
                    deletable.insert(message.index)
                } else {
                    report.kept.append(message.index)
                }
            case .submit:
                // A draft someone stored on the SIM: not inbound traffic, not ours to delete.
                report.ignored += 1
            }
        }

        if !reassemblyFailed, var state = reassembly {
            for incomplete in state.reassembler.expire(now: now) {
                let key = ReassemblyGroupKey(modem: modemID, originator: incomplete.originator,
                                             reference: incomplete.reference, total: incomplete.totalParts)
                state.pending.remove(key)
                if isLeftoverOfArchived(incomplete) {
                    // Parts of a message already archived complete (a crash between the store
                    // clean-up and the SIM delete re-listed them): nothing new to say.
                    logger.info("dropping parts of a message already archived",
                                metadata: ["modem": "\(modemID)", "sms.from": "\(incomplete.originator)"])
                    if !forget(key, report: &report) { reassemblyFailed = true; break }
                    continue
                }
                let inbound = CompleteInbound(incomplete: incomplete)
                if handle(inbound, modemID: modemID, now: now, report: &report), forget(key, report: &report) {
                    report.expiredIncomplete += 1
                } else {
                    reassemblyFailed = true
                    break
                }
            }
            reassembly = state
        }
        reassemblers[modemID] = reassemblyFailed ? nil : reassembly
        return deletable
    }
}
