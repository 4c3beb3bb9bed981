import Agent
import ArgumentParser

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
            ImportCommand.self,
        ]
    )
}
