import Foundation

extension ModemEngine {
    // MARK: settings

    /// `+CSMS` (TS 27.005 §3.2.1).
    mutating func serviceCommand(_ c: ATCommand) -> CommandResult {
        switch c.form {
        case .read: return .ok(["+CSMS: \(csmsService),1,1,1"])
        case .test: return .ok(["+CSMS: (0,1)"])
        case .action: return .failed(.error)
        case .set:
            guard let service = c.arguments.first?.int, service == 0 || service == 1 else { return .failed(.cms(303)) }
            csmsService = service
            return .ok(["+CSMS: 1,1,1"])
        }
    }

    /// `+CMGF` (TS 27.005 §3.2.3). The strict profile speaks PDU mode only.
    mutating func formatCommand(_ c: ATCommand) -> CommandResult {
        switch c.form {
        case .read: return .ok(["+CMGF: \(cmgf)"])
        case .test: return .ok([profile.supportsTextMode ? "+CMGF: (0-1)" : "+CMGF: (0)"])
        case .action: return .failed(.error)
        case .set:
            guard let mode = c.arguments.first?.int, mode == 0 || mode == 1 else { return .failed(.cms(302)) }
            if mode == 1, !profile.supportsTextMode { return .failed(.cms(303)) }
            cmgf = mode
            return .ok([])
        }
    }

    /// `+CSCA` (TS 27.005 §3.3.1).
    mutating func serviceCentreCommand(_ c: ATCommand) -> CommandResult {
        if let failure = simFailureCMS() { return .failed(failure) }
        if c.form == .read, serviceCentreBusy { return .failed(.cme(14)) }
        switch c.form {
        case .read:
            guard let smsc = serviceCentre else { return .ok(["+CSCA: \"\",129"]) }
            return .ok(["+CSCA: \"\(smsc)\",\(smsc.hasPrefix("+") ? 145 : 129)"])
        case .test: return .ok([])
        case .action: return .failed(.error)
        case .set:
            guard let address = c.arguments.first?.value, SimulatorPDU.isPhoneNumber(address) else { return .failed(.cms(304)) }
            serviceCentre = address
            return .ok([])
        }
    }

    /// `+CPMS` (TS 27.005 §3.2.2): "SM" (SIM) and "ME" (phone) memories.
    mutating func storageCommand(_ c: ATCommand) -> CommandResult {
        if let failure = simFailureCMS() { return .failed(failure) }
        if !profile.hasSMSStorage {
            // A phone: the SMS memories are not reachable over AT.
            switch c.form {
            case .read: return .ok(["+CPMS: ,,,,,,,,"])
            case .test: return .ok(["+CPMS: (),(),()"])
            default: return .failed(.cms(302))
            }
        }
        switch c.form {
        case .read:
            let fields = memories.map { name in "\"\(name)\",\(stores[name]?.used ?? 0),\(stores[name]?.capacity ?? 0)" }
            return .ok(["+CPMS: " + fields.joined(separator: ",")])
        case .test:
            return .ok(["+CPMS: (\"SM\",\"ME\"),(\"SM\",\"ME\"),(\"SM\",\"ME\")"])
        case .action: return .failed(.error)
        case .set:
            let requested = c.arguments.map { $0.value.uppercased() }
            guard !requested.isEmpty, requested.count <= 3 else { return .failed(.cms(302)) }
            // Wavecom takes <mem1>,<mem2> but refuses a third memory.
            if profile == .wavecom, requested.count == 3 { return .failed(.cms(302)) }
            for name in requested where !name.isEmpty && stores[name] == nil { return .failed(.cms(302)) }
            for (i, name) in requested.enumerated() where !name.isEmpty { memories[i] = name }
            let fields = memories.map { name in "\(stores[name]?.used ?? 0),\(stores[name]?.capacity ?? 0)" }
            return .ok(["+CPMS: " + fields.joined(separator: ",")])
        }
    }

    /// `+CNMI` (TS 27.005 §3.4.1).
    mutating func indicationCommand(_ c: ATCommand) -> CommandResult {
        switch c.form {
        case .read: return .ok(["+CNMI: " + cnmi.map(String.init).joined(separator: ",")])
        case .test: return .ok(["+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)"])
        case .action: return .failed(.error)
        case .set:
            if !profile.hasSMSStorage { return .failed(.cms(303)) }
            let limits = [0...3, 0...3, 0...3, 0...2, 0...1]
            var values = cnmi
            for (i, arg) in c.arguments.enumerated() {
                guard i < 5 else { return .failed(.cms(302)) }
                if arg.isEmpty { continue }
                guard let v = arg.int, limits[i].contains(v) else { return .failed(.cms(302)) }
                values[i] = v
            }
            cnmi = values
            return .ok([])
        }
    }

    /// URCs buffered while `+CNMI` mode was 0, flushed after the command that enabled them (bfr = 0).
    mutating func flushBufferedURCs() -> [EngineStep] {
        guard cnmi[0] != 0, !bufferedURCs.isEmpty else { return [] }
        defer { bufferedURCs = [] }
        return cnmi[4] == 0 ? urc(bufferedURCs) : []
    }

    // MARK: sending (TS 27.005 §3.5.1, §3.5.3)

    mutating func sendCommand(_ c: ATCommand) -> CommandResult {
        guard c.form == .set else { return c.form == .test ? .ok([]) : .failed(.cms(302)) }
        if let failure = simFailureCMS() { return .failed(failure) }
        if cmgf == 1 {
            guard let destination = c.arguments.first?.value, SimulatorPDU.isPhoneNumber(destination) else { return .failed(.cms(305)) }
            return .prompt(PDUEntry(purpose: .sendText(destination: destination), length: 0))
        }
        guard let length = c.arguments.first?.int, (7...164).contains(length) else { return .failed(.cms(304)) }
        return .prompt(PDUEntry(purpose: .send, length: length))
    }

    mutating func writeCommand(_ c: ATCommand) -> CommandResult {
        guard c.form == .set else { return c.form == .test ? .ok([]) : .failed(.cms(302)) }
        if let failure = simFailureCMS() { return .failed(failure) }
        guard cmgf == 0 else { return .failed(.cms(305)) }
        if !profile.hasSMSStorage { return .failed(.cms(302)) }
        guard let length = c.arguments.first?.int, (7...176).contains(length) else { return .failed(.cms(304)) }
        let status = c.arguments.count > 1 ? (c.arguments[1].int ?? -1) : 2
        guard (0...3).contains(status) else { return .failed(.cms(304)) }
        guard stores[memories[1]]?.freeSlot != nil else { return .failed(.cms(322)) }
        return .prompt(PDUEntry(purpose: .write(status: status), length: length))
    }

    /// What a host typed after a `> ` prompt and then cancelled: the recipient when the digits decode.
    func abandonedPDU(_ entry: PDUEntry) -> AbandonedPDU {
        let hex = String(decoding: entry.buffer, as: UTF8.self)
        return AbandonedPDU(number: (try? SimulatorPDU.decodeSubmit(hex: hex))?.destination, pdu: hex.uppercased(), at: now)
    }

    /// The PDU ended with Ctrl-Z: validate, then submit or store.
    mutating func finishPDU() -> [EngineStep] {
        guard let entry = pduEntry else { return [] }
        pduEntry = nil
        let hex = String(decoding: entry.buffer, as: UTF8.self)
        let latency = latency(for: "+CMGS")
        func fail(_ code: Int) -> [EngineStep] { [.wait(latency), .write(failureBytes(.cms(code)))] }
        if case .sendText(let destination) = entry.purpose {
            let text = String(decoding: entry.buffer, as: UTF8.self)
            guard let septets = GSMAlphabet.septets(for: text), septets.count <= 160 else { return fail(305) }
            return submit(DecodedSubmit(
                smsc: nil, messageReference: 0, destination: destination, statusReportRequested: false,
                rejectDuplicates: false, validityPeriodFormat: 2, protocolIdentifier: 0, dataCodingScheme: 0,
                messageClass: nil, encoding: .gsm7, concatenation: nil, text: text, tpduLength: 0),
                pdu: "", fault: entry.fault, latency: latency)
        }
        guard let octets = SimulatorPDU.octets(fromHex: hex), let smscLength = octets.first,
              octets.count == 1 + Int(smscLength) + entry.length else { return fail(304) }
        switch entry.purpose {
        case .write(let status):
            let memory = memories[1]
            guard var store = stores[memory], let slot = store.freeSlot else { return fail(322) }
            store.slots[slot] = StoredSMS(status: status, pdu: hex.uppercased())
            stores[memory] = store
            return [.write(informationBytes(["+CMGW: \(slot + profile.firstIndex)"]) + okBytes())]
        case .send:
            let decoded: DecodedSubmit
            do { decoded = try SimulatorPDU.decodeSubmit(hex: hex) } catch { return fail(304) }
            if smscLength == 0, serviceCentre == nil { return fail(330) }
            return submit(decoded, pdu: hex.uppercased(), fault: entry.fault, latency: latency)
        case .sendText:
            return []
        }
    }

    /// The network takes (or refuses) one SMS-SUBMIT.
    mutating func submit(_ submit: DecodedSubmit, pdu: String, fault: SimulatorFault?, latency: Duration) -> [EngineStep] {
        func fail(_ code: Int) -> [EngineStep] { [.wait(latency), .write(failureBytes(.cms(code)))] }
        if serviceCentre == nil, submit.smsc == nil, cmgf == 1 { return fail(330) }
        switch fault {
        case .cms(let code)?: return fail(code)
        case .error?: return [.wait(latency), .write(failureBytes(.error))]
        case .noReply?: return []
        default: break
        }
        guard functionality == 1 else { return fail(331) }
        guard registrationStat == 1 || registrationStat == 5 else { return fail(331) }
        if let code = configuration.rejectedRecipients[submit.destination] { return fail(code) }
        let reference = nextMessageReference
        nextMessageReference = (nextMessageReference + 1) % 256
        let submittedAt = now
        let part = SubmittedPart(
            number: submit.destination, text: submit.text, messageReference: reference,
            concatenation: submit.concatenation, encoding: submit.encoding,
            statusReportRequested: submit.statusReportRequested, messageClass: submit.messageClass,
            pdu: pdu, submittedAt: submittedAt)
        var steps: [EngineStep] = [.wait(latency)]
        if let message = log.add(part) { steps.append(.submitted(message)) }
        if fault != .noReplyAfterSubmit {
            steps.append(.write(informationBytes(["+CMGS: \(reference)"]) + okBytes()))
        }
        if submit.statusReportRequested, configuration.statusReports {
            let status = configuration.deliveryStatus[submit.destination] ?? 0
            steps.append(.schedule(configuration.statusReportDelay,
                                   .statusReport(reference: reference, recipient: submit.destination,
                                                 submitted: submittedAt, status: status)))
        }
        return steps
    }

    /// The network's SMS-STATUS-REPORT arrives (TS 27.005 §3.4.1 `<ds>`).
    mutating func deliverStatusReport(reference: Int, recipient: String, submitted: Date, status: UInt8) -> [EngineStep] {
        let pdu = SimulatorPDU.encodeStatusReport(
            reference: reference, recipient: recipient, submitted: submitted, discharged: now,
            offsetMinutes: configuration.timeZoneOffsetMinutes, status: status, smsc: serviceCentre)
        switch cnmi[3] {
        case 1 where mayRoute():
            if cmgf == 1, case .statusReport(let mr, let ra, let type, let scts, let dt, let st)? = try? SimulatorPDU.textView(ofHex: pdu) {
                return smsURC(["+CDS: 6,\(mr),\"\(ra)\",\(type),\"\(scts)\",\"\(dt)\",\(st)"])
            }
            return smsURC(["+CDS: \(SimulatorPDU.tpduLength(ofHex: pdu))\r\n\(pdu)"])
        case 2:
            let memory = memories[2]
            guard var store = stores[memory], let slot = store.freeSlot else { return [] }
            store.slots[slot] = StoredSMS(status: 0, pdu: pdu)
            stores[memory] = store
            return smsURC(["+CDSI: \"\(memory)\",\(slot + profile.firstIndex)"])
        default:
            return []
        }
    }

    // MARK: receiving

    /// Phase 2+ (`+CSMS: 1`, TS 27.005 §3.4.1): a message routed to the host must be acknowledged
    /// with `+CNMA` before the network's timeout; without it "ME/TA shall automatically disable
    /// routing to the TE by setting both <mt> and <ds> values of +CNMI to zero". Modelled as: the
    /// acknowledgement of the previous routed message has not come when the next one arrives.
    /// Returns false when routing has just been switched off.
    mutating func mayRoute() -> Bool {
        guard csmsService == 1 else { return true }
        if awaitingAck {
            awaitingAck = false
            cnmi[1] = 0
            cnmi[3] = 0
            return false
        }
        awaitingAck = true
        return true
    }

    /// One SMS-DELIVER arrives from the network: routed to the host (`+CMT`, mt = 2) or stored
    /// (`+CMTI` when mt = 1 or 3). With the receiving memory full it waits at the SMSC.
    mutating func deliverInbound(_ pdu: String) -> [EngineStep] {
        // The network only delivers to a registered modem with a ready SIM.
        guard canReceive else {
            heldAtSMSC.append(pdu)
            return []
        }
        if !profile.hasSMSStorage {
            // The phone keeps it in its own inbox: nothing on the AT port, nothing to list.
            phoneInbox.append(pdu)
            return []
        }
        if cnmi[1] == 2, mayRoute() {
            if cmgf == 1, case .deliver(let originator, _, let timestamp, let text)? = try? SimulatorPDU.textView(ofHex: pdu) {
                return smsURC(["+CMT: \"\(originator)\",,\"\(timestamp)\"\r\n\(text)"])
            }
            return smsURC(["+CMT: ,\(SimulatorPDU.tpduLength(ofHex: pdu))\r\n\(pdu)"])
        }
        let memory = memories[2]
        guard var store = stores[memory], let slot = store.freeSlot else {
            heldAtSMSC.append(pdu)
            if !storageFullReported, let line = profile.storageFullURC(memory: memory) {
                storageFullReported = true
                return urc([line])
            }
            return []
        }
        store.slots[slot] = StoredSMS(status: 0, pdu: pdu)
        stores[memory] = store
        if cnmi[1] == 1 || cnmi[1] == 3 {
            return smsURC(["+CMTI: \"\(memory)\",\(slot + profile.firstIndex)"])
        }
        return []
    }

    /// Messages held at the SMSC are delivered once slots free up.
    var canReceive: Bool {
        (registrationStat == 1 || registrationStat == 5) && !simBusy
    }

    mutating func retryHeldMessages() -> [EngineStep] {
        var steps: [EngineStep] = []
        while !heldAtSMSC.isEmpty, canReceive, cnmi[1] == 2 || stores[memories[2]]?.freeSlot != nil {
            steps += deliverInbound(heldAtSMSC.removeFirst())
        }
        if heldAtSMSC.isEmpty { storageFullReported = false }
        return steps
    }

    // MARK: list / read / delete (TS 27.005 §3.4.2, §3.4.3, §3.5.4)

    mutating func listCommand(_ c: ATCommand) -> CommandResult {
        if let failure = simFailureCMS() { return .failed(failure) }
        if !profile.hasSMSStorage { return c.form == .test ? .ok(["+CMGL: (0-4)"]) : .ok([]) }
        if c.form == .test {
            return .ok([cmgf == 0 ? "+CMGL: (0-4)" : "+CMGL: (" + Self.statusNames.map { "\"\($0)\"" }.joined(separator: ",") + ")"])
        }
        let wanted: Int
        if c.form == .action { wanted = 0 } else if cmgf == 1 {
            guard let name = c.arguments.first?.value.uppercased(), let value = Self.statusNames.firstIndex(of: name) else { return .failed(.cms(305)) }
            wanted = value
        } else {
            guard let value = c.arguments.first?.int, (0...4).contains(value) else { return .failed(.cms(304)) }
            wanted = value
        }
        let memory = memories[0]
        guard var store = stores[memory] else { return .failed(.cms(302)) }
        var lines: [String] = []
        for slot in store.slots.keys.sorted() {
            guard let sms = store.slots[slot], wanted == 4 || sms.status == wanted else { continue }
            if cmgf == 1 {
                lines += textLines(prefix: "+CMGL: \(slot + profile.firstIndex),", sms)
            } else {
                lines.append("+CMGL: \(slot + profile.firstIndex),\(sms.status),,\(SimulatorPDU.tpduLength(ofHex: sms.pdu))")
                lines.append(sms.pdu)
            }
            if sms.status == 0 { store.slots[slot]?.status = 1 }
        }
        stores[memory] = store
        return .ok(lines)
    }

    mutating func readCommand(_ c: ATCommand) -> CommandResult {
        if let failure = simFailureCMS() { return .failed(failure) }
        if !profile.hasSMSStorage { return .failed(.cms(321)) }
        if c.form == .test { return .ok([]) }
        let memory = memories[0]
        guard c.form == .set, let index = c.arguments.first?.int, var store = stores[memory] else { return .failed(.cms(304)) }
        let slot = index - profile.firstIndex
        guard (0..<store.capacity).contains(slot) else { return .failed(.cms(321)) }
        guard let sms = store.slots[slot] else {
            // An empty slot: Huawei answers 321, the others a bare OK.
            return profile == .huawei ? .failed(.cms(321)) : .ok([])
        }
        if sms.status == 0 { store.slots[slot]?.status = 1 }
        stores[memory] = store
        if cmgf == 1 { return .ok(textLines(prefix: "+CMGR: ", sms)) }
        return .ok(["+CMGR: \(sms.status),,\(SimulatorPDU.tpduLength(ofHex: sms.pdu))", sms.pdu])
    }

    static let statusNames = ["REC UNREAD", "REC READ", "STO UNSENT", "STO SENT", "ALL"]

    /// A stored message as text mode shows it (TS 27.005 §3.4.2 / §3.4.3, `+CSDH=0`).
    func textLines(prefix: String, _ sms: StoredSMS) -> [String] {
        let stat = "\"\(Self.statusNames[min(sms.status, 3)])\""
        if let view = try? SimulatorPDU.textView(ofHex: sms.pdu) {
            switch view {
            case .deliver(let originator, _, let timestamp, let text):
                return ["\(prefix)\(stat),\"\(originator)\",,\"\(timestamp)\"", text]
            case .statusReport(let reference, let recipient, let type, let submitted, let discharged, let status):
                return ["\(prefix)\(stat),6,\(reference),\"\(recipient)\",\(type),\"\(submitted)\",\"\(discharged)\",\(status)"]
            }
        }
        if let submit = try? SimulatorPDU.decodeSubmit(hex: sms.pdu) {
            return ["\(prefix)\(stat),\"\(submit.destination)\",", submit.text]
        }
        return ["\(prefix)\(stat),\"\",", ""]
    }

    mutating func deleteCommand(_ c: ATCommand) -> CommandResult {
        if let failure = simFailureCMS() { return .failed(failure) }
        if !profile.hasSMSStorage { return .failed(.cms(321)) }
        if c.form == .test {
            let memory = memories[0]
            let used = (stores[memory]?.slots.keys.sorted() ?? []).map { String($0 + profile.firstIndex) }.joined(separator: ",")
            return .ok(["+CMGD: (\(used)),(0-4)"])
        }
        let memory = memories[0]
        guard c.form == .set, let index = c.arguments.first?.int, var store = stores[memory] else { return .failed(.cms(304)) }
        let flag = c.arguments.count > 1 ? (c.arguments[1].int ?? -1) : 0
        guard (0...4).contains(flag) else { return .failed(.cms(304)) }
        let slot = index - profile.firstIndex
        if flag == 0 {
            guard (0..<store.capacity).contains(slot) else { return .failed(.cms(321)) }
            store.slots[slot] = nil
        } else {
            let doomed: Set<Int> = switch flag {
            case 1: [1]
            case 2: [1, 3]
            case 3: [1, 2, 3]
            default: [0, 1, 2, 3]
            }
            store.slots = store.slots.filter { !doomed.contains($0.value.status) }
        }
        stores[memory] = store
        deletionHappened = true
        return .ok([])
    }
}
