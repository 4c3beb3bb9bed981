import Agent
import ArgumentParser
import Foundation
import Records

extension LedgerGrouping: ExpressibleByArgument {}

struct CreditsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credits",
        abstract: "Credits left and what was spent (credits.csv), optionally by day, class, modem or kind.",
        discussion: """
            One ledger row per segment the network accepted; top-ups are rows with negative credits. \
            --by kind separates messages from the automatic replies (opt-out confirmations, help \
            replies, opt-in acknowledgements), which cost credits too. \
            `smsagent credits top-up N [--note TEXT]` adds N credits.
            """,
        subcommands: [CreditsTopUpCommand.self])

    @OptionGroup var options: InboundDataOptions
    @Option(help: "Group the spending: day, class, modem or kind.") var by: LedgerGrouping?
    @Flag(help: "JSON instead of a table.") var json = false

    func run() async throws {
        let (configuration, data) = try options.openExisting()
        let timeZone = configuration.compliance.zone
        let balance = try data.records.ledger.balance()
        let rows = try data.records.ledger.rows().filter { $0.part != nil }
        let segments = rows.reduce(0) { $0 + $1.segments }
        let spent = rows.reduce(0) { $0 + $1.credits }
        let messages = Set(rows.map(\.messageID)).count
        let groups = try by.map { try data.records.ledger.summary(by: $0, timeZone: timeZone) } ?? []
        if json {
            var object: [String: Any] = ["balance": balance, "spent": spent, "segments": segments, "messages": messages,
                                         "low": balance < configuration.credits.lowBalanceWarning]
            if let by {
                object["by"] = by.rawValue
                object["groups"] = groups.map { ["key": $0.key, "messages": $0.messages, "segments": $0.segments, "credits": $0.credits] }
            }
            print(InboundFormat.json(object))
            return
        }
        let low = balance < configuration.credits.lowBalanceWarning ? " — LOW (warning below \(configuration.credits.lowBalanceWarning))" : ""
        print("balance: \(balance) credits\(low)")
        print("spent: \(spent) credits on \(segments) segment\(segments == 1 ? "" : "s") of \(messages) message\(messages == 1 ? "" : "s")")
        if let by {
            guard !groups.isEmpty else { return }
            print(InboundFormat.table([by.rawValue.uppercased(), "MESSAGES", "SEGMENTS", "CREDITS"], groups.map {
                [$0.key, String($0.messages), String($0.segments), String($0.credits)]
            }))
        }
    }
}

/// `smsagent credits top-up N [--note TEXT]`: the top-up row a hand edit used to write.
struct CreditsTopUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top-up",
        abstract: "Add credits: appends a top-up row (negative credits) to credits.csv, durably.")

    @OptionGroup var options: InboundDataOptions
    @Argument(help: "Credits to add (1 to 1000000000).") var credits: Int
    @Option(help: "A note kept in the row (e.g. the invoice number).") var note = ""

    func validate() throws {
        guard (1...1_000_000_000).contains(credits) else {
            throw ValidationError("credits to add must be between 1 and 1000000000, got \(credits)")
        }
    }

    func run() async throws {
        let (_, data) = try options.open()
        try data.records.ledger.addCredits(credits, note: note)
        print("added \(credits) credits; balance: \(try data.records.ledger.balance()) credits")
    }
}
