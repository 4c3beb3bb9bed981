import Foundation
import Testing
@testable import Agent

@Suite struct ConfigurationLoaderTests {
    @Test func anEmptyFileGivesTheDefaults() throws {
        let configuration = try ConfigurationLoader.parse(yaml: "")
        #expect(configuration == AgentConfiguration())
        #expect(configuration.modems.throttle == ThrottleSettings(minInterval: .seconds(3), dailyCap: 200))
    }

    @Test func theShippedExampleIsValidAndEqualsTheDefaults() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Config/smsagent.yaml")
        let configuration = try ConfigurationLoader.load(path: example.path)
        #expect(configuration == AgentConfiguration())
    }

    @Test func theEffectiveYAMLReadsBackTheSame() throws {
        var configuration = try ConfigurationLoader.parse(yaml: """
            sender: { brand: "Boulangerie Martin", stop_number: "+33612345678" }
            modems:
              sms_storage: [me, me, mt]
              discovery: false
              simulated: [{ name: a, own_number: "+33600000001" }]
              devices: [{ path: /dev/ttyUSB2, name: shop, throttle: { min_interval: 500ms, daily_cap: 50 } }]
            compliance:
              quiet_hours: { windows: ["mon,sat 08:30-19:00"], holidays: france }
            sending: { ambiguous_window: resend, validity: 2d, keep_settled_for: 90d }
            hooks: { on_receive: /usr/local/bin/sms-in, on_failed: [/usr/local/bin/page, "--who", "ops team"], timeout: 5s }
            """)
        configuration.modems.pin = nil
        let reread = try ConfigurationLoader.parse(yaml: configuration.effectiveYAML())
        #expect(reread.modems.devices.first?.throttle == ThrottleSettings(minInterval: .milliseconds(500), dailyCap: 50))
        #expect(reread.compliance.quietHours == configuration.compliance.quietHours)
        #expect(reread.sending == configuration.sending)
        #expect(configuration.sending.keepSettledFor == .seconds(90 * 86400))
        #expect(reread.sender == configuration.sender)
        #expect(reread.hooks == configuration.hooks)
        #expect(reread.modems.smsStorage == ["ME", "ME", "MT"])
        #expect(configuration.hooks.onReceive == ["/usr/local/bin/sms-in"] && configuration.hooks.onSent.isEmpty)
        #expect(configuration.hooks.onFailed == ["/usr/local/bin/page", "--who", "ops team"])
        #expect(reread.modems.simulated.map(\.ownNumber) == configuration.modems.simulated.map(\.ownNumber))
        #expect(reread.modems.simulated.first?.throttle == configuration.modems.throttle)
    }

    @Test func aSimulatedModemTakesAProfileWithQuirks() throws {
        let configuration = try ConfigurationLoader.parse(yaml: """
            modems:
              simulated: [{ name: phone, profile: nokia-phone }, { name: bare, profile: generic+no-smsc+cms500-once }]
            """)
        #expect(configuration.modems.simulated.map(\.profile) == ["nokia-phone", "generic+no-smsc+cms500-once"])
        #expect(try ConfigurationLoader.parse(yaml: configuration.effectiveYAML()).modems.simulated.map(\.profile)
                == ["nokia-phone", "generic+no-smsc+cms500-once"])
    }

    struct BadCase: Sendable, CustomStringConvertible {
        let yaml: String
        let key: String
        let line: Int
        let mentions: String
        var description: String { key }
    }

    static let badCases: [BadCase] = [
        BadCase(yaml: "data_directory: /tmp/x\nmodemz: {}\n", key: "modemz", line: 2, mentions: "did you mean 'modems'"),
        BadCase(yaml: "modems:\n  throttle:\n    min_interval: fast\n", key: "modems.throttle.min_interval", line: 3, mentions: "duration"),
        BadCase(yaml: "modems:\n  throttle:\n    daily_cap: -1\n", key: "modems.throttle.daily_cap", line: 3, mentions: "≥ 0"),
        BadCase(yaml: "modems:\n  pin: 12\n", key: "modems.pin", line: 2, mentions: "4 to 8 digits"),
        BadCase(yaml: "sending:\n  keep_settled_for: 5m\n", key: "sending.keep_settled_for", line: 2, mentions: "at least 1h"),
        BadCase(yaml: "modems:\n  sms_storage: [SM, SIM]\n", key: "modems.sms_storage[1]", line: 2, mentions: "SM, ME or MT"),
        BadCase(yaml: "hooks:\n  on_sent: /usr/bin/logger -t sms\n", key: "hooks.on_sent", line: 2, mentions: "as a list"),
        BadCase(yaml: "hooks:\n  on_recieve: /usr/bin/true\n", key: "hooks.on_recieve", line: 2, mentions: "did you mean 'on_receive'"),
        BadCase(yaml: "modems:\n  devices:\n    - name: a\n", key: "modems.devices[0]", line: 3, mentions: "path"),
        BadCase(yaml: "modems:\n  devices:\n    - path: /dev/ttyUSB0\n      baud: 1234\n", key: "modems.devices[0].baud", line: 4, mentions: "baud rate"),
        BadCase(yaml: "compliance:\n  mode: spam\n", key: "compliance.mode", line: 2, mentions: "marketing, notification"),
        BadCase(yaml: "compliance:\n  quiet_hours: never\n", key: "compliance.quiet_hours", line: 2, mentions: "fr-strict"),
        BadCase(yaml: "compliance:\n  quiet_hours:\n    windows:\n      - \"mon 20:00-08:00\"\n", key: "compliance.quiet_hours.windows[0]", line: 4, mentions: "before"),
        BadCase(yaml: "compliance:\n  time_zone: Mars/Olympus\n", key: "compliance.time_zone", line: 2, mentions: "IANA"),
        BadCase(yaml: "compliance:\n  default_country: France\n", key: "compliance.default_country", line: 2, mentions: "alpha-2"),
        BadCase(yaml: "credits:\n  hard_stop: maybe\n", key: "credits.hard_stop", line: 2, mentions: "true or false"),
        BadCase(yaml: "credits:\n  class_costs: { promo: 2 }\n", key: "credits.class_costs.promo", line: 2, mentions: "unknown key"),
        BadCase(yaml: "sending:\n  ambiguous_window: maybe\n", key: "sending.ambiguous_window", line: 2, mentions: "assume-sent, resend, fail"),
        BadCase(yaml: "sending:\n  retry:\n    initial_backoff: 10s\n    max_backoff: 1s\n", key: "sending.retry", line: 3, mentions: "shorter"),
        BadCase(yaml: "inbound:\n  poll_interval: 0s\n", key: "inbound.poll_interval", line: 2, mentions: "greater than 0"),
        BadCase(yaml: "inbound:\n  keyword_locales: [fr, de]\n", key: "inbound.keyword_locales[1]", line: 2, mentions: "locale"),
        BadCase(yaml: "sender:\n  stop_number: call us\n", key: "sender.stop_number", line: 2, mentions: "phone number"),
        BadCase(yaml: "modems:\n  simulated:\n    - profile: nokia+no-smsc\n", key: "modems.simulated[0].profile", line: 3, mentions: "nokia-phone"),
        // Issue 9.6: values that trapped (Double → Int64, Int overflow at run time) are errors naming the key.
        BadCase(yaml: "modems:\n  throttle:\n    min_interval: 999999999999d\n", key: "modems.throttle.min_interval", line: 3, mentions: "at most 3660d"),
        BadCase(yaml: "inbound:\n  poll_interval: 1e300s\n", key: "inbound.poll_interval", line: 2, mentions: "at most 3660d"),
        BadCase(yaml: "inbound:\n  poll_interval: 99999999999999999999\n", key: "inbound.poll_interval", line: 2, mentions: "at most 3660d"),
        BadCase(yaml: "credits:\n  cost_per_segment: 9223372036854775807\n", key: "credits.cost_per_segment", line: 2, mentions: "≤ 1000000"),
        BadCase(yaml: "credits:\n  class_costs: { marketing: 9223372036854775807 }\n", key: "credits.class_costs.marketing", line: 2, mentions: "≤ 1000000"),
        BadCase(yaml: "credits:\n  opening_balance: 9223372036854775807\n", key: "credits.opening_balance", line: 2, mentions: "≤ 1000000000000"),
        BadCase(yaml: "credits:\n  low_balance_warning: 9223372036854775807\n", key: "credits.low_balance_warning", line: 2, mentions: "≤ 1000000000000"),
    ]

    /// Issue 9.6: a document nested 5 000 deep made Yams' composer overflow the stack.
    @Test(arguments: [
        ("flow", String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000), "nested [ ]"),
        ("flow mapping", "sender: " + String(repeating: "{a: ", count: 5000) + "1" + String(repeating: "}", count: 5000), "nested [ ]"),
        ("block list", String(repeating: "- ", count: 5000) + "x\n", "column"),
        // 1 000 deep: 5 000 lines indented one more each would be 12 MB, refused by size first.
        ("block mapping", (0..<1000).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n"), "column"),
    ])
    func aDeeplyNestedDocumentIsAnErrorNotACrash(_ name: String, _ yaml: String, _ mentions: String) {
        do {
            _ = try ConfigurationLoader.parse(yaml: yaml, file: "deep.yaml")
            Issue.record("accepted \(name)")
        } catch let error as ConfigurationError {
            #expect(error.description.hasPrefix("deep.yaml:"), "\(error)")
            #expect(error.description.contains(mentions), "\(error)")
            #expect(!error.description.contains("\n"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func bracketsInsideQuotesAndCommentsDoNotCountAsNesting() throws {
        let brackets = String(repeating: "[", count: 100)
        let configuration = try ConfigurationLoader.parse(yaml: """
            # \(brackets)
            sender: { brand: "Chez 'Martin' [", stop_number: '+33612345678' }   # \(brackets)
            hooks: { on_receive: [/usr/bin/logger, "\(brackets)", '\(brackets)'] }
            """)
        #expect(configuration.sender.brand == "Chez 'Martin' [")
        #expect(configuration.hooks.onReceive == ["/usr/bin/logger", brackets, brackets])
    }

    @Test func durationsAreBoundedNeverATrap() {
        for text in ["999999999999d", "1e300", "inf", "nan", "9223372036854775807ms", "3661d", "-0.4ms"] {
            #expect(DurationText.parse(text) == nil, "\(text)")
        }
        #expect(DurationText.parse("3660d") == .seconds(3660 * 86_400))
        #expect(DurationText.parse("441d") == .seconds(441 * 86_400))
    }

    @Test(arguments: badCases)
    func aBadValueNamesTheKeyTheLineAndWhatWasExpected(_ bad: BadCase) {
        do {
            _ = try ConfigurationLoader.parse(yaml: bad.yaml, file: "test.yaml")
            Issue.record("accepted: \(bad.yaml)")
        } catch let error as ConfigurationError {
            #expect(error.key == bad.key)
            #expect(error.line == bad.line, "\(error)")
            #expect(error.description.contains(bad.mentions), "\(error)")
            #expect(error.description.hasPrefix("test.yaml:\(bad.line):"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func invalidYAMLSaysWhere() {
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.parse(yaml: "modems: [\n", file: "x.yaml")
        }
    }

    @Test func durationsReadAndPrint() {
        let table: [(String, Duration?)] = [("3s", .seconds(3)), ("500ms", .milliseconds(500)), ("5m", .seconds(300)),
                                            ("24h", .seconds(86400)), ("2", .seconds(2)), ("1.5s", .milliseconds(1500)), ("soon", nil), ("-1s", nil)]
        for (text, expected) in table {
            #expect(DurationText.parse(text) == expected, "\(text)")
        }
        #expect(DurationText.format(.seconds(86400)) == "1d")
        #expect(DurationText.format(.milliseconds(1500)) == "1500ms")
    }
}

@Suite struct AgentClockTests {
    @Test func noFakeNowIsTheSystemClock() throws {
        let clock = try AgentClocks.fromEnvironment([:])
        #expect(abs(clock.now().timeIntervalSinceNow) < 1)
    }

    @Test func fakeNowStartsTheClockThere() throws {
        let clock = try AgentClocks.fromEnvironment(["SMSAGENT_FAKE_NOW": "2026-03-01T21:30:00+01:00"])
        #expect(abs(clock.now().timeIntervalSince1970 - 1_772_397_000) < 5)
    }

    @Test func fixedFakeNowStaysThere() throws {
        let clock = try AgentClocks.fromEnvironment(["SMSAGENT_FAKE_NOW": "fixed:2026-03-01T20:30:00Z"])
        #expect(clock.now().timeIntervalSince1970 == 1_772_397_000)
    }

    @Test func aBadFakeNowIsAnError() {
        #expect(throws: AgentClockError.self) { try AgentClocks.fromEnvironment(["SMSAGENT_FAKE_NOW": "tomorrow"]) }
    }
}
