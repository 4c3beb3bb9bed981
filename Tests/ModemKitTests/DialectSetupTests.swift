import Foundation
import ModemKit
import SMSCodec
import Simulator
import Testing

/// `Modem.prepare` / `initialise` against the dialects of issue 10: each must end in a working
/// modem or in an error that names the cause.
@Suite("dialect set-up", .timeLimit(.minutes(1)))
struct DialectSetupTests {
    final class Box: @unchecked Sendable { var recorder: RecordingTransport? }

    static func bench(_ dialect: String, options: ModemOptions = .testing(),
                      configure: (inout SimulatorConfiguration) -> Void = { _ in }) async throws -> (Bench, RecordingTransport) {
        let parsed = try #require(SimulatedDialect(parsing: dialect))
        let box = Box()
        let bench = try await Bench.make(parsed.profile, .memory, options: options, wrap: { transport, _ in
            let recorder = RecordingTransport(transport)
            box.recorder = recorder
            return recorder
        }, configure: { configuration in
            configure(&configuration)
            configuration = parsed.configure(configuration)
        })
        return (bench, try #require(box.recorder))
    }

    // MARK: PIN first

    @Test("PIN-first stick: the PIN is entered once, then the whole set-up runs")
    func pinFirstWithPIN() async throws {
        let (bench, recorder) = try await Self.bench("qualcomm-pin-first", configure: { $0.serviceCentreBusyAfterUnlock = .milliseconds(300) })
        defer { Task { await bench.tearDown() } }
        let setup = try await bench.modem.prepare(pin: "1234")
        #expect(setup.inbound == .announced)
        // CME 14 on AT+CSCA? right after the unlock is waited out.
        #expect(setup.serviceCentre == .set("+33689004000"))
        #expect(recorder.lines.filter { $0.hasPrefix("AT+CPIN=") }.count == 1)
        #expect(recorder.lines.contains("AT+CMGF=0"))
        #expect(recorder.lines.contains { $0.hasPrefix("AT+CNMI=") })
        #expect(await bench.simulator.status.sim == "ready")
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Bonjour").first)
        _ = try await bench.modem.send(pdu)
        #expect(await bench.simulator.submitted.count == 1)
    }

    @Test("PIN-first stick without a PIN: 'SIM PIN required', nothing entered")
    func pinFirstWithoutPIN() async throws {
        let (bench, recorder) = try await Self.bench("qualcomm-pin-first")
        defer { Task { await bench.tearDown() } }
        await #expect(throws: ModemError.pinRequired) { _ = try await bench.modem.prepare(pin: nil) }
        #expect(!recorder.lines.contains { $0.hasPrefix("AT+CPIN=") })
        #expect(ModemError.pinRequired.description == "SIM PIN required: set modems.pin (or --pin)")
    }

    @Test("PIN-first stick, wrong PIN: entered once, never again on the same start")
    func pinFirstWrongPIN() async throws {
        let (bench, recorder) = try await Self.bench("qualcomm-pin-first")
        defer { Task { await bench.tearDown() } }
        await #expect(throws: ModemError.self) { _ = try await bench.modem.prepare(pin: "0000") }
        await #expect(throws: ModemError.pinAlreadyAttempted) { _ = try await bench.modem.prepare(pin: "0000") }
        #expect(recorder.lines.filter { $0.hasPrefix("AT+CPIN=") }.count == 1)
        #expect(await bench.simulator.status.pinAttemptsLeft == 2)
    }

    // MARK: SIM busy

    @Test("SMS centre that stays 'SIM busy' is reported as unknown, not as unset")
    func simBusyServiceCentre() async throws {
        let (bench, _) = try await Self.bench("sim-busy", options: .testing(timeout: .milliseconds(600)))
        defer { Task { await bench.tearDown() } }
        let setup = try await bench.modem.prepare(pin: nil)
        #expect(setup.serviceCentre == .unknownSIMBusy)
        #expect(setup.serviceCentre.description == "unknown (SIM busy)")
    }

    @Test("no SMS centre on the SIM: the set-up says so")
    func noServiceCentre() async throws {
        let (bench, _) = try await Self.bench("no-smsc")
        defer { Task { await bench.tearDown() } }
        let setup = try await bench.modem.prepare(pin: nil)
        #expect(setup.serviceCentre == .unset)
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Bonjour").first)
        await #expect(throws: ModemError.self) { _ = try await bench.modem.send(pdu) }
    }

    @Test("a configured SMS centre is set during the set-up")
    func configuredServiceCentre() async throws {
        let (bench, recorder) = try await Self.bench("no-smsc")
        defer { Task { await bench.tearDown() } }
        let setup = try await bench.modem.prepare(pin: nil, serviceCentre: "+33689004000")
        #expect(setup.serviceCentre == .set("+33689004000"))
        #expect(recorder.lines.contains("AT+CSCA=\"+33689004000\",145"))
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Bonjour").first)
        _ = try await bench.modem.send(pdu)
    }

    // MARK: Wavecom

    @Test("Wavecom: +CME ERROR 515 after AT+CFUN=1 is waited out at every step")
    func wavecomBusyAfterFunctionality() async throws {
        let (bench, _) = try await Self.bench("wavecom", configure: { $0.busyAfterFunctionality = .milliseconds(400) })
        defer { Task { await bench.tearDown() } }
        let answer = try await bench.modem.raw("AT+CFUN=1", timeout: .seconds(2))
        #expect(answer.final.isSuccess)
        let busy = try await bench.modem.raw("AT+CSQ", timeout: .seconds(2))
        #expect(busy.final.description.hasPrefix("+CME ERROR: 515"), "the window is open when the set-up starts")
        let inbound = try await bench.modem.initialise()
        #expect(inbound == .announced)
    }

    @Test("Wavecom: two storages where three are refused; identity without the leading space")
    func wavecomStorageAndIdentity() async throws {
        let (bench, recorder) = try await Self.bench("wavecom")
        defer { Task { await bench.tearDown() } }
        #expect(try await bench.modem.initialise() == .announced)
        #expect(recorder.lines.contains("AT+CPMS=\"SM\",\"SM\",\"SM\""))
        #expect(recorder.lines.contains("AT+CPMS=\"SM\",\"SM\""))
        let identity = try await bench.modem.identity()
        #expect(identity.manufacturer == "WAVECOM MODEM")
        #expect(identity.imei == "012345678901237")   // the wavecom profile's IMEI, sent after a space
    }

    /// Needs the engine's grace time for an information line without final result (issue 10.1).
    @Test("Wavecom: AT+CPIN? without final result does not stop the set-up")
    func wavecomPrepare() async throws {
        let (bench, _) = try await Self.bench("wavecom")
        defer { Task { await bench.tearDown() } }
        let setup = try await bench.modem.prepare(pin: nil)
        #expect(setup.inbound == .announced)
        #expect(try await bench.modem.simStatus() == .ready)
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Bonjour").first)
        _ = try await bench.modem.send(pdu)
    }

    // MARK: a phone

    @Test("phone used as a modem: replies cannot be read, sending works")
    func nokiaPhone() async throws {
        let (bench, _) = try await Self.bench("nokia-phone")
        defer { Task { await bench.tearDown() } }
        let setup = try await bench.modem.prepare(pin: nil)
        #expect(setup.inbound == .unreadable)
        #expect(!setup.inbound.canReadReplies)
        let pdu = try #require(try SMSSubmitEncoder.encode(to: "+33612345678", text: "Bonjour").first)
        _ = try await bench.modem.send(pdu)
        #expect(await bench.simulator.submitted.count == 1)
    }

    @Test("a modem with storage but no AT+CNMI is polled, not declared unreadable")
    func pollingOnly() async throws {
        let (bench, _) = try await Self.bench("generic")
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .error, command: "+CNMI", persistence: .sticky)
        #expect(try await bench.modem.initialise() == .pollingOnly)
    }

    // MARK: what failed

    @Test("nothing answers AT: noAnswer, the 'not a modem' case")
    func silentPort() async throws {
        let (bench, _) = try await Self.bench("generic", options: .testing(timeout: .milliseconds(200)))
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .hang)
        await #expect(throws: ModemSetupError.noAnswer(port: bench.modem.port)) { try await bench.modem.initialise() }
    }

    @Test("AT answered, a later command timed out: the error names that command")
    func laterTimeout() async throws {
        let (bench, _) = try await Self.bench("generic", options: .testing(timeout: .milliseconds(300)))
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .noReply, command: "+CMGF", persistence: .sticky)
        do {
            try await bench.modem.initialise()
            Issue.record("initialise should have failed")
        } catch let error as ModemError {
            guard case .timeout(let command, _) = error else { Issue.record("\(error)"); return }
            #expect(command.contains("AT+CMGF=0"), "\(command)")
        }
    }

    @Test("an ERROR to AT proves an AT port")
    func errorToATIsAnAnswer() async throws {
        let (bench, _) = try await Self.bench("generic")
        defer { Task { await bench.tearDown() } }
        await bench.simulator.inject(fault: .error, command: "AT", persistence: .times(2))
        #expect(try await bench.modem.initialise() == .announced)
    }
}
