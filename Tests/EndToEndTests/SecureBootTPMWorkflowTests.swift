import Foundation
import Testing

/// Nova's Secure Boot and vTPM image properties on real QEMU, OVMF and
/// swtpm: the firmware enforces Secure Boot, and what a guest keeps in its
/// TPM stays through reboots, a stop and start, and a SIGKILL of Nimbus.
@Suite("Secure Boot and a virtual TPM with the real openstack client", .serialized)
struct SecureBootTPMWorkflowTests {
    /// An ISO whose only boot loader is GRUB as grub-mkimage makes it: a
    /// valid EFI program that nobody signed.
    static func unsignedISO(in directory: URL) throws -> String {
        try requireTools(["grub-mkimage", "mkfs.vfat", "mmd", "mcopy", "xorriso"])
        let tree = directory.appendingPathComponent("unsigned")
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("boot"), withIntermediateDirectories: true)
        let loader = directory.appendingPathComponent("BOOTX64.EFI").path
        let efiboot = tree.appendingPathComponent("boot/efiboot.img").path
        let iso = directory.appendingPathComponent("unsigned.iso").path
        for (tool, arguments) in [
            ("grub-mkimage", ["-O", "x86_64-efi", "-o", loader, "-p", "/boot/grub", "normal", "echo"]),
            ("mkfs.vfat", ["-C", efiboot, "4096"]),
            ("mmd", ["-i", efiboot, "::/EFI", "::/EFI/BOOT"]),
            ("mcopy", ["-i", efiboot, loader, "::/EFI/BOOT/BOOTX64.EFI"]),
            ("xorriso", ["-as", "mkisofs", "-quiet", "-o", iso, "-e", "boot/efiboot.img", "-no-emul-boot", tree.path]),
        ] {
            let result = try program(tool, arguments)
            try #require(result.succeeded, "\(tool): \(result.stderr)")
        }
        return iso
    }

    @Test("""
        under os_secure_boot=required the firmware refuses an unsigned boot loader, and says so on the console; \
        the demo ISO is recognised at upload
        """)
    func unsignedBootLoaderRefused() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        let iso = try await DemoISO.path().path
        _ = try openstack.succeed("image", "create", "--container-format", "bare", "--disk-format", "iso", "--file", iso, "demo-iso")
        // The disc said what it is: `openstack image show` lists it.
        let shown = try openstack.succeed("image", "show", "demo-iso", "-f", "value", "-c", "properties")
        #expect(shown.contains("'os_distro': 'nimbus-demo'") && shown.contains("'os_version': '1.0'"), "\(shown)")
        #expect(shown.contains("nimbus_os_detected"), "\(shown)")

        let unsigned = try Self.unsignedISO(in: nimbus.dataDirectory.appendingPathComponent("work"))
        _ = try openstack.succeed(
            "image", "create", "--container-format", "bare", "--disk-format", "iso", "--property", "os_secure_boot=required",
            "--file", unsigned, "unsigned-iso")
        _ = try openstack.succeed("server", "create", "--flavor", "m1.tiny", "--image", "unsigned-iso", "--wait", "sb")
        let console = try await openstack.waitForConsole("sb", toShow: "Access Denied", within: .seconds(360))
        #expect(console.contains("Access Denied"), "OVMF refuses the unsigned GRUB: \(console.suffix(1500))")
        // Bad combinations are refused at create, in words.
        _ = try openstack.succeed(
            "image", "create", "--container-format", "bare", "--disk-format", "iso", "--property", "os_secure_boot=required",
            "--property", "hw_firmware_type=bios", "--file", unsigned, "bios-iso")
        let refused = try openstack("server", "create", "--flavor", "m1.tiny", "--image", "bios-iso", "bad")
        #expect(!refused.succeeded && refused.stderr.contains("needs UEFI firmware") && refused.stderr.contains("400"), "\(refused.stderr)")
        _ = try openstack.succeed("server", "delete", "--wait", "sb")
        withExtendedLifetime(nimbus) {}
    }

    // Raw TPM 2.0 commands (the guest has no tpm2-tools), owner-authorized
    // with an empty password session: define an 8-byte NV index
    // 0x01500016, write "NIMBUS!!" to it, read it back.
    static let defineSpace = "80 02 00 00 00 2D 00 00 01 2A 40 00 00 01 00 00 00 09 40 00 00 09 00 00 00 00 00 00 00 00 0E 01 50 00 16 00 0B 00 02 00 02 00 00 00 08"
    static let write = "80 02 00 00 00 2B 00 00 01 37 40 00 00 01 01 50 00 16 00 00 00 09 40 00 00 09 00 00 00 00 00 00 08 4E 49 4D 42 55 53 21 21 00 00"
    static let read = "80 02 00 00 00 23 00 00 01 4E 40 00 00 01 01 50 00 16 00 00 00 09 40 00 00 09 00 00 00 00 00 00 08 00 00"
    static let stored = "4e 49 4d 42 55 53 21 21"

    /// A shell line for the guest: one command to /dev/tpm0, its response in hex.
    static func tpmCommand(_ hex: String) -> String {
        let bytes = hex.split(separator: " ").map { "\\x\($0)" }.joined()
        return "exec 3<>/dev/tpm0; printf '\(bytes)' >&3; dd bs=4096 count=1 <&3 2>/dev/null | od -An -v -tx1 | tr -s ' \\n' ' '; exec 3>&-"
    }

    @Test("""
        os_secure_boot=required with hw_tpm_version=2.0 on CRB: the demo installer and the installed system boot with \
        Secure Boot on (SecureBoot = 1 in efivars) and see a TPM 2.0; its port 3389 is reached through \
        the floating IP with a 3389 rule and not without; an NV index written in the guest \
        reads back after a reboot, a stop and start, a snapshot, and a SIGKILL of nimbus with a hard reboot after it; the TPM's \
        state is owner-only; deleting the server ends its swtpm and removes the state
        """)
    func tpmKeepsWhatTheGuestStores() async throws {
        let (nimbus, openstack, key) = try await MediaWorkflowTests.cloudWithDemoISO(
            properties: ["os_secure_boot=required", "hw_tpm_version=2.0", "hw_tpm_model=tpm-crb"])
        _ = try openstack.succeed("server", "create", "--flavor", "m1.tiny", "--image", "demo-iso", "--wait", "tpm")
        try await openstack.waitForConsole("tpm", toShow: "Install to /dev/vda?", within: .seconds(360))
        try await openstack.installDemoOS("tpm", hostname: "tpm-guest", key: key.publicKey)
        _ = try await openstack.waitForConsole("tpm", toShow: "is up: hostname tpm-guest", within: .seconds(540))
        let address = try openstack.succeed("floating", "ip", "create", "public", "-f", "value", "-c", "floating_ip_address")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try openstack.succeed("server", "add", "floating", "ip", "tpm", address)

        // The installed system booted through shim, signed GRUB and a signed kernel with Secure Boot enforced.
        let secureBoot = try await key.sshWhenUp(
            "modprobe efivarfs; mount -t efivarfs efivarfs /sys/firmware/efi/efivars; od -An -tu1 /sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
            host: address)
        #expect(secureBoot.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } == "1",
                "SecureBoot efivar: \(secureBoot.stdout)\(secureBoot.stderr)")
        let device = try key.ssh("ls /dev/tpm0 && cat /sys/class/tpm/tpm0/tpm_version_major", host: address)
        #expect(device.stdout.split(separator: "\n").map(String.init) == ["/dev/tpm0", "2"], "\(device.stdout)\(device.stderr)")
        let defined = try key.ssh(Self.tpmCommand(Self.defineSpace), host: address)
        #expect(defined.stdout.hasPrefix(" 80 02 00 00 00 13 00 00 00 00"), "NV_DefineSpace: \(defined.stdout)\(defined.stderr)")
        let written = try key.ssh(Self.tpmCommand(Self.write), host: address)
        #expect(written.stdout.hasPrefix(" 80 02 00 00 00 13 00 00 00 00"), "NV_Write: \(written.stdout)\(written.stderr)")

        // RDP's port, as SSH's: reached through the floating IP once a rule allows it, not before.
        let listening = try key.ssh(
            "printf '#!/bin/sh\\necho rdp-here\\n' >/tmp/rdp && chmod +x /tmp/rdp && (nc -ll -p 3389 -e /tmp/rdp </dev/null >/dev/null 2>&1 &)",
            host: address)
        #expect(listening.succeeded, "\(listening.stderr)")
        let connect = "timeout 10 bash -c 'exec 3<>/dev/tcp/\(address)/3389 && head -c 8 <&3'"
        let closed = try shell(connect)
        #expect(!closed.stdout.contains("rdp-here"), "3389 answers without a rule: \(closed.stdout)")
        _ = try openstack.succeed("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "3389", "default")
        var opened = try shell(connect)
        for _ in 0..<5 where !opened.stdout.contains("rdp-here") {
            try await Task.sleep(for: .seconds(1))
            opened = try shell(connect)
        }
        #expect(opened.stdout.contains("rdp-here"), "3389 through the floating IP with the rule: \(opened.stdout)\(opened.stderr)")

        func readsBack(_ after: String) async throws {
            let read = try await key.sshWhenUp(Self.tpmCommand(Self.read), host: address)
            #expect(read.stdout.contains(Self.stored), "after \(after), NV_Read: \(read.stdout)\(read.stderr)")
        }
        try await readsBack("the write")

        _ = try openstack.succeed("server", "reboot", "--wait", "tpm")
        try await readsBack("a reboot")
        _ = try openstack.succeed("server", "stop", "tpm")
        try await openstack.waitForServer("tpm", status: "SHUTOFF")
        _ = try openstack.succeed("server", "start", "tpm")
        try await openstack.waitForServer("tpm", status: "ACTIVE")
        try await readsBack("a stop and start")
        _ = try openstack.succeed("server", "image", "create", "--name", "tpm-snapshot", "--wait", "tpm")
        try await readsBack("a snapshot of the server")

        kill(nimbus.process.processIdentifier, SIGKILL)
        nimbus.process.waitUntilExit()
        let restarted = try await NimbusProcess(reusing: nimbus.dataDirectory)
        let again = OpenStackClient(admin: restarted)
        try await readsBack("a SIGKILL of nimbus")
        _ = try again.succeed("server", "reboot", "--hard", "--wait", "tpm")
        try await readsBack("a hard reboot by the restarted nimbus")

        let id = try again.succeed("server", "show", "tpm", "-f", "value", "-c", "id").trimmingCharacters(in: .whitespacesAndNewlines)
        let state = restarted.dataDirectory.appendingPathComponent("instances/\(id)/tpm")
        let mode = try FileManager.default.attributesOfItem(atPath: state.path)[.posixPermissions] as? Int
        #expect(mode == 0o700, "the TPM state directory is owner-only: \(String(mode ?? 0, radix: 8))")
        #expect(try swtpmProcesses(of: id) == 1, "one swtpm serves the server")

        _ = try again.succeed("server", "delete", "--wait", "tpm")
        #expect(try swtpmProcesses(of: id) == 0, "the server's swtpm ended with it")
        #expect(!FileManager.default.fileExists(atPath: state.path), "the TPM's state went with the server")
        withExtendedLifetime(restarted) {}
    }

    /// How many swtpm processes run for server `id` (their socket path names it).
    func swtpmProcesses(of id: String) throws -> Int {
        var count = 0
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") where Int(entry) != nil {
            guard let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let commandLine = String(decoding: data, as: UTF8.self)
            if commandLine.hasPrefix("/usr/bin/swtpm"), commandLine.contains(id) { count += 1 }
        }
        return count
    }
}
