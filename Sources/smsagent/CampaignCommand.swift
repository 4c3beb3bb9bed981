import Agent
import ArgumentParser
import Compliance
import Foundation
import Records

struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Queue a campaign from a CSV file, or follow one while it sends.",
        subcommands: [CampaignEnqueueCommand.self, CampaignStatusCommand.self],
        defaultSubcommand: CampaignEnqueueCommand.self)
}

struct CampaignEnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Queue one message per CSV row: smsagent campaign FILE.csv --template T [--dry-run].",
        discussion: """
            The CSV has a header row, a phone column (phone, number, mobile, to, tel … or \
            --phone-column) and any other columns, usable as {placeholders} in the template. \
            --dry-run shows the preview (encoding, segments, credits with and without footer, \
            suppressed and invalid recipients) and queues nothing. Invalid numbers are queued \
            anyway only with --keep-invalid (they then fail with their reason); by default they \
            are reported and skipped. A number on several rows (after normalisation: 0612345601 \
            and +33 6 12 34 56 01 are one number) gets one message, from its first row; the \
            later rows are reported as duplicates, unless --allow-duplicates.
            """)

    @OptionGroup var options: AgentConfigOptions
    @Argument(help: "CSV file.")
    var file: String
    @Option(help: "Message template with {column} placeholders.")
    var template: String
    @Option(help: "Campaign name (default: the file name and the time).")
    var name: String?
    @Option(name: .customLong("class"), help: "marketing or notification.")
    var messageClass: MessageClass?
    @Option(help: "Name of the phone column.")
    var phoneColumn: String?
    @OptionGroup var schedule: ScheduleOption
    @Flag(help: "Preview only: queue nothing.")
    var dryRun = false
    @Flag(help: "Queue rows with an invalid number too (they fail with the reason).")
    var keepInvalid = false
    @Flag(help: "Send one message per row even when a number appears on several rows.")
    var allowDuplicates = false

    func run() async throws {
        let configuration = try options.load()
        let messages = try CampaignInput.messages(file: file, template: template, phoneColumn: phoneColumn)
        let notBefore = try schedule.notBefore(configuration)
        if dryRun {
            let preview = try CampaignInput.preview(messages, messageClass: messageClass, configuration: configuration,
                                                    options: options, allowDuplicates: allowDuplicates)
            print(PreviewPrinter.table(preview, limit: 50), terminator: "")
            print("dry run: nothing queued")
            return
        }
        let dataDirectory = try options.openDataDirectory(configuration)
        let campaign = name ?? Self.defaultName(file: file)
        let progress = ProgressBar(total: messages.count, label: "queueing")
        var queued = 0
        var invalid: [(Int?, String, String)] = []
        var duplicates: [(line: Int?, raw: String, first: Int?)] = []
        var firstLine: [String: Int?] = [:]
        // Queued in batches: one flush of the file system per batch, not an fsync per file; a
        // crash leaves whole messages or none (FileOutbox.enqueue(contentsOf:)).
        var batch: [(line: Int?, message: OutboxMessage)] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            do {
                queued += try dataDirectory.records.outbox.enqueue(contentsOf: batch.map(\.message))
            } catch {
                progress.finish()
                let done = (error as? OutboxBatchError)?.queued ?? 0
                let cause = (error as? OutboxBatchError)?.underlying ?? error
                let line = batch.indices.contains(done) ? batch[done].line : nil
                throw CLIError("line \(line.map(String.init) ?? "?"): cannot queue: \(cause) (\(queued + done) queued before)")
            }
            for _ in batch { progress.advance() }
            batch.removeAll(keepingCapacity: true)
        }
        for message in messages {
            var number: PhoneNumber?
            do {
                number = try PhoneNumber.parse(message.to, defaultCountry: configuration.compliance.defaultCountry)
            } catch where !keepInvalid {
                invalid.append((message.line, message.to, "\(error)"))
                progress.advance()
                continue
            } catch {}
            if let number, !allowDuplicates {
                if let first = firstLine[number.e164] {
                    duplicates.append((message.line, message.to, first))
                    progress.advance()
                    continue
                }
                firstLine[number.e164] = .some(message.line)
            }
            batch.append((message.line, OutboxMessage(to: message.to, text: message.text, messageClass: messageClass,
                                                      campaign: campaign, notBefore: notBefore)))
            if batch.count == Self.batchSize { try flush() }
        }
        try flush()
        progress.finish()
        print("campaign \(campaign): \(queued) message\(queued == 1 ? "" : "s") queued in " + (dataDirectory.records.isShared ? dataDirectory.records.location : "\(dataDirectory.path)/outbox/new/")
              + ScheduleOption.suffix(notBefore, configuration))
        for (line, raw, reason) in invalid.prefix(20) {
            print("  skipped line \(line.map(String.init) ?? "?"): \(raw.isEmpty ? "(empty)" : raw): \(reason)")
        }
        if invalid.count > 20 { print("  … and \(invalid.count - 20) more invalid numbers") }
        if !duplicates.isEmpty {
            print("  \(duplicates.count) duplicate\(duplicates.count == 1 ? "" : "s") skipped (one number, one message; --allow-duplicates to send each row):")
            func line(_ l: Int?) -> String { l.map(String.init) ?? "?" }
            for duplicate in duplicates.prefix(20) {
                print("  duplicate line \(line(duplicate.line)): \(duplicate.raw): same number as line \(line(duplicate.first))")
            }
            if duplicates.count > 20 { print("  … and \(duplicates.count - 20) more duplicates") }
        }
        print("follow it with: smsagent campaign status \(campaign)")
    }

    /// Messages per durable batch: large enough that the flush is amortised, small enough that
    /// the progress bar moves and an interrupted run has queued most of what it read.
    static let batchSize = 2000

    static func defaultName(file: String) -> String {
        let base = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmm"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return "\(base)-\(formatter.string(from: Date()))"
    }
}

struct CampaignStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Progress of a campaign (or of every campaign): queued, sending, sent, suppressed, failed.")

    @OptionGroup var options: AgentConfigOptions
    @Argument(help: "Campaign name (default: every campaign).")
    var name: String?
    @Flag(name: .shortAndLong, help: "Keep showing the progress until nothing is left to send.")
    var follow = false

    struct Tally: Equatable {
        var queued = 0, sending = 0, sent = 0, suppressed = 0, failed = 0
        /// Sent messages whose every part has a "delivered" status report, and those with a part
        /// the SMSC gave up on (`sending.status_reports`); nil when no report names the campaign.
        var delivered: Int?, undelivered: Int?
        var total: Int { queued + sending + sent + suppressed + failed }
        var done: Int { sent + suppressed + failed }
    }

    func run() async throws {
        let configuration = try options.load()
        let dataDirectory = try options.openDataDirectory(configuration)
        let messagesIn = dataDirectory.records.messagesIn
        var bar: ProgressBar?
        while true {
            let deliveries = (try? DeliveryReportLog(path: dataDirectory.path + "/" + DeliveryReportLog.fileName).outcomes()) ?? [:]
            let progress = try tally(messagesIn, deliveries: deliveries, keepPending: !follow)
            let tallies = progress.mapValues(\.tally)
            if follow {
                let all = tallies.values.reduce(Tally()) { Tally(queued: $0.queued + $1.queued, sending: $0.sending + $1.sending, sent: $0.sent + $1.sent, suppressed: $0.suppressed + $1.suppressed, failed: $0.failed + $1.failed) }
                if bar == nil { bar = ProgressBar(total: all.total, label: name ?? "all campaigns") }
                bar?.set(all.done, total: all.total, suffix: "sent \(all.sent), suppressed \(all.suppressed), failed \(all.failed)")
                if all.queued + all.sending == 0 { bar?.finish(); break }
                try await Task.sleep(for: .milliseconds(500))
                continue
            }
            if tallies.isEmpty {
                print(name.map { "no message of campaign \($0) in \(dataDirectory.path)/outbox" } ?? "no campaign in \(dataDirectory.path)/outbox")
                return
            }
            let reports = tallies.values.contains { $0.delivered != nil }
            print("campaign                          queued sending    sent suppressed  failed" + (reports ? " delivered undelivered" : ""))
            for (campaign, t) in tallies.sorted(by: { $0.key < $1.key }) {
                let padded = campaign.count >= 32 ? String(campaign.prefix(32)) : campaign + String(repeating: " ", count: 32 - campaign.count)
                func right(_ value: Int?, _ width: Int) -> String {
                    let text = value.map(String.init) ?? "-"
                    return String(repeating: " ", count: max(0, width - text.count)) + text
                }
                let delivery = reports ? right(t.delivered, 10) + right(t.undelivered, 12) : ""
                print(padded + [t.queued, t.sending, t.sent, t.suppressed, t.failed].map { String(format: "%8d", $0) }.joined() + delivery
                      + "  " + ProgressBar.bar(done: t.done, total: t.total, width: 20))
            }
            // Issue 14: when what is still queued will have left (SIMs, throttles, caps, quiet hours).
            let pending = progress.values.flatMap(\.pending)
            let now = ((try? AgentClocks.fromEnvironment()) ?? SystemClock()).now()
            if let (eta, sims) = MessagePreview.estimate(pending: pending, configuration: configuration,
                                                         dataDirectory: dataDirectory, now: now) {
                print("ETA: " + PreviewPrinter.describe(eta, sims: sims, timeZone: configuration.compliance.timeZone))
            }
            return
        }
        if let t = try tally(messagesIn).values.first?.tally, name != nil {
            print("sent \(t.sent), suppressed \(t.suppressed), failed \(t.failed)")
        }
    }

    /// The tally of every campaign (or of `name`): `CampaignProgress`, the fold the HTTP API serves
    /// too, with held messages counted as queued (they are, until their time).
    func tally(_ messagesIn: (OutboxFolder) throws -> [OutboxMessage], deliveries: [String: [Int: DeliveryReportLog.Outcome]] = [:],
               keepPending: Bool = false) throws -> [String: (tally: Tally, pending: [OutboxMessage])] {
        try CampaignProgress.tally(messagesIn: messagesIn, deliveries: deliveries, only: name, keepPending: keepPending).mapValues { p in
            (Tally(queued: p.queued + p.held, sending: p.sending, sent: p.sent, suppressed: p.suppressed, failed: p.failed,
                   delivered: p.delivered, undelivered: p.undelivered), p.pending)
        }
    }
}

/// A progress bar on stderr (redrawn in place on a terminal; a few lines otherwise).
final class ProgressBar {
    let label: String
    var total: Int
    var done = 0
    let isTerminal = isatty(STDERR_FILENO) == 1
    var lastPrinted = -1
    var suffix = ""

    init(total: Int, label: String) {
        self.total = total
        self.label = label
        draw()
    }

    func advance() {
        done += 1
        draw()
    }

    func set(_ done: Int, total: Int, suffix: String) {
        self.done = done
        self.total = total
        self.suffix = suffix
        draw()
    }

    func draw() {
        let percent = total == 0 ? 100 : done * 100 / total
        if isTerminal {
            guard percent != lastPrinted || done == total || !suffix.isEmpty else { return }
            FileHandle.standardError.write(Data("\r\(label) \(Self.bar(done: done, total: total, width: 30)) \(done)/\(total) \(suffix)\u{1B}[K".utf8))
        } else if percent / 25 != lastPrinted / 25 || done == total {
            FileHandle.standardError.write(Data("\(label) \(done)/\(total) \(suffix)\n".utf8))
        } else {
            return
        }
        lastPrinted = percent
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func bar(done: Int, total: Int, width: Int) -> String {
        let filled = total == 0 ? width : min(width, done * width / max(1, total))
        return "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "]"
    }
}
