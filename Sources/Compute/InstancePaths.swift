import Foundation
import NimbusCore

/// Where one server's files live. Disks and logs are under the data
/// directory; sockets are under a short runtime directory, because a unix
/// socket path must fit in 107 bytes and data directories can be deep.
public struct InstancePaths: Sendable {
    public let directory: URL
    public let socketDirectory: URL

    public init(server: ServerID, dataDirectory: URL, runtimeDirectory: URL) {
        directory = dataDirectory.appendingPathComponent("instances").appendingPathComponent(server.rawValue)
        socketDirectory = runtimeDirectory.appendingPathComponent(server.rawValue)
    }

    public var disk: String { directory.appendingPathComponent("disk.qcow2").path }
    /// The overlay a disk image is rescued from (an ISO is attached as it is).
    public var rescueDisk: String { directory.appendingPathComponent("rescue.qcow2").path }
    public var configDrive: String { directory.appendingPathComponent("config.iso").path }
    public var consoleLog: String { directory.appendingPathComponent("console.log").path }
    public var qmpLog: String { directory.appendingPathComponent("qmp.log").path }
    public var pidFile: String { directory.appendingPathComponent("qemu.pid").path }
    public var uefiVariables: String { directory.appendingPathComponent("OVMF_VARS.fd").path }
    /// The virtual TPM's state, owner-only; swtpm's pid file and log.
    public var tpmState: String { directory.appendingPathComponent("tpm").path }
    public var tpmPidFile: String { directory.appendingPathComponent("swtpm.pid").path }
    public var tpmLog: String { directory.appendingPathComponent("swtpm.log").path }
    public var tpmSocket: String { socketDirectory.appendingPathComponent("swtpm.sock").path }
    public var qmpSocket: String { socketDirectory.appendingPathComponent("qmp.sock").path }
    public var serialSocket: String { socketDirectory.appendingPathComponent("serial.sock").path }
    public var vncSocket: String { socketDirectory.appendingPathComponent("vnc.sock").path }
    public var fileHandoffSocket: String { socketDirectory.appendingPathComponent("handoff.sock").path }

    func create() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // The runtime directory's name can be guessed: it must be ours alone
        // before anything of a server goes in it.
        try PrivateDirectory.ensure(socketDirectory.deletingLastPathComponent())
        try PrivateDirectory.ensure(socketDirectory)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
        try? FileManager.default.removeItem(at: socketDirectory)
    }

    /// A runtime directory derived from the data directory, so a restarted
    /// Nimbus finds the sockets of the VMs it left running. Short enough for
    /// socket paths; checked to be ours alone (`PrivateDirectory`) before use.
    public static func runtimeDirectory(for dataDirectory: URL) -> URL {
        let hash = StableHash.fnv1a(dataDirectory.standardizedFileURL.path)
        return URL(fileURLWithPath: "/tmp").appendingPathComponent("nimbus-\(getuid())-\(String(hash, radix: 16))")
    }
}
