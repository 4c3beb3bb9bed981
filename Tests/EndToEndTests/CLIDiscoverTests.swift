import Foundation
import Testing

/// Whether this machine has no USB serial device at all (CI, a container): what the tests below
/// are about. On a bench with a stick plugged in they are reported as skipped, with this reason.
private let noUSBSerialDevice: Bool = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []
    return !names.contains { $0.hasPrefix("ttyUSB") || $0.hasPrefix("ttyACM") }
}()

/// `smsagent discover` on a machine without any modem.
@Suite(.timeLimit(.minutes(1)), .enabled(if: noUSBSerialDevice, "a USB serial device is plugged in"))
struct CLIDiscoverTests {
    @Test func noModemIsNotAnError() async throws {
        let result = try await CLI.run(["discover"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines == ["No USB modem found."], "\(result)")
    }

    @Test func probingNothingIsNotAnErrorEither() async throws {
        let result = try await CLI.run(["discover", "--probe"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines == ["No USB modem found."], "\(result)")
    }

    @Test func jsonIsValidWithAnEmptyList() async throws {
        let result = try await CLI.run(["discover", "--json"])
        #expect(result.status == 0, "\(result)")
        let json = try #require(result.json as? [String: Any], "\(result)")
        let modems = try #require(json["modems"] as? [Any], "\(result)")
        #expect(modems.isEmpty)
        #expect((json["ignored"] as? [Any])?.isEmpty == true, "\(result)")
    }
}
