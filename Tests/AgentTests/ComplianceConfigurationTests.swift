import Compliance
import Foundation
import SMSCodec
import Testing
@testable import Agent

/// Issue 14: the compliance keys (smart encoding levels, number types, opt-in acknowledgement,
/// holidays of custom windows).
@Suite struct ComplianceConfigurationTests {
    @Test("smart_encoding: a named level; true/false from older files", arguments: [
        ("", SmartEncodingMode.punctuation), ("smart_encoding: punctuation", .punctuation),
        ("smart_encoding: letters", .letters), ("smart_encoding: off", .off),
        ("smart_encoding: true", .letters), ("smart_encoding: false", .off),
    ])
    func smartEncoding(line: String, mode: SmartEncodingMode) throws {
        let configuration = try ConfigurationLoader.parse(yaml: "compliance:\n  \(line.isEmpty ? "locale: en" : line)\n")
        #expect(configuration.compliance.smartEncoding == mode)
    }

    @Test("an unknown smart_encoding level names the choices")
    func badSmartEncoding() {
        #expect {
            try ConfigurationLoader.parse(yaml: "compliance:\n  smart_encoding: accents\n")
        } throws: { error in
            "\(error)".contains("punctuation") && "\(error)".contains("compliance.smart_encoding")
        }
    }

    @Test("custom windows are closed on the default country's holidays unless holidays: none", arguments: [
        ("quiet_hours: { windows: [\"monday 09:00-19:00\"] }", HolidayCalendar.france),
        ("quiet_hours: { windows: [\"mon-fri 09:00-19:00\"] }\n  default_country: GB", .none),
        ("default_country: RE\n  quiet_hours: { windows: [\"mon-fri 09:00-19:00\"] }", .france),
        ("quiet_hours: { windows: [\"mon-fri 09:00-19:00\"], holidays: none }", .none),
        ("quiet_hours: { windows: [\"mon-fri 09:00-19:00\"], holidays: france-alsace-moselle }", .franceAlsaceMoselle),
    ])
    func customWindowHolidays(yaml: String, holidays: HolidayCalendar) throws {
        let configuration = try ConfigurationLoader.parse(yaml: "compliance:\n  \(yaml)\n")
        #expect(configuration.compliance.quietHours.holidays == holidays)
    }

    @Test("number types and opt-in acknowledgement regions, read back from the effective YAML")
    func typesAndRegions() throws {
        let configuration = try ConfigurationLoader.parse(yaml: """
            compliance:
              sms_number_types: [voip, personal]
              optin_ack_regions: [us, FR]
              smart_encoding: letters
            """)
        #expect(configuration.compliance.extraSMSNumberTypes == [.voip, .personal])
        #expect(configuration.compliance.optInAcknowledgementRegions == ["US", "FR"])
        let reread = try ConfigurationLoader.parse(yaml: configuration.effectiveYAML())
        #expect(reread.compliance.extraSMSNumberTypes == configuration.compliance.extraSMSNumberTypes)
        #expect(reread.compliance.optInAcknowledgementRegions == configuration.compliance.optInAcknowledgementRegions)
        #expect(reread.compliance.smartEncoding == .letters)
        #expect(AgentConfiguration().compliance.optInAcknowledgementRegions == ["US"])
        #expect(AgentConfiguration().compliance.extraSMSNumberTypes.isEmpty)
        #expect(throws: (any Error).self) { try ConfigurationLoader.parse(yaml: "compliance:\n  sms_number_types: [landline]\n") }
        #expect(throws: (any Error).self) { try ConfigurationLoader.parse(yaml: "compliance:\n  optin_ack_regions: [USA]\n") }
    }
}
