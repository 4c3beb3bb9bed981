import Agent
import AgentPostgres
import ArgumentParser
import Foundation
import Logging
import RecordsPostgres

/// `smsagent records …`: the records database (`records.backend: postgres`, issue 15).
struct RecordsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "records",
        abstract: "Manage the shared records database (records.backend: postgres).",
        subcommands: [Migrate.self, Export.self, Import.self])

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or upgrade the database schema (the agent also does it at start).")
        @OptionGroup var options: AgentConfigOptions

        func run() throws {
            let configuration = try options.load()
            guard configuration.records.backend == .postgres else {
                throw CLIError("records.backend is files: there is no database to migrate (set records.backend: postgres and records.url)")
            }
            do {
                let pool = try PostgresPool(settings: try PostgresBackend.settings(configuration), logger: Logger(label: "smsagent.records"))
                defer { pool.close() }
                let before = try PostgresMigrations.currentVersion(pool)
                let applied = try PostgresMigrations.migrate(pool)
                if applied.isEmpty {
                    print("schema at version \(before): up to date (\(pool.settings.redactedURL))")
                } else {
                    print("schema migrated from version \(before) to \(applied.last ?? before): applied \(applied.map(String.init).joined(separator: ", ")) (\(pool.settings.redactedURL))")
                }
            } catch {
                throw CLIError("\(error)")
            }
        }
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case files
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the database's records into an empty data directory (files).",
            discussion: "Every message with its attempts and result, every opt-out event, every ledger row, the inbox and the parts awaiting reassembly. The directory must hold no records yet.")
        @OptionGroup var options: AgentConfigOptions
        @Option(name: .customLong("to"), help: "The format to write (files).") var format: Format
        @Argument(help: "The data directory to fill.") var directory: String

        func run() throws {
            let configuration = try options.load()
            let database = try RecordsCommand.openDatabase(configuration)
            defer { database.close() }
            do {
                let report = try RecordsTransfer.export(from: database, to: directory, keyFile: configuration.dataDirectory + "/optout.key",
                                                        hashed: configuration.inbound.hashOptOuts,
                                                        openingBalance: configuration.credits.openingBalance)
                print("exported to \(directory): \(report)")
            } catch {
                throw CLIError("\(error)")
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a data directory's records (files) into the empty database.",
            discussion: "Stop the agent that used the files first (the data directory's lock is taken). Messages left in outbox/sending/ are settled with sending.ambiguous_window first.")
        @OptionGroup var options: AgentConfigOptions
        @Option(name: .customLong("from"), help: "The format to read (files).") var format: Format
        @Argument(help: "The data directory to read.") var directory: String

        func run() throws {
            let configuration = try options.load()
            let database = try RecordsCommand.openDatabase(configuration, migrate: true)
            defer { database.close() }
            do {
                let report = try RecordsTransfer.importFiles(from: directory, into: database, policy: configuration.sending.ambiguousWindow,
                                                             hashed: configuration.inbound.hashOptOuts,
                                                             openingBalance: configuration.credits.openingBalance)
                print("imported from \(directory): \(report)")
            } catch {
                throw CLIError("\(error)")
            }
        }
    }

    static func openDatabase(_ configuration: AgentConfiguration, migrate: Bool = false) throws -> PostgresRecords {
        guard configuration.records.backend == .postgres else {
            throw CLIError("records.backend is files: set records.backend: postgres and records.url to use a database")
        }
        do {
            return try PostgresBackend.open(configuration, agent: false, migrate: migrate, logger: Logger(label: "smsagent.records"))
        } catch {
            throw CLIError("cannot open the records database: \(error)")
        }
    }
}
