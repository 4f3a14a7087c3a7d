import ArgumentParser
import Foundation
import OpenStackAPI

/// `nimbus server create|reboot`: the openstack client's commands, with
/// what it has no words for: more CD drives at create, a boot from CD.
extension ServerCommand {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a server from an image (an installer ISO, or a disk image), with more CD drives if wanted.")

        @Argument(help: "The new server's name.") var name: String
        @Option(name: .long, help: "The flavor's name or ID.") var flavor: String
        @Option(name: .long, help: "The image's name or ID: an ISO boots its installer onto a blank disk.") var image: String
        @Option(name: .long, help: "A network's name or ID (repeat for more NICs; default: the project's network).")
        var network: [String] = []
        @Option(name: .customLong("key-name"), help: "A key pair for root's SSH access.") var keyName: String?
        @Option(name: .long, help: "An ISO image for one more CD drive (repeat for more), such as a driver or kickstart disc.")
        var cdrom: [String] = []
        @Flag(name: .long, help: "Wait until the server is ACTIVE (or fails).") var wait = false

        func run() async throws {
            let client = try await ServerCommand.connect()
            let id: String
            do {
                var draft = Nova.ServerDraft(
                    name: name, imageRef: try await client.imageID(image), flavorRef: try await client.flavorID(flavor), keyName: keyName)
                if !network.isEmpty {
                    var nics: [Nova.ServerDraft.NIC] = []
                    for reference in network { nics.append(.init(network: try await client.networkID(reference))) }
                    draft.networks = .list(nics)
                }
                for disc in cdrom {
                    draft.blockDevices.append(.init(
                        sourceType: "image", destinationType: "local", deviceType: "cdrom", uuid: try await client.imageID(disc)))
                }
                id = try await client.createServer(Nova.CreateServer(server: draft))
            } catch { throw ValidationError("\(error)") }
            print("Server \(name) (\(id)) is being built.")
            guard wait else { return }
            let status = try await Self.settle(client, id)
            print("Server \(name) is \(status).")
            if !cdrom.isEmpty { print(try await Media.table(client, id)) }
        }

        /// Polls until the build is over: ACTIVE, or ERROR with Nova's fault.
        static func settle(_ client: ComputeClient, _ id: String) async throws -> String {
            for _ in 0..<600 {
                let server = (try await client.get("compute", "/servers/\(id)")["server"] as? [String: Any]) ?? [:]
                switch server["status"] as? String {
                case "ACTIVE"?: return "ACTIVE"
                case "ERROR"?:
                    let fault = (server["fault"] as? [String: Any])?["message"] as? String
                    throw ValidationError("The server failed to build: \(fault ?? "no reason given").")
                default: try await Task.sleep(for: .seconds(1))
                }
            }
            throw ValidationError("The server was not ACTIVE after 10 minutes.")
        }
    }

    struct Reboot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reboot a server; --from cdrom starts this one boot from its CD drives, to repair or reinstall.")

        enum BootDevice: String, ExpressibleByArgument, CaseIterable {
            case disk, cdrom
        }

        @Argument(help: "The server's name or ID.") var server: String
        @Flag(name: .long, help: "Stop the VM at once rather than asking the guest to shut down.") var hard = false
        @Option(name: .long, help: "Where this one boot starts: cdrom or disk (default: the usual order).") var from: BootDevice?

        func run() async throws {
            let (client, id) = try await ServerCommand.connect(server)
            let action: Nova.ServerAction = switch from {
            case nil: .reboot(hard: hard)
            case .cdrom?: .rebootFrom(.cdrom, hard: hard)
            case .disk?: .rebootFrom(.disk, hard: hard)
            }
            do { _ = try await client.action(id, action) } catch { throw ValidationError("\(error)") }
        }
    }
}
