import ArgumentParser
import Discovery
import Foundation
import Logging

/// `smsagent discover [--probe] [--json]`: the USB modems plugged in, their ports, and which one
/// the agent would drive, with the reason.
struct DiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "List USB GSM modems, their ports, and the AT port chosen for each (with why).",
        discussion: """
            Without --probe, ports are classified from udev properties (smsagent's udev rules, \
            ModemManager's) and a table of known vendor layouts; no port is opened. With --probe, the \
            candidate ports are asked short AT questions (AT, AT+CMGF=0, AT+CPMS?) and the winner's \
            identity (IMEI, IMSI, ICCID) is read. USB-serial cables (FTDI, CP210x, PL2303, CH340) are \
            listed as ignored and never opened. No modem plugged in is not an error (exit status 0).
            """)

    @Flag(help: "Talk to the candidate ports to confirm the AT port and read the modem's identity.")
    var probe = false

    @Flag(help: "Print JSON (for scripts) instead of a table.")
    var json = false

    @Flag(name: .shortAndLong, help: "Log what discovery does (to stderr).")
    var verbose = false

    func run() async throws {
        var logger = Logger(label: "smsagent.discovery")
        logger.logLevel = verbose ? .debug : .warning
        let discovery = ModemDiscovery(logger: logger)
        var snapshot = try discovery.snapshot()
        if probe {
            var probed: [DiscoveredModem] = []
            for modem in snapshot.modems { probed.append(await discovery.probe(modem)) }
            snapshot.modems = probed
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(snapshot))
            FileHandle.standardOutput.write(Data("\n".utf8))
        } else {
            print(DiscoveryTable.render(snapshot), terminator: "")
        }
    }
}
