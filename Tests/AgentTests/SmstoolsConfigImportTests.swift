import Testing
@testable import Agent

/// `smsagent import smstools`: an smsd.conf becomes a configuration smsagent loads.
@Suite struct SmstoolsConfigImportTests {
    static let smsdConf = """
        # Example from a shop's box
        devices = GSM1, GSM2
        outgoing = /var/spool/sms/outgoing
        logfile = /var/log/smstools/smsd.log
        loglevel = 7
        eventhandler = /usr/local/bin/sms-event

        [GSM1]
        device = /dev/ttyUSB2
        incoming = yes
        pin = 0123
        smsc = 33609001390
        baudrate = 115200
        rtscts = yes
        report = yes

        [GSM2]
        device = /dev/ttyACM0
        pin = ignore
        init = AT+CPMS="ME","ME","ME"
        """

    @Test func devicesPinSMSCSpeedAndReportsAreCarriedOver() throws {
        let imported = try SmstoolsConfigImport.convert(Self.smsdConf, file: "/etc/smsd.conf")
        let configuration = try ConfigurationLoader.parse(yaml: imported.yaml, file: "imported.yaml")
        #expect(configuration.logLevel == "debug")
        #expect(configuration.modems.discovery == false)
        #expect(configuration.modems.devices.map(\.name) == ["GSM1", "GSM2"])
        let first = try #require(configuration.modems.devices.first)
        #expect(first.path == "/dev/ttyUSB2")
        #expect(first.pin == "0123", "a PIN keeps its leading zero")
        #expect(first.smsc == "+33609001390")
        #expect(first.baud == 115_200)
        #expect(first.flowControl)
        #expect(configuration.modems.devices.last?.pin == nil, "pin = ignore: none")
        #expect(configuration.sending.statusReports)
        #expect(configuration.sender.brand == nil)
    }

    @Test func whatHasNoEquivalentIsNotedWithItsLine() throws {
        let imported = try SmstoolsConfigImport.convert(Self.smsdConf, file: "/etc/smsd.conf")
        #expect(imported.notes.contains { $0.hasPrefix("/etc/smsd.conf:3: outgoing") && $0.contains("outbox/new") })
        #expect(imported.notes.contains { $0.hasPrefix("/etc/smsd.conf:6: eventhandler") && $0.contains("SMSAGENT_") })
        #expect(imported.notes.contains { $0.hasPrefix("/etc/smsd.conf:20: [GSM2] init") })
        #expect(imported.notes.contains { $0.contains("sender.brand") })
        #expect(imported.yaml.contains("#   - /etc/smsd.conf:3: outgoing"))
    }

    @Test("unreadable lines are errors with their line", arguments: [
        ("devices = A\n[A\ndevice = /dev/ttyUSB0", 2),
        ("devices = A\njust words", 2),
        ("= value", 1),
    ])
    func errors(text: String, line: Int) {
        let error = #expect(throws: SmstoolsConfigError.self) { try SmstoolsConfigImport.convert(text) }
        #expect(error?.line == line)
    }
}
