import ArgumentParser

struct PDUCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pdu", abstract: "Encode, decode and plan SMS PDUs.")
}
