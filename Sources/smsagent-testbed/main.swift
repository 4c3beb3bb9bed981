// Test support for DiscoveryTests: owns a umockdev testbed, builds the device trees of one named
// scenario, runs discovery against it in this same process (which must run under
// `umockdev-wrapper`), and prints one JSON report on stdout. Exit status 0 = the scenario ran.
import Discovery
import Foundation
import Logging
import Simulator
import TestSupport

let scenarios: [String: String] = [
    "huawei": "Huawei E3372 (3 ports), no udev rules",
    "huawei-rules": "Huawei E3372 with smsagent's udev properties",
    "huawei-settling": "Huawei E3372 whose PCUI ignores the first two ATs",
    "simcom": "SIMCom SIM7600 (5 ports), no udev rules",
    "simcom-rules": "SIMCom SIM7600, our rules name interface 3",
    "quectel": "Quectel EC25 (4 ports), no udev rules",
    "quectel-mm": "Quectel EC25, ModemManager tags interface 3 AT_PRIMARY",
    "cdc-acm": "unknown-vendor CDC-ACM modem, first AT interface silent",
    "adapters": "FTDI and CP210x cables, no modem",
    "all": "every device at once",
    "hotplug": "plug/unplug/replug with uevents",
    "agent-hotplug": "smsagent run (discovery + hotplug) sends through a stick plugged, pulled and replugged",
]

func writeReport(_ report: TestbedReport) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    if let data = try? encoder.encode(report) {
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}

final class Bench {
    let testbed: Testbed
    let discovery: ModemDiscovery
    var responders: [PortResponder] = []
    var modems: [SimulatedModem] = []
    var servers: [Task<Void, Never>] = []

    init() throws {
        testbed = try Testbed()
        var logger = Logger(label: "smsagent.testbed")
        logger.logLevel = ProcessInfo.processInfo.environment["SMSAGENT_TESTBED_DEBUG"] == nil ? .warning : .trace
        // Shorter than the shipped defaults (silent ports cost less), with room for a loaded CI machine.
        let options = ProbeOptions(attempts: 3, answerTimeout: .milliseconds(400), retryDelay: .milliseconds(50),
                                   commandTimeout: .milliseconds(800))
        discovery = ModemDiscovery(logger: logger, prober: ModemKitPortProber(options: options, logger: logger))
    }

    /// Adds the device tree (udev "add" events go out) and attaches what answers on each port:
    /// the Simulator's modem on the AT port, diagnostics/NMEA/bare-AT responders or silence elsewhere.
    func plug(_ device: FakeUSBDevice) async throws {
        try testbed.add(device.umockdevDescription)
        for interface in device.interfaces {
            let devnode = "/dev/\(interface.tty)"
            let fd = try testbed.masterFD(devnode: devnode)
            switch interface.behaviour {
            case let .modem(identity), let .settling(identity, _):
                PortResponder.holdSlave(devnode)
                let modem = SimulatedModem(profile: identity.profile, configuration: identity.configuration,
                                           logger: Logger(label: "smsagent.testbed.simulator"))
                modems.append(modem)
                if case let .settling(_, ignored) = interface.behaviour {
                    // A port still booting: the first command lines go unanswered, then the modem is there.
                    PortResponder.swallowCommandLines(fd: fd, count: ignored) {
                        Task { try? await modem.serve(fileDescriptor: fd) }
                    }
                } else {
                    servers.append(Task { try? await modem.serve(fileDescriptor: fd) })
                }
            default:
                let responder = PortResponder(fd: fd, devnode: devnode, behaviour: interface.behaviour)
                responder.start()
                responders.append(responder)
            }
        }
    }

    func unplug(_ device: FakeUSBDevice) { testbed.unplug(device.allSyspaths) }

    func enumerateAndProbe(_ report: inout TestbedReport) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let snapshot = try discovery.snapshot()
        report.figures["enumerateMilliseconds"] = (clock.now - start).milliseconds
        report.snapshot = snapshot
        let probeStart = clock.now
        for modem in snapshot.modems { report.probed.append(await discovery.probe(modem)) }
        report.figures["probeMilliseconds"] = (clock.now - probeStart).milliseconds
    }
}

extension Duration {
    var milliseconds: Double {
        let (s, atto) = components
        return Double(s) * 1000 + Double(atto) / 1e15
    }
}

func run(_ scenario: String, _ report: inout TestbedReport) async throws {
    let bench = try Bench()
    switch scenario {
    case "huawei": try await bench.plug(Fixtures.huawei())
    case "huawei-rules": try await bench.plug(Fixtures.huawei(withRules: true))
    case "huawei-settling": try await bench.plug(Fixtures.huawei(pcui: .settling(Fixtures.huaweiIdentity, ignored: 2)))
    case "simcom": try await bench.plug(Fixtures.simcom())
    case "simcom-rules": try await bench.plug(Fixtures.simcom(atInterface: 3, rules: true))
    case "quectel": try await bench.plug(Fixtures.quectel())
    case "quectel-mm": try await bench.plug(Fixtures.quectel(mmPrimary: 3))
    case "cdc-acm": try await bench.plug(Fixtures.cdcACM())
    case "adapters":
        try await bench.plug(Fixtures.ftdi())
        try await bench.plug(Fixtures.cp210x())
    case "all":
        for device in [Fixtures.huawei(), Fixtures.simcom(), Fixtures.quectel(), Fixtures.cdcACM(),
                       Fixtures.ftdi(), Fixtures.cp210x()] {
            try await bench.plug(device)
        }
    case "hotplug":
        try await hotplug(bench, &report)
        return
    case "agent-hotplug":
        try await agentHotplug(bench, &report)
        return
    default:
        throw TestbedError(description: "unknown scenario \(scenario); known: \(scenarios.keys.sorted().joined(separator: ", "))")
    }
    try await bench.enumerateAndProbe(&report)
}

/// Plug a Huawei stick, an FTDI cable and a SIMCom module; unplug them; replug the Huawei stick in
/// another USB socket with other tty numbers; finally a sentinel Quectel proves no stray events came.
func hotplug(_ bench: Bench, _ report: inout TestbedReport) async throws {
    let clock = ContinuousClock()
    let stream = try bench.discovery.hotplug(settle: .milliseconds(500))
    guard bench.testbed.monitorBound else {
        throw TestbedError(description: "the udev monitor did not bind a socket in the testbed")
    }
    var events = stream.makeAsyncIterator()

    func record(_ event: HotplugEvent?, since: ContinuousClock.Instant? = nil) async throws -> EventRecord {
        guard let event else { throw TestbedError(description: "hotplug stream ended early") }
        switch event {
        case let .added(modem):
            let probed = await bench.discovery.probe(modem)
            report.probed.append(probed)
            return EventRecord(kind: "added", id: modem.id, devnodes: modem.ports.map(\.devnode),
                               atPort: probed.atPort, layout: modem.layout, stableKey: probed.stableKey)
        case let .removed(id, devnodes):
            return EventRecord(kind: "removed", id: id, devnodes: devnodes,
                               latencyMilliseconds: since.map { (clock.now - $0).milliseconds })
        }
    }

    let huawei = Fixtures.huawei(port: "1-1")
    let ftdi = Fixtures.ftdi(port: "1-5")
    let simcom = Fixtures.simcom(port: "1-2")
    let plugStart = clock.now
    try await bench.plug(huawei)
    try await bench.plug(ftdi)
    try await bench.plug(simcom)
    report.events.append(try await record(await events.next()))
    report.events.append(try await record(await events.next()))
    report.figures["plugToSecondAddedMilliseconds"] = (clock.now - plugStart).milliseconds

    var unplugged = clock.now
    bench.unplug(huawei)
    report.events.append(try await record(await events.next(), since: unplugged))
    unplugged = clock.now
    bench.unplug(simcom)
    report.events.append(try await record(await events.next(), since: unplugged))

    let replugged = Fixtures.huawei(port: "1-7", ttys: ["ttyUSB30", "ttyUSB31", "ttyUSB32"])
    try await bench.plug(replugged)
    report.events.append(try await record(await events.next()))
    unplugged = clock.now
    bench.unplug(replugged)
    report.events.append(try await record(await events.next(), since: unplugged))

    bench.unplug(ftdi)
    try await bench.plug(Fixtures.quectel(port: "1-3"))
    report.events.append(try await record(await events.next()))
}

// MARK: - Entry point

let arguments = CommandLine.arguments.dropFirst()
guard let scenario = arguments.first, scenario != "--help", scenario != "-h" else {
    print("usage: umockdev-wrapper smsagent-testbed <scenario> [--table]\nscenarios:")
    for (name, text) in scenarios.sorted(by: { $0.key < $1.key }) { print("  \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(text)") }
    exit(2)
}

// A watchdog: a scenario that hangs fails loudly instead of blocking the test run.
let watchdogSeconds = scenario == "agent-hotplug" ? 90 : 30
let watchdog = Thread {
    Thread.sleep(forTimeInterval: TimeInterval(watchdogSeconds))
    writeReport(TestbedReport(scenario: scenario, error: "scenario timed out after \(watchdogSeconds) s"))
    exit(3)
}
watchdog.start()

/// `--table`: print what `smsagent discover --probe` would (for the README) instead of JSON.
let asTable = arguments.contains("--table")

func runAndReport(_ scenario: String) async -> Int32 {
    var report = TestbedReport(scenario: scenario)
    do {
        try await run(scenario, &report)
        if asTable, var snapshot = report.snapshot {
            if !report.probed.isEmpty { snapshot.modems = report.probed }
            print(DiscoveryTable.render(snapshot), terminator: "")
        } else {
            writeReport(report)
        }
        return 0
    } catch {
        report.error = "\(error)"
        writeReport(report)
        return 1
    }
}

exit(await runAndReport(scenario))
