import Foundation
import Testing

/// `smsagent modem --port … info|send|list|delete|at` against a `smsagent simulate` process, and
/// the exit statuses readme-modem.md promises (0 ok, 1 refused, 3 port absent/busy, 4 not a
/// modem, 5 SIM locked).
@Suite(.timeLimit(.minutes(1)))
struct CLIModemTests {
    // MARK: info

    @Test func infoShowsTheModemsIdentityAndState() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory, ownNumber: "+33611223344")
        defer { simulator.stop() }

        let text = try await CLI.modem(simulator.linkPath, ["info"])
        #expect(text.status == 0, "\(text)")
        #expect(text.stdoutLines.contains("port:           \(simulator.linkPath)"), "\(text)")
        #expect(text.stdoutLines.contains("own number:     +33611223344"), "\(text)")
        #expect(text.stdout.contains("SIM:            ready"), "\(text)")
        #expect(text.stdout.contains("registration:   home"), "\(text)")

        let json = try await CLI.modem(simulator.linkPath, ["info", "--json"])
        #expect(json.status == 0, "\(json)")
        let report = try #require(json.json as? [String: Any], "\(json)")
        let identity = try #require(report["identity"] as? [String: Any], "\(json)")
        let imei = try #require(identity["imei"] as? String)
        #expect(imei.count == 15 && imei.allSatisfy(\.isNumber) && luhnValid(imei), "IMEI \(imei)")
        #expect(text.stdoutLines.contains("IMEI:           \(imei)"), "\(text)")
        #expect((identity["imsi"] as? String)?.hasPrefix("20801") == true, "\(json)")
        #expect((identity["iccid"] as? String)?.hasPrefix("8933") == true, "\(json)")
        #expect(report["ownNumber"] as? String == "+33611223344")
        #expect(report["registered"] as? Bool == true)
        #expect(report["sim"] as? String == "ready")

        // The same IMEI the modem gives to a raw AT+CGSN.
        let cgsn = try await CLI.modem(simulator.linkPath, ["at", "AT+CGSN"])
        #expect(cgsn.stdoutLines.first?.contains(imei) == true, "\(cgsn)")
    }

    @Test func infoFollowsTheNetworkState() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        #expect(try await simulator.control("signal 7").hasPrefix("ok"))
        #expect(try await simulator.control("registration searching").hasPrefix("ok"))

        let json = try await CLI.modem(simulator.linkPath, ["info", "--json"])
        #expect(json.status == 0, "\(json)")
        let report = try #require(json.json as? [String: Any], "\(json)")
        #expect(report["signalRSSI"] as? Int == 7)
        #expect(report["signalDBm"] as? Int == -113 + 2 * 7)       // TS 27.007 §8.5: 0 → -113 dBm, 2 dB a step
        #expect(report["registered"] as? Bool == false)
        let text = try await CLI.modem(simulator.linkPath, ["info"])
        #expect(text.stdout.contains("cannot send yet"), "\(text)")
    }

    // MARK: send

    @Test func sendPrintsTheReferenceAndTheNetworkGetsTheMessage() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }

        let result = try await CLI.modem(simulator.linkPath, ["send", "--to", "+33612345678", "--text", "Bonjour, votre colis est arrivé"])
        #expect(result.status == 0, "\(result)")
        let line = try #require(result.stdoutLines.first, "\(result)")
        #expect(line.hasPrefix("sent 1 part(s) to +33612345678, message reference(s) "), "\(result)")
        let reference = Int(line.split(separator: " ").last ?? "")
        #expect(reference != nil && (0...255).contains(reference ?? -1), "\(line)")

        // The record line is fsynced before the +CMGS answer, so it is there now.
        let submissions = simulator.submissions()
        #expect(submissions.count == 1)
        let sent = try #require(submissions.first)
        #expect(sent.number == "+33612345678")
        #expect(sent.text == "Bonjour, votre colis est arrivé")
        #expect(sent.segments == 1)
        #expect((sent.json["references"] as? [Int]) == reference.map { [$0] })
        #expect(sent.json["status_report"] as? Bool == false)
    }

    @Test func aLongSendGoesOutInPartsAndReportAsksForAStatusReport() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        let text = String(repeating: "Votre commande est disponible. ", count: 6)   // 186 GSM characters: 2 parts

        let result = try await CLI.modem(simulator.linkPath, ["send", "--to", "0612345678", "--text", text, "--report"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("sent 2 part(s) to 0612345678, message reference(s) "), "\(result)")
        let references = (result.stdoutLines.first ?? "").components(separatedBy: "reference(s) ").last?
            .components(separatedBy: ", ").compactMap { Int($0) } ?? []
        #expect(references.count == 2 && Set(references).count == 2, "\(result)")

        let sent = try #require(simulator.completeSubmissions().first, "\(simulator.child.transcript)")
        #expect(sent.number == "0612345678")
        #expect(sent.text == text)
        #expect(sent.segments == 2)
        #expect((sent.json["references"] as? [Int]) == references)
        #expect(sent.json["status_report"] as? Bool == true)
    }

    @Test func aRefusedSendExitsOne() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        // 38 (network out of order); a lone 500 is sent again (CLIDialectTests).
        #expect(try await simulator.control("fault cms 38 on +CMGS").hasPrefix("ok"))

        let result = try await CLI.modem(simulator.linkPath, ["send", "--to", "+33612345678", "--text", "Bonjour"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("38"), "\(result)")
        #expect(simulator.submissions().isEmpty)
    }

    // MARK: list / delete

    @Test func anInboundSMSIsListedThenGoneAfterDelete() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        let empty = try await CLI.modem(simulator.linkPath, ["list", "--json"])
        #expect(empty.status == 0, "\(empty)")
        #expect((empty.json as? [Any])?.isEmpty == true, "\(empty)")

        #expect(try await simulator.control("inbound +33698765432 Stop !") == "ok inbound 1 part(s)")
        let listed = try await CLI.modem(simulator.linkPath, ["list", "--json"])
        #expect(listed.status == 0, "\(listed)")
        let entries = try #require(listed.json as? [[String: Any]], "\(listed)")
        #expect(entries.count == 1, "\(listed)")
        let entry = try #require(entries.first)
        #expect(entry["kind"] as? String == "deliver")
        #expect(entry["from"] as? String == "+33698765432")
        #expect(entry["text"] as? String == "Stop !")
        let index = try #require(entry["index"] as? Int)

        let text = try await CLI.modem(simulator.linkPath, ["list"])
        #expect(text.stdout.contains("[\(index)] "), "\(text)")
        #expect(text.stdout.contains("from +33698765432"), "\(text)")
        #expect(text.stdoutLines.contains("    Stop !"), "\(text)")

        let deleted = try await CLI.modem(simulator.linkPath, ["delete", "\(index)"])
        #expect(deleted.status == 0, "\(deleted)")
        #expect(deleted.stdoutLines == ["deleted message \(index)"], "\(deleted)")
        let after = try await CLI.modem(simulator.linkPath, ["list", "--json"])
        #expect((after.json as? [Any])?.isEmpty == true, "\(after)")
        let storage = try await simulator.status()["storage"] as? [String: [String: Int]]
        #expect(storage?["SM"]?["used"] == 0)
    }

    @Test func aLongInboundSMSIsListedPartByPart() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        let long = String(repeating: "Bonjour, je voudrais changer mon rendez-vous. ", count: 4) + "Merci"   // 193 characters
        #expect(try await simulator.control("inbound-parts 2,1 +33698765432 \(long)") == "ok inbound 2 part(s)")

        let listed = try await CLI.modem(simulator.linkPath, ["list", "--json"])
        let entries = try #require(listed.json as? [[String: Any]], "\(listed)")
        #expect(entries.count == 2, "\(listed)")
        let parts = entries.compactMap { $0["part"] as? String }.sorted()
        #expect(parts.count == 2 && parts[0].hasPrefix("1/2, reference ") && parts[1].hasPrefix("2/2, reference "), "\(parts)")
        let byPart = entries.sorted { ($0["part"] as? String ?? "") < ($1["part"] as? String ?? "") }
        #expect(byPart.compactMap { $0["text"] as? String }.joined() == long)
    }

    /// `send --report` asks for a status report; the one the network sends back is stored
    /// (+CDSI per AT+CNMI …,2,…) and `list` shows it with the reference `send` printed.
    @Test func theStatusReportOfASendIsListedWithItsReference() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        let sent = try await CLI.modem(simulator.linkPath, ["send", "--to", "+33612345678", "--text", "Bonjour", "--report"])
        #expect(sent.status == 0, "\(sent)")
        let reference = try #require(Int((sent.stdoutLines.first ?? "").split(separator: " ").last ?? ""), "\(sent)")

        try await simulator.waitForStatus("the status report is stored on the SIM") { status in
            ((status["storage"] as? [String: [String: Int]])?["SM"]?["used"] ?? 0) >= 1
        }
        let listed = try await CLI.modem(simulator.linkPath, ["list", "--json"])
        let entries = try #require(listed.json as? [[String: Any]], "\(listed)")
        let report = try #require(entries.first { $0["kind"] as? String == "status-report" }, "\(listed)")
        #expect(report["from"] as? String == "+33612345678")
        #expect((report["statusReport"] as? String)?.hasPrefix("message reference \(reference): ") == true, "\(listed)")
    }

    @Test func deletingAnEmptySlotExitsOne() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        let result = try await CLI.modem(simulator.linkPath, ["delete", "999"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderrLines.count == 1, "\(result)")
    }

    // MARK: at

    @Test func atSendsOneCommandAndPrintsTheAnswerAsIs() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        #expect(try await simulator.control("signal 12").hasPrefix("ok"))

        let text = try await CLI.modem(simulator.linkPath, ["at", "AT+CSQ"])
        #expect(text.status == 0, "\(text)")
        #expect(text.stdoutLines == ["+CSQ: 12,99", "OK"], "\(text)")

        let json = try await CLI.modem(simulator.linkPath, ["at", "AT+CSQ", "--json"])
        let answer = try #require(json.json as? [String: Any], "\(json)")
        #expect(answer["command"] as? String == "AT+CSQ")
        #expect(answer["lines"] as? [String] == ["+CSQ: 12,99"])
        #expect(answer["final"] as? String == "OK")
        #expect(answer["ok"] as? Bool == true)
    }

    /// The generic profile is PDU mode only: text mode is refused with +CMS ERROR: 303 → exit 1.
    @Test func anErrorAnswerToATExitsOne() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        let result = try await CLI.modem(simulator.linkPath, ["at", "AT+CMGF=1", "--json"])
        #expect(result.status == 1, "\(result)")
        let answer = try #require(result.json as? [String: Any], "\(result)")
        #expect(answer["ok"] as? Bool == false)
        #expect((answer["final"] as? String)?.contains("303") == true, "\(result)")
    }

    // MARK: exit statuses

    @Test func anAbsentPortExitsThree() async throws {
        let directory = try TemporaryDirectory()
        let port = directory.file("no-such-modem").path
        let result = try await CLI.modem(port, ["info"])
        #expect(result.status == 3, "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1, "\(result)")
        #expect(result.stderr.contains(port), "\(result)")
    }

    /// Another program holding the port's lock (ModemManager, a second smsagent): exit 3, and the
    /// same command works once the lock is released.
    @Test func aBusyPortExitsThree() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory)
        defer { simulator.stop() }
        let lock = try HeldLock(path: simulator.linkPath)

        let busy = try await CLI.modem(simulator.linkPath, ["info"])
        #expect(busy.status == 3, "\(busy)")
        #expect(busy.stderr.contains("busy"), "\(busy)")
        #expect(busy.stderrLines.count == 1, "\(busy)")

        lock.release()
        let free = try await CLI.modem(simulator.linkPath, ["info"])
        #expect(free.status == 0, "\(free)")
        withExtendedLifetime(lock) {}
    }

    /// A second `smsagent modem` while the first one holds the port (the simulator hangs, so the
    /// first waits for its answer).
    @Test func aSecondModemCommandOnTheSamePortExitsThree() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory, ["-v"])
        defer { simulator.stop() }
        #expect(try await simulator.control("fault hang").hasPrefix("ok"))
        let first = try CLIInvocation(["modem", "--port", simulator.linkPath, "--timeout", "20", "at", "AT+CSQ"])
        defer { first.kill() }
        try await Wait.until("the first command's AT+CSQ reaches the modem", timeout: .seconds(10), diagnostics: { simulator.child.transcript }) {
            simulator.child.stderr.contains("AT+CSQ")
        }

        let second = try await CLI.modem(simulator.linkPath, ["info"])
        #expect(second.status == 3, "\(second)")
        #expect(second.stderr.contains("busy"), "\(second)")
        #expect(first.isRunning)
    }

    /// A tty nobody answers (the wrong port of a stick): exit 4 after the timeout.
    @Test func aPortThatDoesNotAnswerIsNotAModem() async throws {
        let terminal = try SilentTerminal()
        let result = try await CLI.modem(terminal.slavePath, ["--timeout", "0.5", "info"], timeout: .seconds(20))
        #expect(result.status == 4, "\(result)")
        #expect(result.stderr.contains("no answer to AT"), "\(result)")
        #expect(result.stderrLines.count == 1, "\(result)")
        withExtendedLifetime(terminal) {}
    }

    @Test func aPINLockedSIMWithoutPINExitsSixAndNoPINIsTried() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory, ["--pin", "1234"])
        defer { simulator.stop() }
        let result = try await CLI.modem(simulator.linkPath, ["info"])
        #expect(result.status == 6, "\(result)")
        #expect(result.stderr.contains("SIM PIN required: set modems.pin (or --pin)"), "\(result)")
        let status = try await simulator.status()
        #expect(status["pinAttemptsLeft"] as? Int == 3)
        #expect(status["sim"] as? String == "pin")
    }

    @Test func theRightPINUnlocksTheSIM() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory, ["--pin", "1234"])
        defer { simulator.stop() }
        let result = try await CLI.modem(simulator.linkPath, ["--pin", "1234", "info", "--json"])
        #expect(result.status == 0, "\(result)")
        #expect((result.json as? [String: Any])?["sim"] as? String == "ready", "\(result)")
        #expect(try await simulator.status()["pinAttemptsLeft"] as? Int == 3)
    }

    /// A wrong PIN is entered once (one attempt used, per the simulator and per AT+CPINR), and
    /// with one attempt left no PIN is entered at all (a wrong one would PUK-lock the SIM).
    @Test func aWrongPINIsTriedOnceAndNeverWithOneAttemptLeft() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try await SimulatorProcess.start(in: directory, ["--pin", "1234"])
        defer { simulator.stop() }

        let first = try await CLI.modem(simulator.linkPath, ["--pin", "0000", "info"])
        #expect(first.status == 5, "\(first)")
        #expect(first.stderr.contains("rejected"), "\(first)")
        #expect(try await simulator.status()["pinAttemptsLeft"] as? Int == 2)
        let cpinr = try await CLI.modem(simulator.linkPath, ["at", "AT+CPINR=\"SIM PIN\""])
        #expect(cpinr.stdoutLines.first == "+CPINR: SIM PIN,2,3", "\(cpinr)")

        let second = try await CLI.modem(simulator.linkPath, ["--pin", "0000", "info"])
        #expect(second.status == 5, "\(second)")
        #expect(try await simulator.status()["pinAttemptsLeft"] as? Int == 1)

        let third = try await CLI.modem(simulator.linkPath, ["--pin", "0000", "info"])
        #expect(third.status == 5, "\(third)")
        #expect(third.stderr.contains("1 PIN attempt"), "\(third)")
        let status = try await simulator.status()
        #expect(status["pinAttemptsLeft"] as? Int == 1)
        #expect(status["sim"] as? String == "pin")
    }
}

/// The Luhn check digit of an IMEI (3GPP TS 23.003 §6.2.1, Annex B).
func luhnValid(_ digits: String) -> Bool {
    let values = digits.compactMap(\.wholeNumberValue)
    guard values.count == digits.count, !values.isEmpty else { return false }
    var sum = 0
    for (offset, value) in values.reversed().enumerated() {
        if offset % 2 == 1 { let doubled = value * 2; sum += doubled > 9 ? doubled - 9 : doubled } else { sum += value }
    }
    return sum % 10 == 0
}
