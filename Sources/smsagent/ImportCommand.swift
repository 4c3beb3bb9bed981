import Agent
import ArgumentParser
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Print the smsagent.yaml equivalent to another SMS daemon's configuration.",
        subcommands: [Smstools.self])

    struct Smstools: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "smstools",
            abstract: "Print the smsagent.yaml equivalent to an smstools3 smsd.conf (devices, PIN, SMSC, speed, reports).",
            discussion: """
                The YAML goes to stdout, with a note (as a comment, and on stderr) for every setting that has \
                no equivalent or works differently. Save it, set sender.brand, then check it:
                  smsagent import smstools /etc/smsd.conf > smsagent.yaml && smsagent check-config smsagent.yaml
                Files in smstools' outgoing format dropped into outbox/new/ are sent as they are.
                """)

        @Argument(help: ArgumentHelp("smstools' configuration.", valueName: "smsd.conf"))
        var file: String = "/etc/smsd.conf"

        func run() throws {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw CLIError("cannot read \(file): \(error.localizedDescription)")
            }
            do {
                let imported = try SmstoolsConfigImport.convert(text, file: file)
                print(imported.yaml, terminator: "")
                for note in imported.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
            } catch {
                throw CLIError("\(error)")
            }
        }
    }
}
