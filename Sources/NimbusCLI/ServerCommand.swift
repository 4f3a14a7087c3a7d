import ArgumentParser
import Foundation
import OpenStackAPI

/// `nimbus server ...`: what the openstack client has no command for.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Create and reboot servers; a server's screen, keyboard and CD drives.",
        subcommands: [Create.self, Reboot.self, Screenshot.self, SendKeys.self, Media.self, Eject.self, Insert.self])

    /// Signs in as the openstack client would and finds the server.
    static func connect(_ reference: String) async throws -> (ComputeClient, String) {
        do {
            let client = try await connect()
            return (client, try await client.serverID(reference))
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Signs in as the openstack client would.
    static func connect() async throws -> ComputeClient {
        do { return try await ComputeClient.signIn(try CloudCredentials.resolve()) } catch { throw ValidationError("\(error)") }
    }

    struct Screenshot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Save the server's screen as a PNG file.")

        @Argument(help: "The server's name or ID.") var server: String
        @Argument(help: "Where to write the PNG.") var output: String

        func run() async throws {
            let (client, id) = try await ServerCommand.connect(server)
            let png: Data
            do { png = try await client.download(id, "screenshot") } catch { throw ValidationError("\(error)") }
            try png.write(to: URL(fileURLWithPath: output))
        }
    }

    struct SendKeys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "send-keys",
            abstract: "Press keys (ctrl-alt-delete, ret, f2 ...) and type text on the server's keyboard.")

        @Argument(help: "The server's name or ID.") var server: String
        @Argument(help: "Keys to press in turn; keys held together are joined by '-' (ctrl-alt-delete).") var keys: [String] = []
        @Option(name: .long, help: "Text to type after the keys; \\n is Enter.") var text: String?

        func run() async throws {
            let (client, id) = try await ServerCommand.connect(server)
            let typed = text.map { $0.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\t", with: "\t") }
            do { try await client.post(id, "keys", Nova.SendKeys(keys: keys, text: typed)) } catch { throw ValidationError("\(error)") }
        }
    }
}
