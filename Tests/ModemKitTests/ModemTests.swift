import Foundation
import ModemKit
import SMSCodec
import Simulator
import Testing

@Suite("Modem against the simulator, every profile, in memory and over a pty")
struct ModemTests {
    @Test("initialise, then queries answer", arguments: everyProfileAndLink)
    func initialiseAndQuery(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link)
        defer { Task { await bench.tearDown() } }
        #expect(try await bench.modem.simStatus() == .ready)
        let registration = try await bench.modem.registration()
        #expect(registration.isRegistered)
        let signal = try await bench.modem.signal()
        #expect(signal.dBm == -113 + 2 * 20)
        let usage = try await bench.modem.storageUsage()
        #expect(usage.read.total == 30)
        #expect(try await bench.modem.serviceCentre() == "+33689004000")
        #expect(try await bench.modem.ownNumber() == "+33600000001")
    }

    @Test("identity reports IMEI, IMSI and ICCID", arguments: everyProfileAndLink)
    func identity(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link, configure: { $0.imei = "356938035643809" })
        defer { Task { await bench.tearDown() } }
        let identity = try await bench.modem.identity()
        #expect(identity.imei == "356938035643809")
        #expect(identity.imsi == "208019876543210")
        #expect(identity.iccid == "8933019876543210123")
        #expect(identity.manufacturer?.isEmpty == false)
        #expect(identity.model?.isEmpty == false)
    }

    @Test("SMSC can be changed", arguments: storageProfiles)
    func setServiceCentre(profile: ModemProfile) async throws {
        let bench = try await Bench.ready(profile, .memory)
        defer { Task { await bench.tearDown() } }
        try await bench.modem.setServiceCentre("+33609001390")
        #expect(try await bench.modem.serviceCentre() == "+33609001390")
    }

    @Test("a single-part SMS is submitted and its reference returned", arguments: everyProfileAndLink)
    func sendSingle(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link)
        defer { Task { await bench.tearDown() } }
        let pdus = try SMSSubmitEncoder.encode(to: "+33612345678", text: "Bonjour, votre commande est prête")
        #expect(pdus.count == 1)
        let reference = try await bench.modem.send(pdus[0])
        let submitted = await bench.simulator.submitted
        #expect(submitted.count == 1)
        #expect(submitted.first?.number == "+33612345678")
        #expect(submitted.first?.text == "Bonjour, votre commande est prête")
        #expect(submitted.first?.references == [reference])
    }

    @Test("a multi-part SMS goes out part after part", arguments: everyProfileAndLink)
    func sendMultipart(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link)
        defer { Task { await bench.tearDown() } }
        let text = String(repeating: "Soldes d'hiver: -30% sur tout le magasin ce week-end. ", count: 6)
        var options = SubmitOptions()
        options.concatReference = 42
        let pdus = try SMSSubmitEncoder.encode(to: "+33612345678", text: text, options: options)
        #expect(pdus.count > 1)
        var references: [Int] = []
        for pdu in pdus { references.append(try await bench.modem.send(pdu)) }
        let submitted = await bench.simulator.submitted
        #expect(submitted.count == 1)
        #expect(submitted.first?.text == text)
        #expect(submitted.first?.parts == pdus.count)
        #expect(Set(references).count == pdus.count)
    }

    @Test("inbound messages are listed, read and deleted", arguments: everyProfileAndLink)
    func listReadDelete(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link)
        defer { Task { await bench.tearDown() } }
        let announced = Task { await firstEvent(on: bench.modem) { if case .newMessage = $0 { true } else { false } } }
        let pdus = try await bench.simulator.injectInbound(from: "+33698765432", text: "STOP")
        let event = await announced.value
        guard case .newMessage(_, let announcedIndex) = event else {
            Issue.record("no +CMTI for the new message: \(String(describing: event))")
            return
        }
        let listed = try await bench.modem.listMessages()
        #expect(listed.map(\.pduHex) == pdus)
        #expect(listed.first?.index == announcedIndex)
        let read = try await bench.modem.readMessage(index: announcedIndex)
        #expect(read.pduHex == pdus.first)
        try await bench.modem.deleteMessage(index: announcedIndex)
        #expect(try await bench.modem.listMessages().isEmpty)
        #expect(try await bench.modem.storageUsage().read.used == 0)
    }

    @Test("reading an empty slot is a typed error", arguments: storageProfiles)
    func readEmptySlot(profile: ModemProfile) async throws {
        let bench = try await Bench.ready(profile, .memory)
        defer { Task { await bench.tearDown() } }
        await #expect(throws: ModemError.self) { try await bench.modem.readMessage(index: 7) }
        #expect(try await bench.modem.signal().rssi == 20)  // still in step
    }

    @Test("a URC between the prompt and +CMGS is delivered and the send succeeds", arguments: everyProfileAndLink)
    func urcDuringSend(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link, wrap: { transport, simulator in
            PromptHookTransport(transport) { await simulator.emitURC("+CMTI: \"SM\",9") }
        })
        defer { Task { await bench.tearDown() } }
        let announced = Task { await firstEvent(on: bench.modem) { $0 == .newMessage(storage: "SM", index: 9) } }
        let pdu = try SMSSubmitEncoder.encode(to: "+33612345678", text: "hello")[0]
        let reference = try await bench.modem.send(pdu)
        #expect(await bench.simulator.submitted.first?.references == [reference])
        #expect(await announced.value == .newMessage(storage: "SM", index: 9))
    }

    @Test("the simulator's URC-mid-response fault on AT+CMGS is delivered and the send succeeds", arguments: everyProfileAndLink)
    func urcFaultDuringSend(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link)
        defer { Task { await bench.tearDown() } }
        let announced = Task { await firstEvent(on: bench.modem) { $0 == .newMessage(storage: "SM", index: 11) } }
        await bench.simulator.inject(fault: .urcMidResponse("+CMTI: \"SM\",11"), command: "+CMGS")
        let pdu = try SMSSubmitEncoder.encode(to: "+33612345678", text: "hello")[0]
        let reference = try await bench.modem.send(pdu)
        #expect(await bench.simulator.submitted.first?.references == [reference])
        #expect(await announced.value == .newMessage(storage: "SM", index: 11))
    }

    @Test("a URC in the middle of a +CMGL answer is delivered and the list is whole", arguments: everyProfileAndLink)
    func urcDuringList(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link)
        defer { Task { await bench.tearDown() } }
        let pdus = try await bench.simulator.injectInbound(from: "+33698765432", text: String(repeating: "long text ", count: 30))
        let announced = Task { await firstEvent(on: bench.modem) { $0 == .vendor("^RSSI: 9") || $0 == .newMessage(storage: "SM", index: 29) } }
        await bench.simulator.inject(fault: .urcMidResponse("+CMTI: \"SM\",29"), command: "+CMGL")
        let listed = try await bench.modem.listMessages()
        #expect(listed.map(\.pduHex).sorted() == pdus.sorted())
        #expect(await announced.value == .newMessage(storage: "SM", index: 29))
    }

    @Test("reset restarts the modem, and initialise brings it back", arguments: everyProfileAndLink)
    func reset(profile: ModemProfile, link: Link) async throws {
        let bench = try await Bench.ready(profile, link, configure: { $0.bootURCs = true })
        defer { Task { await bench.tearDown() } }
        try await bench.modem.reset()
        try await bench.modem.initialise()
        #expect(try await bench.modem.signal().rssi == 20)
    }

    @Test("raw commands return their answer, errors included", arguments: storageProfiles)
    func raw(profile: ModemProfile) async throws {
        let bench = try await Bench.ready(profile, .memory)
        defer { Task { await bench.tearDown() } }
        let csq = try await bench.modem.raw("AT+CSQ", timeout: .seconds(2))
        #expect(csq.final == .ok)
        #expect(csq.lines.contains { $0.hasPrefix("+CSQ:") })
        let bogus = try await bench.modem.raw("AT+NOSUCHTHING", timeout: .seconds(2))
        #expect(!bogus.final.isSuccess)
        await #expect(throws: ModemError.self) { try await bench.modem.raw("AT+CSQ\rAT+CMGD=1,4", timeout: .seconds(1)) }
    }
}
