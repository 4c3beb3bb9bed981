import Agent
import ArgumentParser
import Compliance
import Foundation
import Records

/// `--config FILE` (agent-send's option group) plus `--data-dir DIR`, for the commands that read
/// the receiving side's records (`optouts`, `inbox`, `credits`).
struct InboundDataOptions: ParsableArguments {
    @OptionGroup var agent: AgentConfigOptions
    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Data directory (overrides the configuration's data_directory).", valueName: "DIR"))
    var dataDirectory: String?

    func load() throws -> AgentConfiguration {
        var configuration = try agent.load()
        if let dataDirectory { configuration.dataDirectory = dataDirectory }
        return configuration
    }

    /// The configuration and its data directory (no lock: a running agent may hold it, and every
    /// append is atomic).
    func open() throws -> (AgentConfiguration, DataDirectory) {
        let configuration = try load()
        return (configuration, try agent.openDataDirectory(configuration))
    }

    /// For commands that only read: a data directory that does not exist is an error (opening
    /// it would create a fresh, healthy-looking one and report nothing as if all were well).
    func openExisting() throws -> (AgentConfiguration, DataDirectory) {
        let configuration = try load()
        try AgentConfigOptions.requireExistingDataDirectory(configuration.dataDirectory)
        return (configuration, try agent.openDataDirectory(configuration))
    }
}

enum InboundFormat {
    static func time(_ date: Date, _ timeZone: TimeZone = .current) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func json(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys]) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func parseNumber(_ raw: String, _ configuration: AgentConfiguration) throws -> PhoneNumber {
        do {
            return try PhoneNumber.parse(raw, defaultCountry: configuration.compliance.defaultCountry)
        } catch {
            throw CLIError("\(raw): not a phone number (\(error))")
        }
    }
}

struct OptOutsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optouts",
        abstract: "The opt-out list (optouts.csv): list, add, remove, check, import, export.",
        discussion: """
            optouts.csv is append-only: every change is an event (optout or optin) with its time, keyword, \
            modem and source; a number's state is its latest event. In hashed mode (inbound.hash_optouts) \
            the file holds HMAC-SHA-256 identifiers instead of numbers; add, remove and check still take \
            numbers, which are hashed with the key in optout.key.
            """,
        subcommands: [List.self, Add.self, Remove.self, Check.self, Import.self, Export.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Numbers opted out now (or every event with --events).")
        @OptionGroup var options: InboundDataOptions
        @Flag(help: "Also list numbers that opted back in.") var all = false
        @Flag(help: "Every event in file order instead of the current state.") var events = false
        @Flag(help: "JSON instead of a table.") var json = false

        func run() async throws {
            let (configuration, data) = try options.openExisting()
            let timeZone = configuration.compliance.zone
            if events {
                let list = try data.records.optOuts.events()
                if json {
                    print(InboundFormat.json(list.map { ["recorded_at": RecordTime.iso($0.recordedAt), "number": $0.number,
                                                         "event": $0.event.rawValue, "keyword": $0.keyword, "modem": $0.modem,
                                                         "source": $0.source] }))
                    return
                }
                print(InboundFormat.table(["RECORDED", "NUMBER", "EVENT", "KEYWORD", "MODEM", "SOURCE"], list.map {
                    [InboundFormat.time($0.recordedAt, timeZone), $0.number, $0.event.rawValue, $0.keyword.isEmpty ? "-" : $0.keyword,
                     $0.modem.isEmpty ? "-" : $0.modem, $0.source]
                }))
                return
            }
            let states = try data.records.optOuts.current().filter { all || $0.optedOut }.sorted { $0.lastEvent.recordedAt < $1.lastEvent.recordedAt }
            if json {
                print(InboundFormat.json(states.map { ["number": $0.number, "opted_out": $0.optedOut,
                                                       "since": RecordTime.iso($0.lastEvent.recordedAt), "keyword": $0.lastEvent.keyword,
                                                       "modem": $0.lastEvent.modem, "source": $0.lastEvent.source] }))
                return
            }
            let optedOut = try data.records.optOuts.optedOutCount()
            print("\(optedOut) number\(optedOut == 1 ? "" : "s") opted out\(data.records.storeHashed ? " (hashed)" : "")")
            guard !states.isEmpty else { return }
            print(InboundFormat.table(["NUMBER", "STATE", "SINCE", "KEYWORD", "MODEM", "SOURCE"], states.map {
                [$0.number, $0.optedOut ? "optout" : "optin", InboundFormat.time($0.lastEvent.recordedAt, timeZone),
                 $0.lastEvent.keyword.isEmpty ? "-" : $0.lastEvent.keyword, $0.lastEvent.modem.isEmpty ? "-" : $0.lastEvent.modem,
                 $0.lastEvent.source.hasPrefix("sms:") ? "sms" : $0.lastEvent.source]
            }))
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Opt numbers out by hand (e.g. a request by mail or phone).")
        @OptionGroup var options: InboundDataOptions
        @Option(help: "What the person asked with (kept in the keyword column).") var keyword = ""
        @Argument(help: "Numbers, in any usual form (0612345678, +33612345678, 0033612345678).") var numbers: [String]

        func validate() throws {
            if numbers.isEmpty { throw ValidationError("give at least one number") }
        }

        func run() async throws {
            let (configuration, data) = try options.open()
            for raw in numbers {
                let number = try InboundFormat.parseNumber(raw, configuration)
                if try data.records.optOuts.isOptedOut(number) {
                    print("already opted out: \(number.e164)")
                } else {
                    try data.records.optOuts.optOut(number, keyword: keyword, source: "cli")
                    print("opted out: \(number.e164)")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Opt numbers back in (records an optin event; the history stays).",
            discussion: "Only for a person who asked to receive messages again: the opt-out itself stays in the file.")
        @OptionGroup var options: InboundDataOptions
        @Argument(help: "Numbers, in any usual form.") var numbers: [String]

        func validate() throws {
            if numbers.isEmpty { throw ValidationError("give at least one number") }
        }

        func run() async throws {
            let (configuration, data) = try options.open()
            for raw in numbers {
                let number = try InboundFormat.parseNumber(raw, configuration)
                if try data.records.optOuts.isOptedOut(number) {
                    try data.records.optOuts.optIn(number, source: "cli")
                    print("opted in again: \(number.e164)")
                } else {
                    print("not opted out: \(number.e164)")
                }
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Whether numbers are opted out (exit status 1 if any is).")
        @OptionGroup var options: InboundDataOptions
        @Argument(help: "Numbers, in any usual form.") var numbers: [String]

        func run() async throws {
            let (configuration, data) = try options.openExisting()
            let timeZone = configuration.compliance.zone
            var anyOptedOut = false
            for raw in numbers {
                let number = try InboundFormat.parseNumber(raw, configuration)
                if let state = try data.records.optOuts.state(of: number), state.optedOut {
                    anyOptedOut = true
                    let keyword = state.lastEvent.keyword.isEmpty ? "" : " (\(state.lastEvent.keyword))"
                    print("\(number.e164): opted out since \(InboundFormat.time(state.lastEvent.recordedAt, timeZone))\(keyword)")
                } else {
                    print("\(number.e164): not opted out")
                }
            }
            if anyOptedOut { throw ExitCode(1) }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Opt out every number of a CSV file (first column, or a number/phone column).")
        @OptionGroup var options: InboundDataOptions
        @Argument(help: "CSV file.") var file: String

        func run() async throws {
            let (configuration, data) = try options.open()
            let report = try data.records.optOuts.importNumbers(fromCSV: file, defaultCountry: configuration.compliance.defaultCountry)
            print("imported \(file): \(report.recorded) opted out, \(report.unchanged) already opted out, \(report.issues.count) rejected")
            for issue in report.issues { print("  line \(issue.line): \(issue.reason)") }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The current list as CSV (number,state,since,keyword,modem,source); hmac: identifiers in hashed mode.")
        @OptionGroup var options: InboundDataOptions
        @Flag(help: "Also numbers that opted back in.") var all = false
        @Option(name: [.short, .long], help: ArgumentHelp("Write to FILE (0600) instead of standard output.", valueName: "FILE"))
        var output: String?

        func run() async throws {
            let (_, data) = try options.openExisting()
            let csv = try data.records.optOuts.exportCSV(includeOptedIn: all)
            guard let output else {
                print(csv, terminator: "")
                return
            }
            guard FileManager.default.createFile(atPath: output, contents: Data(csv.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CLIError("cannot write \(output)")
            }
            print("wrote \(csv.split(separator: "\n").count - 1) numbers to \(output)")
        }
    }
}

enum RecordTime {
    static func iso(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }
}
