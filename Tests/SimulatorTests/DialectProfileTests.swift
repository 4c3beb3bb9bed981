import Foundation
import SMSCodec
import Testing
@testable import Simulator

/// A clock the test moves by hand: the simulator's busy windows end when the test says so.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_750_000_000)

    var now: Date { lock.withLock { current } }
    func advance(seconds: TimeInterval) { lock.withLock { current += seconds } }
    var source: @Sendable () -> Date { { [self] in now } }
}

/// The dialects of real modems that stop naive hosts (issue 10), as the simulator speaks them.
/// Each answer is checked on the wire, so the profiles stay as unfriendly as the hardware.
@Suite("modem dialects")
struct DialectProfileTests {
    // MARK: wavecom

    @Test("wavecom: AT+CPIN? gives +CPIN: READY and no final result")
    func wavecomPINWithoutFinal() async throws {
        let (_, wire) = try await connect(.wavecom)
        try await wire.send("AT+CPIN?\r")
        #expect(try await wire.read(until: "+CPIN: READY\r\n") == "\r\n+CPIN: READY\r\n")
        // Answers come in order: had a final followed the +CPIN line, it would precede this OK.
        #expect(try await wire.command("AT") == "\r\nOK\r\n")
    }

    @Test("wavecom: identity answers start with a space")
    func wavecomIdentity() async throws {
        let (_, wire) = try await connect(.wavecom)
        #expect(try await wire.command("AT+CGMI") == "\r\n WAVECOM MODEM\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+CGSN") == "\r\n \(ModemProfile.wavecom.defaultIMEI)\r\n\r\nOK\r\n")
    }

    @Test("wavecom: three storages refused, two accepted")
    func wavecomStorage() async throws {
        let (_, wire) = try await connect(.wavecom)
        try await wire.command("AT+CMEE=1")
        #expect(try await wire.command("AT+CPMS=\"SM\",\"SM\",\"SM\"", final: "ERROR: 302\r\n") == "\r\n+CMS ERROR: 302\r\n")
        #expect(try await wire.command("AT+CPMS=\"SM\",\"SM\"").hasPrefix("\r\n+CPMS: "))
    }

    @Test("wavecom: +CME ERROR: 515 to every command after AT+CFUN=1, until its window ends")
    func wavecomBusyAfterFunctionality() async throws {
        let clock = ManualClock()
        let (_, wire) = try await connect(.wavecom, configure: {
            $0.clock = clock.source
            $0.busyAfterFunctionality = .seconds(3)
        })
        #expect(try await wire.command("AT+CSQ").hasPrefix("\r\n+CSQ: "))
        try await wire.command("AT+CFUN=1")
        // Numeric even at AT+CMEE=0, as the firmware sends it.
        #expect(try await wire.command("AT", final: "515\r\n") == "\r\n+CME ERROR: 515\r\n")
        #expect(try await wire.command("AT+CSQ", final: "515\r\n") == "\r\n+CME ERROR: 515\r\n")
        clock.advance(seconds: 3.5)
        #expect(try await wire.command("AT") == "\r\nOK\r\n")
    }

    @Test("wavecom: a reset is followed by the same busy window")
    func wavecomBusyAfterReset() async throws {
        let clock = ManualClock()
        let (modem, wire) = try await connect(.wavecom, configure: {
            $0.clock = clock.source
            $0.busyAfterFunctionality = .seconds(3)
        })
        try await wire.command("AT+CFUN=1,1")
        await modem.settle()
        _ = await wire.take()
        #expect(try await wire.command("AT", final: "515\r\n").hasSuffix("+CME ERROR: 515\r\n"))
    }

    // MARK: qualcomm-pin-first

    @Test("qualcomm-pin-first: +CME ERROR: 11 to everything but AT+CPIN until the PIN")
    func pinFirst() async throws {
        let clock = ManualClock()
        let (_, wire) = try await connect(.qualcommPinFirst, configure: {
            $0.pin = "1234"
            $0.clock = clock.source
        }, echoOff: false)
        #expect(try await wire.command("AT", final: "ERROR: 11\r\n").hasSuffix("\r\n+CME ERROR: 11\r\n"))
        #expect(try await wire.command("ATE0", final: "ERROR: 11\r\n").hasSuffix("\r\n+CME ERROR: 11\r\n"))
        #expect(try await wire.command("AT+CMEE=1", final: "ERROR: 11\r\n").hasSuffix("\r\n+CME ERROR: 11\r\n"))
        #expect(try await wire.command("AT+CGSN", final: "ERROR: 11\r\n").hasSuffix("\r\n+CME ERROR: 11\r\n"))
        #expect(try await wire.command("AT+CPIN?").hasSuffix("\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"))
        #expect(try await wire.command("AT+CPIN=\"1234\"").hasSuffix("\r\nOK\r\n"))
        #expect(try await wire.command("ATE0").hasSuffix("\r\nOK\r\n"))
        _ = await wire.take()
        // The SMS centre stays "SIM busy" for a while after the unlock.
        #expect(try await wire.command("AT+CSCA?", final: "ERROR: 14\r\n") == "\r\n+CME ERROR: 14\r\n")
        clock.advance(seconds: 2.5)
        #expect(try await wire.command("AT+CSCA?") == "\r\n+CSCA: \"+33689004000\",145\r\n\r\nOK\r\n")
    }

    @Test("qualcomm-pin-first through the dialect starts locked with PIN 1234")
    func pinFirstDefaultPIN() throws {
        let dialect = try #require(SimulatedDialect(parsing: "qualcomm-pin-first"))
        #expect(dialect.configure(SimulatorConfiguration()).pin == "1234")
        var withPIN = SimulatorConfiguration()
        withPIN.pin = "4321"
        #expect(dialect.configure(withPIN).pin == "4321")
        #expect(SimulatedDialect(parsing: "generic")?.configure(SimulatorConfiguration()).pin == nil)
    }

    // MARK: nokia-phone

    @Test("nokia-phone: no SMS memory over AT, every AT+CNMI refused")
    func nokiaStorage() async throws {
        let (_, wire) = try await connect(.nokiaPhone)
        try await wire.command("AT+CMEE=1")
        #expect(try await wire.command("AT+CPMS?") == "\r\n+CPMS: ,,,,,,,,\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+CPMS=\"SM\",\"SM\",\"SM\"", final: "ERROR: 302\r\n") == "\r\n+CMS ERROR: 302\r\n")
        #expect(try await wire.command("AT+CPMS=\"ME\"", final: "ERROR: 302\r\n") == "\r\n+CMS ERROR: 302\r\n")
        for setting in ["2,1,0,2,0", "2,1,0,1,0", "2,1,0,0,0", "1,1,0,0,0", "2,1"] {
            #expect(try await wire.command("AT+CNMI=\(setting)", final: "ERROR: 303\r\n") == "\r\n+CMS ERROR: 303\r\n")
        }
    }

    @Test("nokia-phone: sending works, a reply stays in the phone where AT cannot see it")
    func nokiaSendsButCannotReadReplies() async throws {
        let (modem, wire) = try await connect(.nokiaPhone)
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Bonjour").first)
        #expect(try await submit(pdu, on: wire).contains("+CMGS: "))
        try await modem.injectInbound(from: "+33612345678", text: "STOP")
        await modem.settle()
        #expect(try await wire.command("AT+CMGL=4") == "\r\nOK\r\n")
        #expect(!(await wire.text).contains("+CMTI"))
        #expect(await modem.status.unreadableInbox == 1)
        #expect(await modem.submitted.count == 1)
    }

    // MARK: quirks

    @Test("dialect names", arguments: [
        ("wavecom", SimulatedDialect(profile: .wavecom)),
        ("generic+no-smsc", SimulatedDialect(profile: .generic, quirks: [.noSMSC])),
        ("no-smsc", SimulatedDialect(profile: .generic, quirks: [.noSMSC])),
        ("huawei+cms500-once+esc-sensitive", SimulatedDialect(profile: .huawei, quirks: [.cms500Once, .escSensitive])),
        ("sim-busy+quectel", SimulatedDialect(profile: .quectel, quirks: [.simBusy])),
        ("nokia-phone", SimulatedDialect(profile: .nokiaPhone)),
    ])
    func dialectNames(text: String, expected: SimulatedDialect) {
        #expect(SimulatedDialect(parsing: text) == expected)
    }

    @Test("unknown or contradictory dialect names are refused", arguments: ["", "nokia", "wavecom+huawei", "generic+", "no-smsc+bogus"])
    func badDialectNames(text: String) {
        #expect(SimulatedDialect(parsing: text) == nil)
    }

    @Test("no-smsc: AT+CSCA? is empty and a PDU without SMSC is refused with CMS 330")
    func noSMSC() async throws {
        let configuration = SimulatedDialect(profile: .generic, quirks: [.noSMSC]).configure(.fast)
        let (_, wire) = try await connect(configure: { $0 = configuration })
        #expect(try await wire.command("AT+CSCA?") == "\r\n+CSCA: \"\",129\r\n\r\nOK\r\n")
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Hi").first)
        #expect(try await submit(pdu, on: wire, final: "330\r\n") == "\r\n+CMS ERROR: 330\r\n")
        var options = SubmitOptions()
        options.smsc = "+33689004000"
        let withCentre = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Hi", options: options).first)
        #expect(try await submit(withCentre, on: wire).contains("+CMGS: "))
    }

    @Test("cms500-once: the first submission is refused with CMS 500, the next goes through")
    func cms500Once() async throws {
        let configuration = SimulatedDialect(profile: .generic, quirks: [.cms500Once]).configure(.fast)
        let (modem, wire) = try await connect(configure: { $0 = configuration })
        try await wire.command("AT+CMEE=1")
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Hi").first)
        #expect(try await submit(pdu, on: wire, final: "500\r\n") == "\r\n+CMS ERROR: 500\r\n")
        #expect(try await submit(pdu, on: wire).contains("+CMGS: "))
        #expect(try await submit(pdu, on: wire).contains("+CMGS: "))
        #expect(await modem.submittedParts.count == 2)
    }

    @Test("sim-busy: AT+CSCA? answers +CME ERROR: 14 for ever")
    func simBusy() async throws {
        let clock = ManualClock()
        var configuration = SimulatedDialect(profile: .generic, quirks: [.simBusy]).configure(.fast)
        configuration.clock = clock.source
        let (_, wire) = try await connect(configure: { $0 = configuration })
        try await wire.command("AT+CMEE=1")
        for _ in 0..<3 {
            #expect(try await wire.command("AT+CSCA?", final: "ERROR: 14\r\n") == "\r\n+CME ERROR: 14\r\n")
            clock.advance(seconds: 3600)
        }
    }

    @Test("esc-sensitive: a line that starts with ESC is discarded; ESC then CR clears the way")
    func escSensitive() async throws {
        let configuration = SimulatedDialect(profile: .generic, quirks: [.escSensitive]).configure(.fast)
        let (_, wire) = try await connect(configure: { $0 = configuration })
        try await wire.sendBytes([0x1B] + Array("AT+CMEE?\r".utf8))
        // Answers come in order: an answer to the ESC line would precede this one.
        #expect(try await wire.command("AT+CSQ") == "\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
        try await wire.sendBytes([0x1B, 0x0D])
        #expect(try await wire.command("AT+CMEE?") == "\r\n+CMEE: 0\r\n\r\nOK\r\n")
    }

    @Test("without esc-sensitive, ESC before a command line is ignored")
    func escTolerated() async throws {
        let (_, wire) = try await connect()
        try await wire.sendBytes([0x1B] + Array("AT+CMEE?\r".utf8))
        #expect(try await wire.read(until: "OK\r\n") == "\r\n+CMEE: 0\r\n\r\nOK\r\n")
    }
}
