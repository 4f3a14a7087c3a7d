import ArgumentParser
import Foundation
import OpenStackAPI

/// `nimbus server media|eject|insert`: a server's CD drives like a real
/// drive's, which the openstack client has no command for.
extension ServerCommand {
    struct Media: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the server's CD drives and what is in them.")

        @Argument(help: "The server's name or ID.") var server: String

        func run() async throws {
            let (client, id) = try await ServerCommand.connect(server)
            print(try await Self.table(client, id))
        }

        static func table(_ client: ComputeClient, _ id: String) async throws -> String {
            let list: Nova.MediaList
            do {
                list = try JSONDecoder().decode(Nova.MediaList.self, from: try await client.download(id, "nimbus-media"))
            } catch { throw ValidationError("\(error)") }
            guard !list.media.isEmpty else { return "The server has no CD drive." }
            let rows = [["DRIVE", "BUS", "TRAY", "MEDIUM"]] + list.media.map { drive in
                [drive.drive, drive.bus, (drive.trayOpen ? "open" : "closed") + (drive.locked ? ", locked" : ""),
                 (drive.image.map { "\($0.name ?? "-") (\($0.id))" } ?? "(empty)") + (drive.ejectAtReboot ? ", ejected at the next reboot" : "")]
            }
            let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
            return rows.map { row in
                row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces)
            }.joined(separator: "\n")
        }
    }

    struct Eject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take the disc out of a CD drive, at once while the server runs (then reboot into the installed disk).")

        @Argument(help: "The server's name or ID.") var server: String
        @Option(name: .long, help: "The drive (default: the installer's, cd0).") var drive: String?
        @Flag(name: .long, help: "Eject even when the guest locked the tray.") var force = false
        @Flag(name: .customLong("at-reboot"), help: "Leave the disc readable until the guest reboots, and take it out then.")
        var atReboot = false

        func run() async throws {
            let (client, id) = try await ServerCommand.connect(server)
            do { _ = try await client.action(id, .eject(drive: drive, force: force, atReboot: atReboot)) } catch { throw ValidationError("\(error)") }
            print(try await Media.table(client, id))
        }
    }

    struct Insert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put an ISO image into an empty CD drive.")

        @Argument(help: "The server's name or ID.") var server: String
        @Argument(help: "The ISO image's name or ID.") var image: String
        @Option(name: .long, help: "The drive (default: the installer's, cd0).") var drive: String?

        func run() async throws {
            let (client, id) = try await ServerCommand.connect(server)
            do { _ = try await client.action(id, .insert(image: image, drive: drive)) } catch { throw ValidationError("\(error)") }
            print(try await Media.table(client, id))
        }
    }
}
