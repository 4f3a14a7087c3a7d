import Foundation

/// A Nova key pair as a user has it: made through the openstack client, its
/// private key saved with 0600, port 22 open in the default group, and ssh
/// with it as root.
struct KeypairAccess {
    let file: URL
    let publicKey: String

    init(_ openstack: OpenStackClient, name: String = "mykey", in directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        file = directory.appendingPathComponent("\(name).pem")
        try openstack.succeed("keypair", "create", name).write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        publicKey = try openstack.succeed("keypair", "show", "--public-key", name).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try openstack.succeed("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", "default")
    }

    /// Runs `command` as root on `host` (exit status 255: ssh itself failed).
    func ssh(_ command: String, host: String, port: Int = 22) throws -> CommandResult {
        try run(URL(fileURLWithPath: "/usr/bin/ssh"), [
            "-i", file.path, "-p", "\(port)", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR", "root@\(host)", command,
        ])
    }

    /// As `ssh`, retried while the guest's SSH server is not up yet.
    func sshWhenUp(_ command: String, host: String, attempts: Int = 45) async throws -> CommandResult {
        var result = try ssh(command, host: host)
        for _ in 0..<attempts where result.status == 255 {
            try await Task.sleep(for: .seconds(2))
            result = try ssh(command, host: host)
        }
        return result
    }
}
