import Agent
import AgentPostgres
import ArgumentParser
import Compliance
import PhoneNumbers

@main
struct SMSAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smsagent",
        abstract: "Send compliant SMS from your own SIM cards through USB GSM modems.",
        version: "smsagent \(AgentVersion.current)",
        subcommands: [
            PDUCommand.self,
            ModemCommand.self,
            DiscoverCommand.self,
            SimulateCommand.self,
            DemoCommand.self,
            RunCommand.self,
            SendCommand.self,
            CampaignCommand.self,
            PreviewCommand.self,
            StatusCommand.self,
            CheckConfigCommand.self,
            OptOutsCommand.self,
            InboxCommand.self,
            CreditsCommand.self,
            TokenCommand.self,
            ImportCommand.self,
            RecordsCommand.self,
        ]
    )

    /// Installs libphonenumber for every command (preview, dry run, send, the dispatcher), then runs
    /// the command as ArgumentParser's own `main` does.
    static func main() async {
        PhoneNumberLibraries.install(LibPhoneNumber())
        PostgresBackend.register()   // records.backend: postgres
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
