import Discovery
import Testing

/// Discovery against fake device trees shaped like real modems (umockdev). Each scenario runs in a
/// child process under `umockdev-wrapper`; the modem ports are ptys, the winning one answered by a
/// modem, the others silent or talking like diagnostics/NMEA ports.
extension UmockdevSuites {
    @Suite("Discovery under umockdev")
    struct DiscoveryScenarios {
        struct Expectation: CustomTestStringConvertible, Sendable {
            var scenario: String
            var vendorID: String
            var atPort: String
            var reasonContains: String
            var testDescription: String { "\(scenario) -> \(atPort)" }
        }

        static let probing: [Expectation] = [
            Expectation(scenario: "huawei", vendorID: "12d1", atPort: "/dev/ttyUSB2", reasonContains: "probe: ttyUSB2 answers AT, PDU SMS"),
            Expectation(scenario: "simcom", vendorID: "1e0e", atPort: "/dev/ttyUSB5", reasonContains: "probe: ttyUSB5 answers AT, PDU SMS"),
            Expectation(scenario: "quectel", vendorID: "2c7c", atPort: "/dev/ttyUSB10", reasonContains: "probe: ttyUSB10 answers AT, PDU SMS"),
            Expectation(scenario: "cdc-acm", vendorID: "1d6b", atPort: "/dev/ttyACM1", reasonContains: "probe: ttyACM1 answers AT, PDU SMS"),
        ]

        @Test("without udev rules, probing finds the port the modem answers on", arguments: probing)
        func probingChoosesTheAnsweringPort(_ expected: Expectation) async throws {
            let report = try await TestbedRunner.shared.report(expected.scenario)
            let modem = try report.probedModem(vendorID: expected.vendorID)
            #expect(modem.atPort == expected.atPort)
            #expect(modem.reason.contains(expected.reasonContains), "\(modem.reason)")
            #expect(modem.probed)
        }

        static let udevRules: [Expectation] = [
            Expectation(scenario: "huawei-rules", vendorID: "12d1", atPort: "/dev/ttyUSB2", reasonContains: "udev: SMSAGENT_PORT=at"),
            // The layout says interface 2; our rules say interface 3: the rules win.
            Expectation(scenario: "simcom-rules", vendorID: "1e0e", atPort: "/dev/ttyUSB6", reasonContains: "udev: SMSAGENT_PORT=at"),
            // ModemManager's AT_PRIMARY tag on interface 3 also beats the layout.
            Expectation(scenario: "quectel-mm", vendorID: "2c7c", atPort: "/dev/ttyUSB11", reasonContains: "ID_MM_PORT_TYPE_AT_PRIMARY=1"),
        ]

        @Test("udev properties choose the AT port before the layout, and the probe confirms it", arguments: udevRules)
        func udevPropertiesDecide(_ expected: Expectation) async throws {
            let report = try await TestbedRunner.shared.report(expected.scenario)
            let enumerated = try report.enumeratedModem(vendorID: expected.vendorID)
            #expect(enumerated.atPort == expected.atPort)
            #expect(enumerated.reason.contains(expected.reasonContains), "\(enumerated.reason)")
            let probed = try report.probedModem(vendorID: expected.vendorID)
            #expect(probed.atPort == expected.atPort)
            #expect(probed.reason.contains("answers AT, PDU SMS"), "\(probed.reason)")
        }

        @Test("ports udev marks ignore are never probed")
        func ignoredPortsAreNotProbed() async throws {
            let modem = try await TestbedRunner.shared.report("simcom-rules").probedModem(vendorID: "1e0e")
            let others = modem.ports.filter { $0.devnode != "/dev/ttyUSB6" }
            #expect(others.count == 4)
            for port in others {
                #expect(port.role == .ignored, "\(port.devnode): \(port.role) \(port.reason)")
                #expect(port.reason == "udev: SMSAGENT_PORT=ignore")
            }
        }

        @Test("diagnostics, NMEA and audio interfaces of a known layout are never sent AT")
        func layoutNonATPortsAreNotProbed() async throws {
            let modem = try await TestbedRunner.shared.report("simcom").probedModem(vendorID: "1e0e")
            let roles = Dictionary(uniqueKeysWithValues: modem.ports.map { ($0.interfaceNumber ?? -1, $0.role) })
            #expect(roles == [0: .ignored, 1: .ignored, 2: .at, 3: .candidate, 4: .ignored])
        }

        @Test("a port that stays silent is given up after the retries and the next candidate wins")
        func silentPortFallsThrough() async throws {
            let modem = try await TestbedRunner.shared.report("cdc-acm").probedModem(vendorID: "1d6b")
            let silent = try #require(modem.ports.first { $0.devnode == "/dev/ttyACM0" })
            #expect(silent.role == .silent)
            #expect(silent.reason.contains("no answer to AT after 3 tries"), "\(silent.reason)")
        }

        @Test("a port still settling after plug-in is retried")
        func settlingPortIsRetried() async throws {
            let modem = try await TestbedRunner.shared.report("huawei-settling").probedModem(vendorID: "12d1")
            #expect(modem.atPort == "/dev/ttyUSB2")
            #expect(modem.reason.contains("(attempt 3)"), "\(modem.reason)")
        }

        @Test("enumeration alone guesses the AT port from the layout, without opening a port")
        func enumerationGuessesFromLayout() async throws {
            let modem = try await TestbedRunner.shared.report("quectel").enumeratedModem(vendorID: "2c7c")
            #expect(modem.atPort == "/dev/ttyUSB10")
            #expect(modem.reason.contains("not probed"))
            #expect(modem.layout == "Quectel EC25/EC21/EG95/BG96")
            #expect(!modem.probed)
            #expect(modem.fingerprint == nil)
        }

        @Test("enumeration reports the USB description of every port, grouped per device")
        func enumerationDescribesPorts() async throws {
            let modem = try await TestbedRunner.shared.report("simcom").enumeratedModem(vendorID: "1e0e")
            #expect(modem.productID == "9001")
            #expect(modem.serial == "0123456789ABCDEF")
            #expect(modem.manufacturer == "SimTech, Incorporated")
            #expect(modem.id == "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2")
            #expect(modem.ports.map(\.devnode) == (3...7).map { "/dev/ttyUSB\($0)" })
            #expect(modem.ports.map(\.interfaceNumber) == [0, 1, 2, 3, 4])
            #expect(modem.ports.allSatisfy { $0.driver == "option" && $0.interfaceClass == "ff" })
            let at = try #require(modem.ports.first { $0.interfaceNumber == 2 })
            #expect(at.devlinks.contains("/dev/serial/by-id/usb-SimTech,_Incorporated_SimTech,_Incorporated_0123456789ABCDEF-if02"))
        }

        @Test("a CDC-ACM modem's ports carry class 02/02/01 and the cdc_acm driver")
        func cdcACMDescription() async throws {
            let modem = try await TestbedRunner.shared.report("cdc-acm").enumeratedModem(vendorID: "1d6b")
            #expect(modem.ports.map(\.driver) == ["cdc_acm", "cdc_acm"])
            #expect(modem.ports.map(\.interfaceNumber) == [0, 2])
            #expect(modem.ports.allSatisfy { $0.interfaceClass == "02" && $0.interfaceSubclass == "02" && $0.interfaceProtocol == "01" })
        }

        @Test("USB-serial cables (FTDI, CP210x) are never claimed, even when something answers AT behind them")
        func cablesAreNeverClaimed() async throws {
            let report = try await TestbedRunner.shared.report("adapters")
            let snapshot = try #require(report.snapshot)
            #expect(snapshot.modems.isEmpty)
            #expect(report.probed.isEmpty)
            #expect(snapshot.ignored.map(\.vendorID) == ["0403", "10c4"])
            #expect(snapshot.ignored.allSatisfy { $0.reason.contains("never claimed") })
        }

        @Test("several devices at once: one modem per physical device, cables apart")
        func everythingAtOnce() async throws {
            let report = try await TestbedRunner.shared.report("all")
            let snapshot = try #require(report.snapshot)
            #expect(snapshot.modems.map(\.vendorID) == ["12d1", "1e0e", "2c7c", "1d6b"])
            #expect(snapshot.modems.map(\.ports.count) == [3, 5, 4, 2])
            #expect(snapshot.ignored.flatMap(\.devnodes) == ["/dev/ttyUSB20", "/dev/ttyUSB21"])
            #expect(report.probed.map(\.atPort) == ["/dev/ttyUSB2", "/dev/ttyUSB5", "/dev/ttyUSB10", "/dev/ttyACM1"])
        }

        @Test("the probe reads a stable identity: IMEI, IMSI, ICCID")
        func identityIsRead() async throws {
            let modem = try await TestbedRunner.shared.report("quectel").probedModem(vendorID: "2c7c")
            let fingerprint = try #require(modem.fingerprint)
            #expect(fingerprint.imei == "863333333333333")
            #expect(fingerprint.imsi == "208153333333333")
            #expect(fingerprint.iccid == "89331533333333333333")
            #expect(modem.stableKey == "imei:863333333333333")
            #expect(modem.simKey == "iccid:89331533333333333333")
        }

        @Test("`smsagent discover` shows each port's role and the reason, and the cables apart")
        func tableShowsRolesAndReasons() async throws {
            let report = try await TestbedRunner.shared.report("all")
            var snapshot = try #require(report.snapshot)
            snapshot.modems = report.probed
            let table = DiscoveryTable.render(snapshot)
            #expect(table.contains("AT port: /dev/ttyUSB2 — probe: ttyUSB2 answers AT, PDU SMS"))
            #expect(table.contains("/dev/ttyUSB1  1   option  ignored    layout Huawei E1550/E173/E3372: interface 1 is diagnostics"))
            #expect(table.contains("/dev/ttyACM0  0   cdc_acm  silent  probe: no answer to AT after 3 tries"))
            #expect(table.contains("Ignored: /dev/ttyUSB20 (0403:6001 FT232R USB UART) — FTDI USB-serial converter"))
            #expect(!table.contains("No USB modem found."))
        }
    }
}
