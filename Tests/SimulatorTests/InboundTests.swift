import Foundation
import SMSCodec
import Testing
@testable import Simulator

/// `+CMGL` lines → (index, status, pdu).
func parseList(_ answer: String) -> [(index: Int, status: Int, pdu: String)] {
    let lines = answer.split(separator: "\r\n").map(String.init)
    var out: [(Int, Int, String)] = []
    var i = 0
    while i < lines.count {
        if lines[i].hasPrefix("+CMGL: "), i + 1 < lines.count {
            let fields = lines[i].dropFirst(7).split(separator: ",", omittingEmptySubsequences: false)
            out.append((Int(fields[0]) ?? -1, Int(fields[1]) ?? -1, lines[i + 1]))
            i += 2
        } else { i += 1 }
    }
    return out
}

@Suite("inbound")
struct InboundTests {
    // A phone (nokia-phone) keeps what it receives: DialectProfileTests checks that nothing shows.
    @Test("a text from a number is stored and announced by +CMTI at the profile's first index",
          arguments: ModemProfile.allCases.filter(\.hasSMSStorage))
    func singleMessage(profile: ModemProfile) async throws {
        let (modem, wire) = try await connect(profile)
        try await wire.command("AT+CNMI=2,1,0,0,0")
        try await modem.injectInbound(from: "+33612345678", text: "Stop !")
        let first = profile.firstIndex
        #expect(try await wire.read(until: "\r\n+CMTI: \"SM\",\(first)\r\n") == "\r\n+CMTI: \"SM\",\(first)\r\n")
        let listed = parseList(try await wire.command("AT+CMGL=4"))
        #expect(listed.count == 1)
        #expect(listed.first?.index == first)
        #expect(listed.first?.status == 0)
        guard case .deliver(let sms) = try PDUDecoder.decode(hex: listed.first?.pdu ?? "") else {
            Issue.record("not an SMS-DELIVER")
            return
        }
        #expect(sms.originator == "+33612345678")
        #expect(sms.text == "Stop !")
        // Listing marked it read.
        #expect(parseList(try await wire.command("AT+CMGL=1")).count == 1)
    }

    @Test("an alphanumeric sender")
    func alphanumericSender() async throws {
        let (modem, wire) = try await connect()
        try await modem.injectInbound(from: "MyShop", text: "Promo")
        let listed = parseList(try await wire.command("AT+CMGL=4"))
        guard case .deliver(let sms) = try PDUDecoder.decode(hex: listed.first?.pdu ?? "") else {
            Issue.record("not an SMS-DELIVER")
            return
        }
        #expect(sms.originator == "MyShop")
    }

    @Test("a long text arrives as parts in the order given, each with its +CMTI, and reassembles")
    func multiPartOutOfOrder() async throws {
        let (modem, wire) = try await connect()
        try await wire.command("AT+CNMI=2,1,0,0,0")
        let text = String(repeating: "Désabonnez-moi, merci beaucoup. ", count: 10)  // 320 GSM septets: 3 parts
        let pdus = try await modem.injectInbound(from: "+33612345678", text: text, partOrder: [3, 1, 2])
        #expect(pdus.count == 3)
        try await wire.read(until: "+CMTI: \"SM\",3\r\n")
        let listed = parseList(try await wire.command("AT+CMGL=4"))
        var reassembler = Reassembler(timeout: .seconds(60))
        var outcomes: [String] = []
        var sequences: [Int] = []
        for entry in listed {
            guard case .deliver(let sms) = try PDUDecoder.decode(hex: entry.pdu) else { continue }
            sequences.append(sms.concatenation?.sequence ?? 0)
            if case .complete(let message) = reassembler.add(sms, receivedAt: Date()) { outcomes.append(message.text) }
        }
        #expect(sequences == [3, 1, 2])
        #expect(outcomes == [text])
    }

    @Test("a bad part order is refused")
    func badOrder() async throws {
        let (modem, _) = try await connect()
        await #expect(throws: InjectionError.self) {
            try await modem.injectInbound(from: "+33612345678", text: "short", partOrder: [2, 1])
        }
    }

    @Test("full storage: messages wait at the SMSC, CMGW says 322, a delete lets the next one in")
    func storageFull() async throws {
        let (modem, wire) = try await connect(.quectel, configure: { $0.storageCapacity = 2 })
        try await modem.injectInbound(from: "+33611111111", text: "one")
        try await modem.injectInbound(from: "+33622222222", text: "two")
        try await modem.injectInbound(from: "+33633333333", text: "three")
        try await wire.read(until: "+CMTI: \"SM\",1\r\n")
        #expect(try await wire.read(until: "\r\n+QIND: \"smsfull\",\"SM\"\r\n") == "\r\n+QIND: \"smsfull\",\"SM\"\r\n")
        #expect(try await wire.command("AT+CPMS?") == "\r\n+CPMS: \"SM\",2,2,\"SM\",2,2,\"SM\",2,2\r\n\r\nOK\r\n")
        #expect(await modem.status.heldAtSMSC == 1)
        #expect(try await wire.command("AT+CMGW=7", final: "322\r\n") == "\r\n+CMS ERROR: 322\r\n")
        #expect(try await wire.command("AT+CMGD=0", final: "+CMTI: \"SM\",0\r\n") == "\r\nOK\r\n\r\n+CMTI: \"SM\",0\r\n")
        let listed = parseList(try await wire.command("AT+CMGL=4"))
        let texts = try listed.map { entry -> String in
            guard case .deliver(let sms) = try PDUDecoder.decode(hex: entry.pdu) else { return "" }
            return sms.text
        }
        #expect(texts == ["three", "two"])
    }

    @Test("read and delete by index; delete all with flag 4; out-of-range index: CMS 321")
    func readDelete() async throws {
        let (modem, wire) = try await connect()
        try await modem.injectInbound(from: "+33612345678", text: "a")
        try await modem.injectInbound(from: "+33612345678", text: "b")
        await modem.settle()
        #expect(try await wire.command("AT+CMGR=2").hasPrefix("\r\n+CMGR: 0,,"))
        #expect(try await wire.command("AT+CMGR=2").hasPrefix("\r\n+CMGR: 1,,"))
        try await wire.command("AT+CMGD=1")
        #expect(await modem.storedPDUs().keys.sorted() == [2])
        try await wire.command("AT+CMGD=1,4")
        #expect(await modem.storedPDUs().isEmpty)
        #expect(try await wire.command("AT+CMGR=99", final: "321\r\n") == "\r\n+CMS ERROR: 321\r\n")
    }

    @Test("with CNMI mt=2 the message is routed to the host as +CMT and not stored")
    func routedDirect() async throws {
        let (modem, wire) = try await connect()
        try await wire.command("AT+CNMI=2,2,0,0,0")
        try await modem.injectInbound(from: "+33612345678", text: "direct")
        try await wire.read(until: "+CMT: ,")
        _ = try await wire.read(until: "\r\n")
        let pdu = try await wire.read(until: "\r\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard case .deliver(let sms) = try PDUDecoder.decode(hex: pdu) else {
            Issue.record("not a deliver")
            return
        }
        #expect(sms.text == "direct")
        #expect(await modem.storedPDUs().isEmpty)
    }

    @Test("phase 2+ (+CSMS: 1): routing stays on while each routed message is acknowledged with +CNMA, and goes off without it")
    func phase2PlusNeedsAcknowledgements() async throws {
        let (modem, wire) = try await connect(configure: { $0.initialSMSService = 1 })
        #expect(try await wire.command("AT+CSMS?") == "\r\n+CSMS: 1,1,1,1\r\n\r\nOK\r\n")
        try await wire.command("AT+CNMI=2,2,0,0,0")
        try await modem.injectInbound(from: "+33612345678", text: "one")
        try await wire.read(until: "+CMT: ,")
        _ = try await wire.read(until: "\r\n")
        _ = try await wire.read(until: "\r\n")
        try await wire.command("AT+CNMA")
        try await modem.injectInbound(from: "+33612345678", text: "two")
        try await wire.read(until: "+CMT: ,")
        _ = try await wire.read(until: "\r\n")
        _ = try await wire.read(until: "\r\n")
        // No +CNMA for "two": the next message switches routing off and is stored, unannounced.
        try await modem.injectInbound(from: "+33612345678", text: "three")
        await modem.settle()
        #expect(await wire.take() == "")
        #expect(await modem.storedPDUs().count == 1)
        #expect(try await wire.command("AT+CNMI?") == "\r\n+CNMI: 2,0,0,0,0\r\n\r\nOK\r\n")
        // Service 0 owes nothing: +CNMA is refused.
        try await wire.command("AT+CSMS=0")
        #expect(try await wire.command("AT+CNMA", final: "\r\n+CMS ERROR: 340\r\n") == "\r\n+CMS ERROR: 340\r\n")
    }

    @Test("with CNMI mode 0 the +CMTI is buffered until CNMI enables indications")
    func bufferedIndications() async throws {
        let (modem, wire) = try await connect()
        try await wire.command("AT+CNMI=0,1,0,0,0")
        try await modem.injectInbound(from: "+33612345678", text: "x")
        await modem.settle()
        #expect(await wire.take() == "")
        #expect(try await wire.command("AT+CNMI=2,1,0,0,0", final: "+CMTI: \"SM\",1\r\n") == "\r\nOK\r\n\r\n+CMTI: \"SM\",1\r\n")
    }

    @Test("messages sent to a locked or unregistered modem wait at the SMSC and arrive once it can receive")
    func heldUntilReachable() async throws {
        let (modem, wire) = try await connect(.quectel, configure: { $0.pin = "1234" })
        try await modem.injectInbound(from: "+33612345678", text: "while locked")
        await modem.settle()
        #expect(await modem.status.heldAtSMSC == 1)
        #expect(try await wire.command("AT+CPIN=\"1234\"", final: "+CMTI: \"SM\",0\r\n") == "\r\nOK\r\n\r\n+CMTI: \"SM\",0\r\n")
        await modem.setRegistration(.searching)
        try await modem.injectInbound(from: "+33612345678", text: "no network")
        await modem.settle()
        #expect(await modem.storedPDUs().count == 1)
        await modem.setRegistration(.roaming)
        #expect(try await wire.read(until: "+CMTI: \"SM\",1\r\n") == "\r\n+CMTI: \"SM\",1\r\n")
    }

    @Test("an agent killed at the > prompt leaves the modem waiting for the PDU: AT is swallowed until ESC")
    func promptLeftByKilledAgent() async throws {
        let (modem, wire) = try await connect()
        try await wire.send("AT+CMGS=20\r")
        try await wire.read(until: "> ")
        try await wire.send("AT\r")
        await modem.settle()
        #expect(await wire.take() == "")
        try await wire.sendBytes([0x1B])
        #expect(try await wire.read(until: "OK\r\n") == "\r\nOK\r\n")
        #expect(try await wire.command("AT") == "\r\nOK\r\n")
    }
}
