import Agent
import ArgumentParser
import Foundation
import HTTPAPI

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Tokens for the HTTP API and the dashboard: create, list, revoke.",
        discussion: """
            A token is printed once, when it is created; the data directory keeps only its SHA-256 \
            (tokens.json, 0600) with its name, rights and creation time. A read-only token can read \
            every endpoint and change nothing (403).
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token and print it (once).")
        @OptionGroup var options: InboundDataOptions
        @Argument(help: "A name for the token: who or what uses it (shop-site, alice).") var name: String
        @Flag(help: "Reading only: any write answers 403.") var readOnly = false
        @Flag(help: "Print the dashboard's login address (http://…/login?token=…) instead of the bare token.") var loginURL = false

        func run() async throws {
            let (configuration, data) = try options.open()
            let token: String
            do {
                token = try TokenStore(dataDirectory: data.path).create(name: name, readOnly: readOnly)
            } catch {
                throw CLIError("\(error)")
            }
            if loginURL {
                guard let listen = configuration.http.listen else {
                    throw CLIError("the token is created, but http.listen is null: the server is off, there is no login address")
                }
                print(HTTPAPIServer.loginURL(listen: listen, token: token, tls: configuration.http.tlsCertificate != nil))
            } else {
                print(token)
            }
            FileHandle.standardError.write(Data("token '\(name)' created\(readOnly ? " (read-only)" : ""); it is shown only now\n".utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The tokens (names, rights, creation time; never the secrets).")
        @OptionGroup var options: InboundDataOptions

        func run() async throws {
            let (_, data) = try options.open()
            let entries: [TokenStore.Entry]
            do { entries = try TokenStore(dataDirectory: data.path).list() } catch { throw CLIError("\(error)") }
            if entries.isEmpty { print("no token: smsagent token create NAME"); return }
            print(InboundFormat.table(["NAME", "RIGHTS", "CREATED"], entries.map {
                [$0.name, $0.readOnly ? "read-only" : "read-write", InboundFormat.time($0.createdAt)]
            }))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token: the next request with it gets 401.")
        @OptionGroup var options: InboundDataOptions
        @Argument(help: "The token's name.") var name: String

        func run() async throws {
            let (_, data) = try options.open()
            do { try TokenStore(dataDirectory: data.path).revoke(name: name) } catch { throw CLIError("\(error)") }
            print("token '\(name)' revoked")
        }
    }
}
