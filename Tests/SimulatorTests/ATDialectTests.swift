import Foundation
import Testing
@testable import Simulator

@Suite("AT dialect")
struct ATDialectTests {
    @Test("echo is on until ATE0 and repeats exactly what was typed")
    func echoUntilATE0() async throws {
        let (_, wire) = try await connect(echoOff: false)
        #expect(try await wire.command("AT") == "AT\r\r\nOK\r\n")
        #expect(try await wire.command("ATE0") == "ATE0\r\r\nOK\r\n")
        #expect(try await wire.command("AT") == "\r\nOK\r\n")
    }

    @Test("identity answers per profile", arguments: ModemProfile.allCases)
    func identity(profile: ModemProfile) async throws {
        let (_, wire) = try await connect(profile)
        // Wavecom prints its identity answers after a space.
        let lead = profile.identityLeadingSpace ? " " : ""
        #expect(try await wire.command("AT+CGMI") == "\r\n\(lead)\(profile.manufacturer)\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+CGMM") == "\r\n\(lead)\(profile.model)\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+CGSN") == "\r\n\(lead)\(profile.defaultIMEI)\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+CIMI") == "\r\n\(lead)208019876543210\r\n\r\nOK\r\n")
    }

    @Test("ICCID through the family's own command", arguments: [
        (ModemProfile.generic, "AT+CRSM=176,12258,0,0,10", "+CRSM: 144,0,\"983310896745230121F3\""),
        (.huawei, "AT^ICCID?", "^ICCID: 983310896745230121F3"),
        (.simcom, "AT+CCID", "8933019876543210123"),
        (.sim7600, "AT+CICCID", "+ICCID: 8933019876543210123"),
        (.quectel, "AT+QCCID", "+QCCID: 8933019876543210123"),
    ])
    func iccid(profile: ModemProfile, command: String, answer: String) async throws {
        let (_, wire) = try await connect(profile)
        #expect(try await wire.command(command) == "\r\n\(answer)\r\n\r\nOK\r\n")
    }

    @Test("unknown commands get the family's final result", arguments: [
        (ModemProfile.generic, "ERROR"), (.huawei, "COMMAND NOT SUPPORT"), (.simcom, "ERROR"), (.sim7600, "ERROR"), (.quectel, "ERROR"),
    ])
    func unknownCommand(profile: ModemProfile, final: String) async throws {
        let (_, wire) = try await connect(profile)
        #expect(try await wire.command("AT+XYZZY", final: "\r\n\(final)\r\n") == "\r\n\(final)\r\n")
    }

    @Test("boot URCs per profile when a host first connects", arguments: ModemProfile.allCases)
    func bootURCs(profile: ModemProfile) async throws {
        var configuration = SimulatorConfiguration.fast
        configuration.bootURCs = true
        let modem = SimulatedModem(profile: profile, configuration: configuration)
        let wire = HostWire(await modem.connectInMemory())
        await wire.start()
        let expected = profile.bootURCs(simLocked: false).map { "\r\n\($0)\r\n" }.joined()
        // The modem has written its boot URCs once settled, but the wire's reader may not have
        // collected them yet: wait for the last one, then nothing else may follow.
        let lastURC = profile.bootURCs(simLocked: false).last.map { "\r\n\($0)\r\n" } ?? ""
        let received = lastURC.isEmpty ? "" : try await wire.read(until: lastURC)
        await modem.settle()
        #expect(received + (await wire.take()) == expected)
        if profile == .simcom { #expect(expected.contains("SMS Ready")) }
        if profile == .quectel { #expect(expected.contains("+QIND: SMS DONE")) }
        if profile == .sim7600 { #expect(expected.hasSuffix("\r\nSMS DONE\r\n\r\nPB DONE\r\n")) }
    }

    @Test("CME errors follow AT+CMEE: ERROR, numeric, verbose")
    func cmeeRendering() async throws {
        let (_, wire) = try await connect(configure: { $0.pin = "1234" })
        #expect(try await wire.command("AT+CIMI", final: "ERROR\r\n") == "\r\nERROR\r\n")
        try await wire.command("AT+CMEE=1")
        #expect(try await wire.command("AT+CIMI", final: "11\r\n") == "\r\n+CME ERROR: 11\r\n")
        try await wire.command("AT+CMEE=2")
        #expect(try await wire.command("AT+CIMI", final: "required\r\n") == "\r\n+CME ERROR: SIM PIN required\r\n")
    }

    @Test("several commands on one line share one final result")
    func concatenatedCommands() async throws {
        let (_, wire) = try await connect()
        #expect(try await wire.command("AT+CMGF=0;+CSQ;+CMGF?") == "\r\n+CSQ: 20,99\r\n\r\n+CMGF: 0\r\n\r\nOK\r\n")
    }

    @Test("A/ repeats the last command line and backspace edits the line")
    func repeatAndBackspace() async throws {
        let (_, wire) = try await connect()
        try await wire.command("AT+CSQ")
        try await wire.send("A/")
        #expect(try await wire.read(until: "OK\r\n") == "\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
        try await wire.sendBytes(Array("AT+CSX".utf8) + [0x08] + Array("Q\r".utf8))
        #expect(try await wire.read(until: "OK\r\n") == "\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
    }

    @Test("registration, operator and signal")
    func network() async throws {
        let (modem, wire) = try await connect(.quectel)
        #expect(try await wire.command("AT+CREG?") == "\r\n+CREG: 0,1\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+CEREG=2;+CEREG?") == "\r\n+CEREG: 2,1,\"1A2B\",\"01C3D4E5\",7\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+COPS?") == "\r\n+COPS: 0,0,\"Orange F\",7\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+COPS=3,2;+COPS?") == "\r\n+COPS: 0,2,\"20801\",7\r\n\r\nOK\r\n")
        try await wire.command("AT+CREG=1")
        await modem.setRegistration(.searching)
        #expect(try await wire.read(until: "+CEREG: 2\r\n") == "\r\n+CREG: 2\r\n\r\n+CEREG: 2\r\n")
        #expect(try await wire.command("AT+COPS?") == "\r\n+COPS: 0\r\n\r\nOK\r\n")
    }

    @Test("the SIM800 profile is 2G only: no +CEREG and no access technology")
    func simcomIs2G() async throws {
        let (_, wire) = try await connect(.simcom)
        #expect(try await wire.command("AT+CEREG?", final: "ERROR\r\n") == "\r\nERROR\r\n")
        #expect(try await wire.command("AT+COPS?") == "\r\n+COPS: 0,0,\"Orange F\"\r\n\r\nOK\r\n")
    }

    @Test("own number, service centre get and set")
    func numbers() async throws {
        let (_, wire) = try await connect()
        #expect(try await wire.command("AT+CNUM") == "\r\n+CNUM: \"\",\"+33600000001\",145\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+CSCA?") == "\r\n+CSCA: \"+33689004000\",145\r\n\r\nOK\r\n")
        try await wire.command("AT+CSCA=\"+33695000695\",145")
        #expect(try await wire.command("AT+CSCA?") == "\r\n+CSCA: \"+33695000695\",145\r\n\r\nOK\r\n")
    }

    @Test("text mode: rejected by the strict profile, accepted by the vendor ones", arguments: ModemProfile.allCases)
    func textMode(profile: ModemProfile) async throws {
        let (_, wire) = try await connect(profile)
        try await wire.send("AT+CMGF=1\r")
        let answer = try await wire.read(until: "\r\n", timeout: .seconds(5)) + (try await wire.read(until: "\r\n"))
        #expect(answer == (profile == .generic ? "\r\n+CMS ERROR: 303\r\n" : "\r\nOK\r\n"))
    }

    @Test("ATZ restores echo and CMEE; CFUN=1,1 reboots and locks the SIM again")
    func resets() async throws {
        let (_, wire) = try await connect(configure: { $0.pin = "1234" })
        try await wire.command("AT+CMEE=1;+CPIN=\"1234\"")
        #expect(try await wire.command("ATZ") == "\r\nOK\r\n")
        #expect(try await wire.command("AT") == "AT\r\r\nOK\r\n")
        #expect(try await wire.command("AT+CPIN?") == "AT+CPIN?\r\r\n+CPIN: READY\r\n\r\nOK\r\n")
        #expect(try await wire.command("AT+CFUN=1,1") == "AT+CFUN=1,1\r\r\nOK\r\n")
        #expect(try await wire.command("AT+CPIN?") == "AT+CPIN?\r\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n")
    }

    @Test("latency delays the answer of a configured command")
    func latency() async throws {
        let (_, wire) = try await connect(configure: { $0.latency = ["+CSQ": .milliseconds(300)] })
        let clock = ContinuousClock()
        let start = clock.now
        try await wire.command("AT+CSQ")
        #expect(clock.now - start >= .milliseconds(300))
    }
}
