import Foundation
import Testing

/// Step 3 of the workflow: a server boots the demo installer ISO onto a blank disk.
@Suite("Servers with the real openstack client", .serialized)
struct ServerWorkflowTests {
    @Test("server create from an ISO reaches ACTIVE, shows the installer in its console log, survives a SIGKILL of nimbus, and delete leaves nothing")
    func isoServerLifecycle() async throws {
        let iso = try await DemoISO.path().path
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        // The installer ignores ACPI power-off; a short os_shutdown_timeout keeps the soft reboot quick.
        _ = try openstack.succeed(
            "image", "create", "--container-format", "bare", "--disk-format", "iso", "--property", "os_shutdown_timeout=3",
            "--file", iso, "fedora-iso")

        let network = try openstack.succeed("network", "show", "private", "-c", "id", "-f", "value").trimmingCharacters(in: .whitespacesAndNewlines)
        let created = try #require(try openstack.json(
            "server", "create", "--flavor", "m1.small", "--image", "fedora-iso", "--nic", "net-id=\(network)", "--wait", "my-instance") as? [String: Any])
        #expect(created["status"] as? String == "ACTIVE", "\(created)\n\(nimbus.log().suffix(3000))")
        let id = try #require(created["id"] as? String)
        let addresses = "\(created["addresses"] ?? "")"
        #expect(addresses.contains("private") && addresses.contains("10.0.0."), "addresses: \(addresses)")
        let ports = try #require(try openstack.json("port", "list", "--server", id) as? [[String: Any]])
        #expect(ports.count == 1)

        let console = try await openstack.waitForConsole("my-instance", toShow: "Install to /dev/vda?", within: .seconds(360))
        #expect(console.contains("Install to /dev/vda?"), "console log:\n\(console.suffix(2000))")
        let qemuBefore = try qemuProcess(of: id).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!qemuBefore.isEmpty, "no QEMU process for the server")

        // Nimbus dies without warning; the guest must not notice.
        kill(nimbus.process.processIdentifier, SIGKILL)
        nimbus.process.waitUntilExit()
        let restarted = try await NimbusProcess(reusing: nimbus.dataDirectory)
        let again = OpenStackClient(admin: restarted)
        let shown = try #require(try again.json("server", "show", id) as? [String: Any])
        #expect(shown["status"] as? String == "ACTIVE")
        let qemuAfter = try qemuProcess(of: id).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(qemuAfter == qemuBefore, "the guest's QEMU changed across the restart")

        // Every action still works on the adopted guest.
        _ = try again.succeed("server", "reboot", "--wait", id)
        let rebooted = try qemuProcess(of: id)
        #expect(!rebooted.isEmpty && rebooted != qemuAfter, "a soft reboot the guest ignores ends in a new QEMU")
        #expect(try again.succeed("server", "show", id, "-c", "status", "-f", "value").contains("ACTIVE"))

        // A guest whose QEMU died while Nimbus was down is SHUTOFF, and starts again.
        kill(restarted.process.processIdentifier, SIGKILL)
        restarted.process.waitUntilExit()
        _ = try shell("kill -9 \(rebooted)")
        let third = try await NimbusProcess(reusing: nimbus.dataDirectory)
        let client = OpenStackClient(admin: third)
        #expect(try client.succeed("server", "show", id, "-c", "status", "-f", "value").contains("SHUTOFF"))
        _ = try client.succeed("server", "start", id)
        try await client.waitForServer(id, status: "ACTIVE")
        #expect(!(try qemuProcess(of: id)).isEmpty)

        _ = try client.succeed("server", "delete", "--wait", id)
        let portsAfter = try #require(try client.json("port", "list") as? [[String: Any]])
        let serverPort = try #require(ports.first?["ID"] as? String)
        #expect(!portsAfter.contains { $0["ID"] as? String == serverPort }, "the server's port outlived it")
        #expect(try qemuProcess(of: id).isEmpty, "QEMU still runs after delete")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: nimbus.dataDirectory.appendingPathComponent("instances").path)) ?? []
        #expect(leftovers.isEmpty, "instance files left behind: \(leftovers)")
        withExtendedLifetime(nimbus) {}
    }

    @Test("hard reboot starts a new QEMU on the same disk; stop makes it SHUTOFF with no QEMU; start brings it back")
    func powerActions() async throws {
        let iso = try await DemoISO.path().path
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        // The installer ignores ACPI power-off; a short os_shutdown_timeout keeps the test quick.
        _ = try openstack.succeed(
            "image", "create", "--container-format", "bare", "--disk-format", "iso", "--property", "os_shutdown_timeout=3",
            "--file", iso, "installer")
        let created = try #require(try openstack.json("server", "create", "--flavor", "m1.small", "--image", "installer", "--wait", "vm1") as? [String: Any])
        let id = try #require(created["id"] as? String)
        let first = try qemuProcess(of: id)

        _ = try openstack.succeed("server", "reboot", "--hard", "--wait", "vm1")
        let second = try qemuProcess(of: id)
        #expect(!second.isEmpty && second != first, "hard reboot should run a new QEMU")
        #expect(try openstack.succeed("server", "show", "vm1", "-c", "status", "-f", "value").contains("ACTIVE"))

        _ = try openstack.succeed("server", "pause", "vm1")
        #expect(try openstack.succeed("server", "show", "vm1", "-c", "status", "-f", "value").contains("PAUSED"))
        _ = try openstack.succeed("server", "unpause", "vm1")
        #expect(try openstack.succeed("server", "show", "vm1", "-c", "status", "-f", "value").contains("ACTIVE"))

        _ = try openstack.succeed("server", "stop", "vm1")
        try await openstack.waitForServer("vm1", status: "SHUTOFF")
        #expect(try qemuProcess(of: id).isEmpty, "a SHUTOFF server has no QEMU")
        let refused = try openstack("server", "stop", "vm1")
        #expect(!refused.succeeded && refused.stderr.contains("409"), "stopping a stopped server is Nova's 409: \(refused.stderr)")

        _ = try openstack.succeed("server", "start", "vm1")
        try await openstack.waitForServer("vm1", status: "ACTIVE")
        let started = try qemuProcess(of: id)
        #expect(!started.isEmpty)

        // Rebuild: a new blank disk under the same installer, on a new QEMU; the server keeps its id.
        let disk = nimbus.dataDirectory.appendingPathComponent("instances/\(id)/disk.qcow2").path
        let inode = { try FileManager.default.attributesOfItem(atPath: disk)[.systemFileNumber] as? Int }
        let oldInode = try inode()
        _ = try openstack.succeed("server", "rebuild", "--image", "installer", "--name", "vm1-rebuilt", "--wait", "vm1")
        #expect(try openstack.succeed("server", "show", id, "-c", "name", "-c", "status", "-f", "value").contains("ACTIVE"))
        let rebuilt = try qemuProcess(of: id)
        #expect(!rebuilt.isEmpty && rebuilt != started, "a rebuild runs a new QEMU")
        #expect(try inode() != oldInode, "a rebuild makes a new root disk")
        _ = try openstack.succeed("server", "delete", "--wait", id)
    }

    /// The pid of the QEMU running a server, found by the server's uuid on QEMU's command line.
    func qemuProcess(of id: String) throws -> String {
        try shell("pgrep -f '[-]uuid \(id)'").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("an ISO with a zero-disk flavor, an unknown image and an unknown flavor are refused with Nova's 400")
    func refusedCreates() async throws {
        let iso = try await DemoISO.path().path
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        _ = try openstack.succeed("image", "create", "--container-format", "bare", "--disk-format", "iso", "--file", iso, "installer")
        _ = try openstack.succeed("flavor", "create", "--ram", "512", "--disk", "0", "--vcpus", "1", "diskless")

        let zeroDisk = try openstack("server", "create", "--flavor", "diskless", "--image", "installer", "nope")
        #expect(!zeroDisk.succeeded)
        #expect(zeroDisk.stderr.contains("no root disk"), "\(zeroDisk.stderr)")
        #expect(zeroDisk.stderr.contains("400"), "\(zeroDisk.stderr)")

        let badFlavor = try openstack("server", "create", "--flavor", "no-such-flavor", "--image", "installer", "nope")
        #expect(!badFlavor.succeeded)
        let badImage = try openstack("server", "create", "--flavor", "m1.small", "--image", "no-such-image", "nope")
        #expect(!badImage.succeeded)
        let badNetwork = try openstack("server", "create", "--flavor", "m1.small", "--image", "installer", "--nic", "net-id=00000000-0000-4000-8000-000000000000", "nope")
        // The client looks the network up first (Nimbus's own 400 is covered in process).
        #expect(!badNetwork.succeeded && badNetwork.stderr.contains("No Network found"), "\(badNetwork.stderr)")
        let servers = try #require(try openstack.json("server", "list") as? [[String: Any]])
        #expect(servers.isEmpty, "a refused create left a server: \(servers)")
    }
}

@Suite("Rescue with the real openstack client", .serialized)
struct RescueWorkflowTests {
    @Test("rescue boots the rescue ISO first with the server's disk still attached; unrescue boots the server's own disks again")
    func rescueAndUnrescue() async throws {
        let iso = try await DemoISO.path().path
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        _ = try openstack.succeed(
            "image", "create", "--container-format", "bare", "--disk-format", "iso", "--property", "os_shutdown_timeout=3",
            "--file", iso, "fedora-iso")
        let created = try #require(try openstack.json("server", "create", "--flavor", "m1.tiny", "--image", "fedora-iso", "--wait", "vm") as? [String: Any])
        let id = try #require(created["id"] as? String)
        let disk = nimbus.dataDirectory.appendingPathComponent("instances/\(id)/disk.qcow2").path
        // The first boot reaches the installer before the rescue, so the rescue boot is the second prompt.
        try await openstack.waitForConsole("vm", toShow: "Install to /dev/vda?")

        _ = try openstack.succeed("server", "rescue", "--image", "fedora-iso", "vm")
        try await openstack.waitForServer("vm", status: "RESCUE")
        let rescued = try commandLine(of: id)
        #expect(rescued.contains("id=rescue0,bootindex=0"), "the rescue CD boots first: \(rescued)")
        #expect(rescued.contains(disk), "the server's disk stays attached while rescued")
        let console = try await openstack.waitForConsole("vm", toShow: "Install to /dev/vda?", times: 2)
        #expect(console.components(separatedBy: "Install to /dev/vda?").count >= 3, "the rescue ISO should boot: \(console.suffix(1500))\n\(nimbus.log().suffix(3000))")
        let reboot = try openstack("server", "reboot", "vm")
        #expect(!reboot.succeeded && reboot.stderr.contains("409"), "\(reboot.stderr)")

        _ = try openstack.succeed("server", "unrescue", "vm")
        try await openstack.waitForServer("vm", status: "ACTIVE")
        let restored = try commandLine(of: id)
        #expect(!restored.contains("rescue0") && restored.contains(disk), "\(restored)")
        _ = try openstack.succeed("server", "delete", "--wait", "vm")
        withExtendedLifetime(nimbus) {}
    }

    func commandLine(of id: String) throws -> String {
        try shell("pgrep -a -f '[-]uuid \(id)'").stdout
    }
}
