import Foundation
import Testing

/// Step 5 of the workflow: the ISO ejected through `nimbus server eject`,
/// the reboot into the installed disk, and a drive that takes other discs
/// live and while stopped, across a SIGKILL of Nimbus.
@Suite("CD drives with nimbus and the real openstack client", .serialized)
struct MediaWorkflowTests {
    /// A fresh Nimbus, a key pair, and the demo ISO as `demo-iso`, with `properties` ("key=value") besides.
    static func cloudWithDemoISO(properties: [String] = []) async throws -> (NimbusProcess, OpenStackClient, KeypairAccess) {
        let iso = try await DemoISO.path().path
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        let key = try KeypairAccess(openstack, in: nimbus.dataDirectory.appendingPathComponent("work"))
        // The installer ignores ACPI power-off; a short os_shutdown_timeout keeps a soft reboot quick.
        try openstack.succeed(
            ["image", "create", "--container-format", "bare", "--disk-format", "iso", "--property", "os_shutdown_timeout=3"]
                + properties.flatMap { ["--property", $0] } + ["--file", iso, "demo-iso"])
        return (nimbus, openstack, key)
    }

    @Test("""
        install, `nimbus server eject` at the installer's last screen, `openstack server reboot` into the installed \
        system, ssh in; the guest has no disc; insert the ISO live and the guest mounts it, eject and it is gone; \
        stopped, insert, start: the disc is there; after a SIGKILL of nimbus the drive is still empty and the guest ran on; \
        the installed disk as an image boots a second server with the ISO as a CD drive from --block-device
        """)
    func ejectInsertAndRestart() async throws {
        let (nimbus, openstack, key) = try await Self.cloudWithDemoISO()
        _ = try openstack.succeed("server", "create", "--flavor", "m1.tiny", "--image", "demo-iso", "--wait", "my-instance")
        try await openstack.waitForConsole("my-instance", toShow: "Install to /dev/vda?")

        func nimbusCLI(_ arguments: String...) throws -> CommandResult {
            try run(Repository.nimbusBinary, arguments, environment: openstack.credentials)
        }
        let before = try nimbusCLI("server", "media", "my-instance")
        #expect(before.succeeded && before.stdout.contains("cd0") && before.stdout.contains("demo-iso"), "\(before.stdout)\(before.stderr)")

        try await openstack.installDemoOS("my-instance", hostname: "installed-here", key: key.publicKey, ejectFromGuest: false, reboot: false)
        let ejected = try nimbusCLI("server", "eject", "my-instance")
        #expect(ejected.succeeded && ejected.stdout.contains("(empty)"), "\(ejected.stdout)\(ejected.stderr)")
        _ = try openstack.succeed("server", "reboot", "my-instance")
        try await openstack.waitForServer("my-instance", status: "ACTIVE")
        let booted = try await openstack.waitForConsole("my-instance", toShow: "is up: hostname installed-here", within: .seconds(540))
        #expect(booted.contains("is up: hostname installed-here"), "\(booted.suffix(1500))")

        let address = try openstack.succeed("floating", "ip", "create", "public", "-f", "value", "-c", "floating_ip_address")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try openstack.succeed("server", "add", "floating", "ip", "my-instance", address)
        func ssh(_ command: String) throws -> CommandResult { try key.ssh(command, host: address) }
        func sshWhenUp(_ command: String) async throws -> CommandResult { try await key.sshWhenUp(command, host: address) }
        let hostname = try await sshWhenUp("hostname")
        #expect(hostname.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "installed-here", "ssh: \(hostname.stderr)")
        // The guest reads no disc from its drive.
        let readDisc = "dd if=/dev/sr0 of=/dev/null bs=2048 count=1 2>&1 && echo READ-OK"
        let noDisc = try ssh(readDisc)
        #expect(!noDisc.stdout.contains("READ-OK"), "the guest still reads a disc after the eject: \(noDisc.stdout)")

        // Another disc, live: the guest mounts it and reads the manifest.
        let inserted = try nimbusCLI("server", "insert", "my-instance", "demo-iso")
        #expect(inserted.succeeded && inserted.stdout.contains("demo-iso"), "\(inserted.stdout)\(inserted.stderr)")
        var mounted = try ssh("mount -o ro /dev/sr0 /mnt && cat /mnt/nimbus/manifest; umount /mnt")
        for _ in 0..<10 where !mounted.stdout.contains("linux-image") {
            try await Task.sleep(for: .seconds(1))
            mounted = try ssh("mount -o ro /dev/sr0 /mnt && cat /mnt/nimbus/manifest; umount /mnt")
        }
        #expect(mounted.stdout.contains("linux-image"), "the guest reads the inserted disc: \(mounted.stdout)\(mounted.stderr)")
        #expect(try nimbusCLI("server", "eject", "my-instance").succeeded)
        #expect(!(try ssh(readDisc)).stdout.contains("READ-OK"), "the disc is gone after the second eject")

        // Stopped: the insert waits for the next start.
        _ = try openstack.succeed("server", "stop", "my-instance")
        try await openstack.waitForServer("my-instance", status: "SHUTOFF")
        #expect(try nimbusCLI("server", "insert", "my-instance", "demo-iso").succeeded)
        _ = try openstack.succeed("server", "start", "my-instance")
        try await openstack.waitForServer("my-instance", status: "ACTIVE")
        let afterStart = try await sshWhenUp("mount -o ro /dev/sr0 /mnt && ls /mnt/nimbus; umount /mnt")
        #expect(afterStart.stdout.contains("manifest"), "the disc inserted while stopped is there after start: \(afterStart.stdout)\(afterStart.stderr)")

        // An eject outlives a SIGKILL of nimbus; the guest runs on.
        #expect(try nimbusCLI("server", "eject", "my-instance").succeeded)
        kill(nimbus.process.processIdentifier, SIGKILL)
        nimbus.process.waitUntilExit()
        let restarted = try await NimbusProcess(reusing: nimbus.dataDirectory)
        let again = OpenStackClient(admin: restarted)
        let media = try run(Repository.nimbusBinary, ["server", "media", "my-instance"], environment: again.credentials)
        #expect(media.succeeded && media.stdout.contains("(empty)"), "\(media.stdout)\(media.stderr)")
        #expect(try again.succeed("server", "show", "my-instance", "-c", "status", "-f", "value").contains("ACTIVE"))
        #expect(try ssh("hostname").succeeded, "the guest kept running across the restart")

        // The installed disk as an image; a second server from it with the ISO as a
        // CD drive through the openstack client's --block-device; ssh into it.
        _ = try again.succeed("server", "image", "create", "--name", "golden", "--wait", "my-instance")
        let isoID = try again.succeed("image", "show", "demo-iso", "-f", "value", "-c", "id").trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try again.succeed(
            "server", "create", "--flavor", "m1.tiny", "--image", "golden", "--key-name", "mykey", "--block-device",
            "source_type=image,uuid=\(isoID),destination_type=local,device_type=cdrom,boot_index=1", "--wait", "second")
        let secondMedia = try run(Repository.nimbusBinary, ["server", "media", "second"], environment: again.credentials)
        #expect(secondMedia.stdout.contains("cd0") && secondMedia.stdout.contains("demo-iso"), "\(secondMedia.stdout)\(secondMedia.stderr)")
        let secondAddress = try again.succeed("floating", "ip", "create", "public", "-f", "value", "-c", "floating_ip_address")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try again.succeed("server", "add", "floating", "ip", "second", secondAddress)
        let findDisc = "for d in /dev/sr*; do mount -o ro $d /mnt 2>/dev/null && { ls /mnt/nimbus 2>/dev/null; umount /mnt; }; done; hostname"
        let discs = try await key.sshWhenUp(findDisc, host: secondAddress)
        #expect(discs.stdout.contains("manifest"), "the second server reads the ISO in its CD drive: \(discs.stdout)\(discs.stderr)")
        #expect(discs.stdout.contains("second"), "the snapshot boots as its own server: \(discs.stdout)")

        // Only ISO images go into a drive; a drive that does not exist is not found.
        let notFound = try run(Repository.nimbusBinary, ["server", "eject", "my-instance", "--drive", "cd9"], environment: again.credentials)
        #expect(!notFound.succeeded && notFound.stderr.contains("no CD drive cd9"), "\(notFound.stderr)")
        _ = try again.succeed("server", "delete", "--wait", "my-instance", "second")
        withExtendedLifetime(restarted) {}
    }

    @Test("""
        `nimbus server create --cdrom` gives two drives; `eject --at-reboot` of both during the install: the installer \
        still reads its disc, and the guest's own reboot takes them out and boots the installed system; `reboot --from \
        cdrom` shows the installer once, and the guest's own reboot after a reinstall lands on the disk with the disc still in
        """)
    func ejectAtRebootAndBootOnce() async throws {
        let (nimbus, openstack, key) = try await Self.cloudWithDemoISO()
        func nimbusCLI(_ arguments: String...) throws -> CommandResult {
            try run(Repository.nimbusBinary, arguments, environment: openstack.credentials)
        }
        let created = try nimbusCLI("server", "create", "my-instance", "--flavor", "m1.tiny", "--image", "demo-iso", "--cdrom", "demo-iso", "--wait")
        #expect(created.succeeded && created.stdout.contains("ACTIVE"), "\(created.stdout)\(created.stderr)")
        #expect(created.stdout.contains("cd0") && created.stdout.contains("cd1"), "two drives: \(created.stdout)")
        try await openstack.waitForConsole("my-instance", toShow: "Install to /dev/vda?")

        // Both discs wait for the reboot; the installer reads one of them for the whole install.
        for drive in ["cd0", "cd1"] {
            let pending = try nimbusCLI("server", "eject", "my-instance", "--drive", drive, "--at-reboot")
            #expect(pending.succeeded && pending.stdout.contains("ejected at the next reboot"), "\(pending.stdout)\(pending.stderr)")
        }
        try await openstack.installDemoOS("my-instance", hostname: "first-install", key: key.publicKey, ejectFromGuest: false, reboot: true)
        let booted = try await openstack.waitForConsole("my-instance", toShow: "is up: hostname first-install", within: .seconds(540))
        #expect(booted.contains("is up: hostname first-install"), "\(booted.suffix(1500))")
        let media = try nimbusCLI("server", "media", "my-instance")
        #expect(media.stdout.components(separatedBy: "(empty)").count == 3, "both drives are empty after the reboot: \(media.stdout)")
        #expect(!media.stdout.contains("next reboot"), "\(media.stdout)")

        let address = try openstack.succeed("floating", "ip", "create", "public", "-f", "value", "-c", "floating_ip_address")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try openstack.succeed("server", "add", "floating", "ip", "my-instance", address)
        let noDisc = try await key.sshWhenUp("for d in /dev/sr0 /dev/sr1; do dd if=$d of=/dev/null bs=2048 count=1 2>/dev/null && echo READ-OK; done; hostname", host: address)
        #expect(noDisc.stdout.contains("first-install") && !noDisc.stdout.contains("READ-OK"), "\(noDisc.stdout)\(noDisc.stderr)")

        // Once from CD: the installer again, on a server whose disk boots.
        #expect(try nimbusCLI("server", "insert", "my-instance", "demo-iso").succeeded)
        let reboot = try nimbusCLI("server", "reboot", "my-instance", "--from", "cdrom")
        #expect(reboot.succeeded, "\(reboot.stderr)")
        let installer = try await openstack.waitForConsole("my-instance", toShow: "Install to /dev/vda?", times: 2, within: .seconds(540))
        #expect(installer.components(separatedBy: "Install to /dev/vda?").count - 1 >= 2, "the installer asks again: \(installer.suffix(1500))")
        try await openstack.waitForServer("my-instance", status: "ACTIVE")
        // Reinstall; the installer's own reboot, with the disc still in, starts from the disk.
        try await openstack.installDemoOS("my-instance", hostname: "second-install", key: key.publicKey, ejectFromGuest: false, reboot: true)
        let reinstalled = try await openstack.waitForConsole("my-instance", toShow: "is up: hostname second-install", within: .seconds(540))
        #expect(reinstalled.contains("is up: hostname second-install"), "\(reinstalled.suffix(1500))")
        let after = try nimbusCLI("server", "media", "my-instance")
        #expect(after.stdout.contains("demo-iso"), "the disc stayed in its drive: \(after.stdout)")
        let hostname = try await key.sshWhenUp("hostname", host: address)
        #expect(hostname.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "second-install", "\(hostname.stdout)\(hostname.stderr)")

        let refused = try nimbusCLI("server", "reboot", "my-instance", "--from", "floppy")
        #expect(!refused.succeeded && refused.stderr.contains("cdrom"), "\(refused.stderr)")
        _ = try openstack.succeed("server", "delete", "--wait", "my-instance")
        withExtendedLifetime(nimbus) {}
    }
}
