import Foundation
import Testing

/// Instance metadata through a config drive, read by the installed demo OS.
@Suite("Config drive with the real openstack client", .serialized)
struct ConfigDriveWorkflowTests {
    @Test("install the demo OS through the serial console; after the reboot it reads the config drive: hostname, key and user data")
    func installedSystemReadsTheConfigDrive() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        let work = nimbus.dataDirectory.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        _ = try openstack.succeed("keypair", "create", "mykey")
        let script = work.appendingPathComponent("user-data.sh")
        try "#!/bin/sh\necho \"authorized: $(cat /root/.ssh/authorized_keys)\" > /dev/console\necho \"user-data-ran on $(hostname)\" > /dev/console\n"
            .write(to: script, atomically: true, encoding: .utf8)
        let publicKey = try openstack.succeed("keypair", "show", "--public-key", "mykey")
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")[1]
        let iso = try await DemoISO.path().path
        _ = try openstack.succeed("image", "create", "--container-format", "bare", "--disk-format", "iso", "--file", iso, "fedora-iso")
        _ = try openstack.succeed(
            "server", "create", "--flavor", "m1.tiny", "--image", "fedora-iso", "--config-drive", "true", "--key-name", "mykey",
            "--user-data", script.path, "--wait", "web-server")
        let shown = try #require(try openstack.json("server", "show", "web-server") as? [String: Any])
        #expect(shown["config_drive"] as? String == "True" && shown["key_name"] as? String == "mykey", "\(shown)")
        try await openstack.waitForConsole("web-server", toShow: "Install to /dev/vda?")

        try await openstack.installDemoOS("web-server", hostname: "typed-at-install")

        // The installed system, booted from the disk, finds the config drive.
        let log = try await openstack.waitForConsole("web-server", toShow: "user-data-ran on web-server", within: .seconds(540))
        #expect(log.contains("metadata applied from the config drive"), "\(log.suffix(2000))")
        #expect(log.contains("user-data-ran on web-server"), "the user data ran after the hostname came from meta_data.json: \(log.suffix(2000))")
        #expect(log.contains(String(publicKey)), "root's authorized_keys holds the key pair's public key \(publicKey): \(log.suffix(300))")
        _ = try openstack.succeed("server", "delete", "--wait", "web-server")
    }
}
