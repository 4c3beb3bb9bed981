@testable import Discovery
import Testing

/// The pure part of the port choice: udev hints, vendor layouts, probe results.
@Suite("Port classifier")
struct PortClassifierTests {
    static func port(_ number: Int, _ hints: PortHints = PortHints(), driver: String = "option",
                     cls: String = "ff", sub: String = "ff", proto: String = "ff") -> DiscoveredPort {
        DiscoveredPort(devnode: "/dev/ttyUSB\(number)", syspath: "/sys/x/ttyUSB\(number)", sysname: "ttyUSB\(number)",
                       interfaceNumber: number, interfaceClass: cls, interfaceSubclass: sub, interfaceProtocol: proto,
                       driver: driver, hints: hints)
    }

    static func modem(_ vid: String, _ pid: String, _ ports: [DiscoveredPort]) -> DiscoveredModem {
        DiscoveredModem(id: "/sys/devices/usb1/1-1", vendorID: vid, productID: pid, ports: ports)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var modem: DiscoveredModem
        var atPort: String?
        var probeOrder: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "SMSAGENT_PORT=at beats the layout",
             modem: modem("1e0e", "9001", [port(0), port(1), port(2), port(3, PortHints(smsagentPort: "at")), port(4)]),
             atPort: "/dev/ttyUSB3", probeOrder: ["/dev/ttyUSB3"]),
        Case(name: "ModemManager AT_PRIMARY beats the layout",
             modem: modem("2c7c", "0125", [port(0), port(1), port(2), port(3, PortHints(mmATPrimary: true))]),
             atPort: "/dev/ttyUSB3", probeOrder: ["/dev/ttyUSB3"]),
        Case(name: "SMSAGENT_PORT=ignore removes a port from probing",
             modem: modem("abcd", "0001", [port(0, PortHints(smsagentPort: "ignore")), port(1)]),
             atPort: nil, probeOrder: ["/dev/ttyUSB1"]),
        Case(name: "ID_MM_PORT_IGNORE and non-AT ModemManager types are not probed",
             modem: modem("abcd", "0001", [port(0, PortHints(mmPortIgnore: true)), port(1, PortHints(mmOtherType: "GPS")), port(2)]),
             atPort: nil, probeOrder: ["/dev/ttyUSB2"]),
        Case(name: "SIMCom layout: AT first, PPP last, diag/NMEA/audio never",
             modem: modem("1e0e", "9001", (0...4).map { port($0) }),
             atPort: "/dev/ttyUSB2", probeOrder: ["/dev/ttyUSB2", "/dev/ttyUSB3"]),
        Case(name: "Huawei layout: PCUI before the modem port",
             modem: modem("12d1", "1506", (0...2).map { port($0) }),
             atPort: "/dev/ttyUSB2", probeOrder: ["/dev/ttyUSB2", "/dev/ttyUSB0"]),
        Case(name: "Huawei product not in the table: vendor default layout",
             modem: modem("12d1", "15ca", (0...3).map { port($0) }),
             atPort: "/dev/ttyUSB2", probeOrder: ["/dev/ttyUSB2", "/dev/ttyUSB1", "/dev/ttyUSB3", "/dev/ttyUSB0"]),
        Case(name: "unknown vendor: interface order, AT secondary hint first",
             modem: modem("abcd", "0001", [port(0), port(1, PortHints(mmATPPP: true)), port(2, PortHints(mmATSecondary: true))]),
             atPort: nil, probeOrder: ["/dev/ttyUSB2", "/dev/ttyUSB0", "/dev/ttyUSB1"]),
        Case(name: "CDC-ACM with V.250 protocol is the guess and probed first",
             modem: modem("abcd", "0001", [port(0, driver: "cdc_acm", cls: "02", sub: "02", proto: "00"),
                                          port(1, driver: "cdc_acm", cls: "02", sub: "02", proto: "01")]),
             atPort: "/dev/ttyUSB1", probeOrder: ["/dev/ttyUSB1", "/dev/ttyUSB0"]),
    ]

    @Test("initial choice and probe order", arguments: cases)
    func classify(_ c: Case) {
        let classified = PortClassifier.classify(c.modem, table: .builtIn)
        #expect(classified.atPort == c.atPort, "\(classified.reason)")
        #expect(PortClassifier.probeOrder(classified, table: .builtIn).map(\.devnode) == c.probeOrder)
    }

    @Test("the first port answering AT with PDU SMS wins over one answering AT only")
    func pduCapablePortWins() {
        let modem = PortClassifier.classify(Self.modem("abcd", "0001", [Self.port(0), Self.port(1)]), table: .builtIn)
        let order = PortClassifier.probeOrder(modem, table: .builtIn)
        let resolved = PortClassifier.resolve(modem, order: order, probes: [
            "/dev/ttyUSB0": PortProbeResult(answersAT: true, pduSMS: false, attempts: 1),
            "/dev/ttyUSB1": PortProbeResult(answersAT: true, pduSMS: true, attempts: 1),
        ])
        #expect(resolved.atPort == "/dev/ttyUSB1")
        #expect(resolved.ports.map(\.role) == [.secondary, .at])
    }

    @Test("a port that answers AT but refuses PDU mode is chosen only as a last resort, with a warning")
    func atOnlyIsLastResort() {
        let modem = PortClassifier.classify(Self.modem("abcd", "0001", [Self.port(0), Self.port(1)]), table: .builtIn)
        let order = PortClassifier.probeOrder(modem, table: .builtIn)
        let resolved = PortClassifier.resolve(modem, order: order, probes: [
            "/dev/ttyUSB0": PortProbeResult(answersAT: false, attempts: 3, problem: "no answer to AT after 3 tries"),
            "/dev/ttyUSB1": PortProbeResult(answersAT: true, pduSMS: false, attempts: 1),
        ])
        #expect(resolved.atPort == "/dev/ttyUSB1")
        #expect(resolved.reason.contains("no PDU-mode SMS"))
    }

    @Test("no port answering: no AT port, and the reason lists what was tried")
    func nothingAnswers() {
        let modem = PortClassifier.classify(Self.modem("abcd", "0001", [Self.port(0), Self.port(1)]), table: .builtIn)
        let order = PortClassifier.probeOrder(modem, table: .builtIn)
        let silent = PortProbeResult(answersAT: false, attempts: 3, problem: "no answer")
        let resolved = PortClassifier.resolve(modem, order: order, probes: ["/dev/ttyUSB0": silent, "/dev/ttyUSB1": silent])
        #expect(resolved.atPort == nil)
        #expect(resolved.reason == "no port answered AT (probed ttyUSB0, ttyUSB1)")
        #expect(resolved.ports.map(\.role) == [.silent, .silent])
    }

    @Test("udev's explicit AT port stands even when the probe gets no answer, and says so")
    func explicitPortStands() {
        let modem = PortClassifier.classify(
            Self.modem("abcd", "0001", [Self.port(0), Self.port(1, PortHints(smsagentPort: "at"))]), table: .builtIn)
        let order = PortClassifier.probeOrder(modem, table: .builtIn)
        let resolved = PortClassifier.resolve(modem, order: order, probes: [
            "/dev/ttyUSB1": PortProbeResult(answersAT: false, attempts: 3, problem: "no answer"),
        ])
        #expect(resolved.atPort == "/dev/ttyUSB1")
        #expect(resolved.reason.contains("SMSAGENT_PORT=at") && resolved.reason.contains("no AT answer"))
    }

    struct AdapterCase: Sendable, CustomTestStringConvertible {
        var vid: String, pid: String, driver: String, hints: PortHints, isAdapter: Bool
        var testDescription: String { "\(vid):\(pid) \(driver) -> \(isAdapter ? "not a modem" : "maybe a modem")" }
    }

    @Test("USB-serial cables and ModemManager's not-a-modem list are never claimed", arguments: [
        AdapterCase(vid: "0403", pid: "6001", driver: "ftdi_sio", hints: PortHints(), isAdapter: true),
        AdapterCase(vid: "0403", pid: "6015", driver: "ftdi_sio", hints: PortHints(), isAdapter: true),
        AdapterCase(vid: "10c4", pid: "ea60", driver: "cp210x", hints: PortHints(), isAdapter: true),
        AdapterCase(vid: "067b", pid: "2303", driver: "pl2303", hints: PortHints(), isAdapter: true),
        AdapterCase(vid: "1a86", pid: "7523", driver: "ch341", hints: PortHints(), isAdapter: true),
        AdapterCase(vid: "9999", pid: "0001", driver: "cp210x", hints: PortHints(), isAdapter: true),
        AdapterCase(vid: "2341", pid: "0043", driver: "cdc_acm", hints: PortHints(mmDeviceIgnore: true), isAdapter: true),
        AdapterCase(vid: "1e0e", pid: "9001", driver: "option", hints: PortHints(mmDeviceIgnore: true, smsagentModem: true), isAdapter: false),
        AdapterCase(vid: "1e0e", pid: "9001", driver: "option", hints: PortHints(), isAdapter: false),
        AdapterCase(vid: "1d6b", pid: "1044", driver: "cdc_acm", hints: PortHints(), isAdapter: false),
    ])
    func adapters(_ c: AdapterCase) {
        let reason = PortClassifier.notAModemReason(vendorID: c.vid, productID: c.pid,
                                                    ports: [Self.port(0, c.hints, driver: c.driver)], table: .builtIn)
        #expect((reason != nil) == c.isAdapter, "\(reason ?? "nil")")
    }

    @Test("a product entry is preferred over its vendor's default layout")
    func specificLayoutFirst() {
        #expect(VendorLayoutTable.builtIn.layout(vendorID: "2c7c", productID: "0125")?.name == "Quectel EC25/EC21/EG95/BG96")
        #expect(VendorLayoutTable.builtIn.layout(vendorID: "2C7C", productID: "0800")?.name == "Quectel (vendor default)")
        #expect(VendorLayoutTable.builtIn.layout(vendorID: "abcd", productID: "0001") == nil)
    }
}
