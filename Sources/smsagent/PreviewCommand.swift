import Agent
import ArgumentParser
import Compliance
import Foundation
import Records
import SMSCodec

struct PreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Show what a message or a campaign will cost, before any credit is spent.",
        discussion: """
            Per recipient: the number in E.164 and its type (mobile, fixed line, premium rate …), the \
            footer's locale, encoding, segments and credits with and without the footer, the characters \
            that force UCS-2; and how many recipients are suppressed (opted out), refused or invalid. \
            The first message is shown exactly as it goes on the air (after smart encoding, with the \
            footer), with each replacement made, and beside it the text and cost under the other \
            compliance.smart_encoding choice (punctuation or letters). Either --to N --text T, or \
            FILE.csv --template T.
            """)

    @OptionGroup var options: AgentConfigOptions
    @Argument(help: "CSV file with a phone column (and the template's {placeholders}).")
    var file: String?
    @Option(help: "Template with {column} placeholders (with FILE).")
    var template: String?
    @Option(help: "One recipient (instead of FILE).")
    var to: String?
    @Option(help: "Text for --to.")
    var text: String?
    @Option(name: .customLong("class"), help: "marketing or notification.")
    var messageClass: MessageClass?
    @Option(help: "Name of the phone column (default: phone, number, mobile, to, tel …).")
    var phoneColumn: String?
    @Flag(help: "One JSON object instead of the table.")
    var json = false
    @Option(help: "Show at most this many recipient lines (0 = all).")
    var limit = 50

    func validate() throws {
        if file == nil && (to == nil || text == nil) { throw ValidationError("give FILE.csv --template T, or --to N --text T") }
        if file != nil && template == nil { throw ValidationError("FILE needs --template") }
    }

    func run() async throws {
        let configuration = try options.load()
        let messages: [(line: Int?, to: String, text: String)]
        if let file, let template {
            messages = try CampaignInput.messages(file: file, template: template, phoneColumn: phoneColumn)
        } else {
            messages = [(nil, to ?? "", text ?? "")]
        }
        let preview = try CampaignInput.preview(messages, messageClass: messageClass, configuration: configuration, options: options)
        if json {
            print(PreviewPrinter.json(preview))
        } else {
            print(PreviewPrinter.table(preview, limit: limit), terminator: "")
        }
    }
}

/// Reading a campaign's CSV and previewing it (shared by `preview` and `campaign --dry-run`).
enum CampaignInput {
    static func messages(file: String, template: String, phoneColumn: String?) throws -> [(line: Int?, to: String, text: String)] {
        let campaign: CampaignFile
        let parsedTemplate: MessageTemplate
        do {
            campaign = try CampaignFile.load(path: file, phoneColumn: phoneColumn)
            parsedTemplate = try MessageTemplate(template)
            try parsedTemplate.validate(columns: campaign.columns)
        } catch let error as CampaignError {
            throw CLIError(error.description)
        } catch let error as TemplateError {
            throw CLIError(error.description)
        }
        if let note = campaign.encodingNote {
            FileHandle.standardError.write(Data("note: \(note)\n".utf8))
        }
        return campaign.rows.map { row in (row.line, row.phone, parsedTemplate.render(row.values)) }
    }

    static func preview(_ messages: [(line: Int?, to: String, text: String)], messageClass: MessageClass?,
                        configuration: AgentConfiguration, options: AgentConfigOptions,
                        allowDuplicates: Bool = false) throws -> MessagePreview {
        // Only an existing data directory: a preview must not create one.
        let data = FileManager.default.fileExists(atPath: configuration.dataDirectory)
            ? try? options.openDataDirectory(configuration) : nil
        let registry = data?.records.optOuts
        let clock = (try? AgentClocks.fromEnvironment()) ?? SystemClock()
        let now = clock.now()
        do {
            return try MessagePreview.compute(messages: messages, messageClass: messageClass, configuration: configuration,
                                              now: now, allowDuplicates: allowDuplicates,
                                              sims: data.flatMap { MessagePreview.etaSIMs(configuration, dataDirectory: $0, now: now) }) { number in
                (try? registry?.isOptedOut(number)) ?? false
            }
        } catch {
            throw CLIError("cannot preview: \(error)")
        }
    }
}

enum PreviewPrinter {
    static func table(_ preview: MessagePreview, limit: Int) -> String {
        var out = ""
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        let typeWidth = (preview.recipients.map { ($0.numberType ?? "-").count }.max() ?? 0) + 2
        out += pad("line", 5) + pad("number", 17) + pad("type", max(6, typeWidth)) + pad("verdict", 11) + pad("enc", 6) + pad("seg", 9) + pad("credits", 9) + "notes\n"
        for (index, r) in preview.recipients.enumerated() {
            if limit > 0, index >= limit {
                out += "… \(preview.recipients.count - limit) more (use --limit 0 to see all)\n"
                break
            }
            var notes: [String] = []
            if let reason = r.reason { notes.append(reason) }
            if let locale = r.locale, r.footerAdded { notes.append("footer \(locale)") }
            if !r.nonGSMCharacters.isEmpty { notes.append("UCS-2 because of \(r.nonGSMCharacters.joined(separator: " "))") }
            let segments = r.segments == r.segmentsWithoutFooter ? "\(r.segments)" : "\(r.segments) (\(r.segmentsWithoutFooter))"
            let credits = r.credits == r.creditsWithoutFooter ? "\(r.credits)" : "\(r.credits) (\(r.creditsWithoutFooter))"
            out += pad(r.line.map(String.init) ?? "-", 5) + pad(r.number ?? r.raw, 17) + pad(r.numberType ?? "-", max(6, typeWidth)) + pad(r.verdict, 11) + pad(r.encoding, 6)
                + pad(segments, 9) + pad(credits, 9) + notes.joined(separator: "; ") + "\n"
        }
        let s = preview.summary
        func quoted(_ text: String) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false).map { "  │ " + $0 }.joined(separator: "\n") + "\n"
        }
        func replacements(_ list: [Replacement]) -> String {
            list.map { "\(visible($0.original))→\(visible($0.replacement))" + ($0.count > 1 ? " ×\($0.count)" : "") }.joined(separator: ", ")
        }
        if let first = preview.recipients.first(where: { $0.verdict == "send" || $0.verdict == "hold" }) {
            out += "\nfirst message as sent (smart encoding: \(s.smartEncoding.rawValue), \(first.encoding), \(first.segments) SMS):\n" + quoted(first.sentText)
            if first.replacements.isEmpty {
                out += "  replacements: none\n"
            } else {
                out += "  replacements: \(replacements(first.replacements))\n"
            }
            if let other = first.alternative {
                out += "with smart_encoding: \(other.mode.rawValue) (\(other.encoding), \(other.segments) SMS):\n" + quoted(other.sentText)
                out += "  replacements: \(other.replacements.isEmpty ? "none" : replacements(other.replacements))\n"
            }
        }
        out += "\n\(s.recipients) recipient\(s.recipients == 1 ? "" : "s"): \(s.willSend) to send now, \(s.held) held by quiet hours, \(s.optedOut) suppressed (opted out), \(s.invalid) invalid number\(s.invalid == 1 ? "" : "s")"
        if s.rejected > 0 { out += ", \(s.rejected) rejected" }
        if s.duplicates > 0 { out += ", \(s.duplicates) duplicate\(s.duplicates == 1 ? "" : "s")" }
        out += "\nsegments: \(s.segments) with footer, \(s.segmentsWithoutFooter) without"
        out += "\ncredits:  \(s.credits) with footer, \(s.creditsWithoutFooter) without\n"
        if s.alternativeCredits != s.credits {
            out += "smart encoding: \(s.smartEncoding.rawValue) \(s.credits) credits (\(s.segments) SMS); \(s.alternativeMode.rawValue) would cost \(s.alternativeCredits) (\(s.alternativeSegments) SMS) — set compliance.smart_encoding to choose\n"
        }
        if let eta = s.eta {
            out += "ETA: " + PreviewPrinter.describe(eta, sims: s.etaSIMs, timeZone: s.etaTimeZone) + "\n"
        }
        if s.ucs2Messages > 0 {
            out += "UCS-2 (70 characters per SMS instead of 160): \(s.ucs2Messages) message\(s.ucs2Messages == 1 ? "" : "s"), because of \(s.nonGSMCharacters.joined(separator: " "))\n"
        }
        if s.footerForcedUCS2 > 0 { out += "the footer forced UCS-2 on \(s.footerForcedUCS2) message(s)\n" }
        if preview.stopNumberIsPlaceholder {
            out += "(footer shown with a stand-in number: each SIM's own number is used when sending; set sender.stop_number to see it)\n"
        }
        return out
    }

    /// "finishes Thu 3 Dec 14:00 Europe/Paris (1 SIM; …)".
    static func describe(_ eta: SendingETA.Estimate, sims: Int, timeZone: String) -> String {
        switch eta {
        case .never(let reason):
            return "never: \(reason)"
        case .finishes(let date):
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "EEE d MMM HH:mm"
            formatter.timeZone = TimeZone(identifier: timeZone) ?? .current
            let on = sims == 0 ? "1 SIM assumed: none configured, modems are discovered" : "\(sims) SIM\(sims == 1 ? "" : "s")"
            return "finishes \(formatter.string(from: date)) \(timeZone) (\(on); throttles, daily caps and quiet hours counted)"
        }
    }

    /// Invisible replacements made visible: a no-break space is shown as ⍽, an empty string as ∅.
    static func visible(_ text: String) -> String {
        if text.isEmpty { return "∅" }
        return String(text.map { $0.isWhitespace ? (($0 == " ") ? "␠" : "⍽") : $0 })
    }

    static func etaJSON(_ eta: SendingETA.Estimate?) -> Any {
        switch eta {
        case .finishes(let date)?: ISO8601DateFormatter().string(from: date)
        case .never(let reason)?: "never: \(reason)"
        case nil: NSNull()
        }
    }

    static func json(_ preview: MessagePreview) -> String {
        let s = preview.summary
        let recipients: [[String: Any]] = preview.recipients.map { r in
            var entry: [String: Any] = ["raw": r.raw, "verdict": r.verdict, "encoding": r.encoding, "segments": r.segments,
                                        "segments_without_footer": r.segmentsWithoutFooter, "credits": r.credits,
                                        "credits_without_footer": r.creditsWithoutFooter, "non_gsm": r.nonGSMCharacters,
                                        "footer_added": r.footerAdded, "text": r.text, "sent_text": r.sentText,
                                        "replacements": r.replacements.map { ["original": $0.original, "replacement": $0.replacement, "count": $0.count] }]
            if let type = r.numberType { entry["number_type"] = type }
            if let other = r.alternative {
                entry["alternative"] = ["smart_encoding": other.mode.rawValue, "sent_text": other.sentText, "encoding": other.encoding,
                                        "segments": other.segments, "credits": other.credits,
                                        "replacements": other.replacements.map { ["original": $0.original, "replacement": $0.replacement, "count": $0.count] }] as [String: Any]
            }
            if let line = r.line { entry["line"] = line }
            if let number = r.number { entry["number"] = number }
            if let locale = r.locale { entry["locale"] = locale }
            if let reason = r.reason { entry["reason"] = reason }
            return entry
        }
        let object: [String: Any] = [
            "summary": ["recipients": s.recipients, "send": s.willSend, "held": s.held, "opted_out": s.optedOut, "invalid": s.invalid,
                        "rejected": s.rejected, "duplicates": s.duplicates, "segments": s.segments, "segments_without_footer": s.segmentsWithoutFooter,
                        "credits": s.credits, "credits_without_footer": s.creditsWithoutFooter, "ucs2_messages": s.ucs2Messages,
                        "non_gsm": s.nonGSMCharacters, "smart_encoding": s.smartEncoding.rawValue,
                        "alternative_smart_encoding": s.alternativeMode.rawValue, "alternative_credits": s.alternativeCredits,
                        "alternative_segments": s.alternativeSegments, "eta": etaJSON(s.eta)],
            "stop_number": preview.stopNumber,
            "recipients": recipients,
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
