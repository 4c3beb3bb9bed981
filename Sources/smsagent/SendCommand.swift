import Agent
import ArgumentParser
import Compliance
import Foundation
import Records

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Queue one SMS in the outbox (the running agent sends it).",
        discussion: """
            Writes outbox/new/<id>.json (temporary name, fsync, rename). The agent applies the policy \
            when it sends: footer on marketing, quiet hours, opt-outs, credits. Prints the message id.
            """)

    @OptionGroup var options: AgentConfigOptions
    @Option(help: "Recipient: +33612345678, or national digits (compliance.default_country).")
    var to: String
    @Option(help: "Message text.")
    var text: String
    @Option(name: .customLong("class"), help: "marketing or notification (default: the installation's mode).")
    var messageClass: MessageClass?
    @Option(help: "Campaign name to file the message under.")
    var campaign: String?
    @OptionGroup var schedule: ScheduleOption

    func run() async throws {
        let configuration = try options.load()
        if case .failure(let reason) = configuration.recipientCheck.recipient(to, defaultCountry: configuration.compliance.defaultCountry) {
            throw CLIError("--to \(to): \(reason)")
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw CLIError("--text is empty") }
        let dataDirectory = try options.openDataDirectory(configuration)
        let notBefore = try schedule.notBefore(configuration)
        let message = OutboxMessage(to: to, text: text, messageClass: messageClass, campaign: campaign, notBefore: notBefore)
        do {
            try dataDirectory.records.outbox.enqueue(message)
        } catch {
            throw CLIError("cannot queue the message: \(error)")
        }
        print("queued \(message.id) → " + (dataDirectory.records.isShared ? dataDirectory.records.location : "\(dataDirectory.path)/outbox/new/\(message.id).json")
              + ScheduleOption.suffix(notBefore, configuration))
    }
}

extension MessageClass: ExpressibleByArgument {}

/// `--at` of `send` and `campaign`: the message's `not_before`.
struct ScheduleOption: ParsableArguments {
    @Option(help: "Send at: 2026-12-01 09:00 (compliance.time_zone), 2026-12-01T09:00:00+01:00, or +2h. Default: now.")
    var at: String?

    func notBefore(_ configuration: AgentConfiguration) throws -> Date? {
        guard let at else { return nil }
        let trimmed = at.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("+"), DurationText.parse(String(trimmed.dropFirst())) == nil {
            throw CLIError("--at \(at): expected a delay such as +30m or +2h, of at most \(DurationText.maximumText)")
        }
        do {
            return try ScheduledTime.parse(at, timeZone: configuration.compliance.zone, now: Date())
        } catch {
            throw CLIError("--at \(at): \(error)")
        }
    }

    /// `, not before 2026-12-01 18:00 Europe/Paris` for what the commands print, or nothing.
    static func suffix(_ notBefore: Date?, _ configuration: AgentConfiguration) -> String {
        notBefore.map { ", not before \(ScheduledTime.describe($0, timeZone: configuration.compliance.zone))" } ?? ""
    }
}
