import Foundation
import Testing

/// The demo installer ISO (scripts/demo-iso) in plain QEMU under TCG, no
/// Nimbus server: install through the serial console, eject, reset, SSH in;
/// under BIOS and UEFI, from a virtio and a SATA disk, with a config drive.
/// One VM at a time: TCG is slow and the machine is shared.
@Suite("Demo installer ISO in plain QEMU", .serialized)
struct DemoISOTests {
    static let qemuTools = ["qemu-system-x86_64", "qemu-img", "ssh", "ssh-keygen", "xorriso"]

    @Test("the ISO is small and has BIOS and UEFI El Torito boot images")
    func isoLayout() async throws {
        try requireTools(["xorriso"])
        let iso = try await DemoISO.path()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: iso.path)[.size] as? Int)
        #expect(size < 40 << 20, "the ISO is \(size >> 20) MiB")
        let report = try program("xorriso", ["-indev", iso.path, "-report_el_torito", "plain"])
        #expect(report.succeeded, "\(report.stderr)")
        #expect(report.stdout.contains(/boot img : +1 +BIOS/), "\(report.stdout)")
        #expect(report.stdout.contains(/boot img : +2 +UEFI/), "\(report.stdout)")
    }

    @Test("BIOS: install to a blank virtio disk, eject through QMP, reset, SSH with the key typed at install")
    func installUnderBIOS() async throws {
        try await installAndBoot(.bios)
    }

    @Test("UEFI: install to a blank virtio disk, eject through QMP, reset, SSH with the key typed at install")
    func installUnderUEFI() async throws {
        try await installAndBoot(.uefi)
    }

    @Test("SATA disk: the guest ejects its disc; the installed system takes a key, hostname and user data from a config drive")
    func configDriveAndGuestEject() async throws {
        try requireTools(Self.qemuTools)
        let iso = try await DemoISO.path()
        let work = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let installKey = try SSHKey(in: work, name: "install")
        let driveKey = try SSHKey(in: work, name: "drive-key")
        let hostname = "cfg-\(Int.random(in: 100...999))"
        let configDrive = try makeConfigDrive(in: work, metadata: [
            "uuid": UUID().uuidString.lowercased(),
            "name": hostname,
            "hostname": "\(hostname).novalocal",
            "public_keys": ["config-drive": driveKey.publicKey + "\n"],
        ], userData: "#!/bin/sh\necho user-data-ran > /root/user-data-ran\n")

        let port = try NimbusProcess.freePort()
        let vm = try DemoVM(.init(firmware: .bios, disk: try blankDisk(in: work), diskBus: .sata,
                                  installer: iso, configDrive: configDrive, sshPort: port))
        defer { vm.stop() }
        try vm.start()
        try await vm.diagnosing {
            _ = try await install(on: vm, target: "/dev/sda", hostname: "installed-name", key: installKey.publicKey, ejectFromGuest: true)
            let devices = try #require(try vm.control.execute("query-block") as? [[String: Any]])
            let cd = try #require(devices.first { $0["qdev"] as? String == "cd0" }, "no cd0 in \(devices)")
            #expect(cd["tray_open"] as? Bool == true, "the guest's eject left the tray closed: \(cd)")

            try vm.control.execute("system_reset")
            let output = try await driveKey.waitForSSH(port: port, "hostname; cat /root/user-data-ran") {
                $0.contains("user-data-ran")
            }
            #expect(output.split(separator: "\n").first.map(String.init) == hostname, "\(output)")
            let withInstallKey = try installKey.ssh(port: port, "cat /etc/hostname")
            #expect(withInstallKey.succeeded, "the key typed at install stopped working: \(withInstallKey.stderr)")
            #expect(withInstallKey.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == hostname)
        }
    }

    @Test("with no disk the installer says so and waits; a hot-plugged disk is then offered")
    func waitsForADisk() async throws {
        try requireTools(Self.qemuTools)
        let iso = try await DemoISO.path()
        let work = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let disk = try blankDisk(in: work)
        let vm = try DemoVM(.init(firmware: .bios, installer: iso, sshPort: try NimbusProcess.freePort(), hotplugPort: true))
        defer { vm.stop() }
        try vm.start()
        try await vm.diagnosing {
            let serial = try vm.console
            try await serial.expect("No disk found", within: .seconds(120))
            try vm.control.execute("blockdev-add", [
                "driver": "qcow2", "node-name": "hotplugged",
                "file": ["driver": "file", "filename": disk.path],
            ])
            try vm.control.execute("device_add", ["driver": "virtio-blk-pci", "drive": "hotplugged", "bus": "hotplug0", "id": "disk0"])
            try await serial.expect("Install to /dev/vda? [yes/no]", within: .seconds(60))
        }
    }

    // MARK: - Steps

    private func installAndBoot(_ firmware: DemoVM.Firmware) async throws {
        try requireTools(Self.qemuTools, files: firmware == .uefi ? [DemoVM.ovmfCode, DemoVM.ovmfVars] : [])
        let iso = try await DemoISO.path()
        let work = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let key = try SSHKey(in: work, name: "install")
        let hostname = "demo-\(firmware.rawValue.lowercased())-\(Int.random(in: 100...999))"
        let port = try NimbusProcess.freePort()
        let vm = try DemoVM(.init(firmware: firmware, disk: try blankDisk(in: work), installer: iso, sshPort: port))
        defer { vm.stop() }
        try vm.start()
        try await vm.diagnosing {
            let times = try await install(on: vm, target: "/dev/vda", hostname: hostname, key: key.publicKey, ejectFromGuest: false)

            try vm.control.execute("eject", ["id": "cd0", "force": true])
            let devices = try #require(try vm.control.execute("query-block") as? [[String: Any]])
            let cd = try #require(devices.first { $0["qdev"] as? String == "cd0" }, "no cd0 in \(devices)")
            #expect(cd["inserted"] == nil, "the disc is still in the drive after the QMP eject: \(cd)")

            try vm.control.execute("system_reset")
            let reset = ContinuousClock.now
            _ = try await key.waitForSSH(port: port, "hostname") {
                $0.trimmingCharacters(in: .whitespacesAndNewlines) == hostname
            }
            print("demo ISO, \(firmware.rawValue): first prompt after \(seconds(times.firstPrompt)), "
                + "install \(seconds(times.install)), SSH \(seconds(ContinuousClock.now - reset)) after reset")
        }
    }

    private struct InstallTimes {
        var firstPrompt: Duration
        var install: Duration
    }

    /// Answers the installer's questions on the serial console, through to
    /// "Press Enter to reboot." (not pressed).
    private func install(on vm: DemoVM, target: String, hostname: String, key: String, ejectFromGuest: Bool) async throws -> InstallTimes {
        let serial = try vm.console
        try await serial.expect("Nimbus Demo OS 1.0 installer", within: .seconds(120))
        try await serial.expect("Install to \(target)? [yes/no]", within: .seconds(60))
        let firstPrompt = ContinuousClock.now - vm.started
        try serial.type("yes")
        try await serial.expect("Hostname", within: .seconds(30))
        try serial.type(hostname)
        try await serial.expect("SSH public key", within: .seconds(30))
        let answered = ContinuousClock.now
        try serial.type(key)
        try await serial.expect("Installation complete. Remove the installation media and reboot.", within: .seconds(180))
        let install = ContinuousClock.now - answered
        try await serial.expect("Eject the installation disc now? [yes/no]", within: .seconds(30))
        try serial.type(ejectFromGuest ? "yes" : "no")
        if ejectFromGuest { try await serial.expect("The disc was ejected.", within: .seconds(30)) }
        try await serial.expect("Press Enter to reboot.", within: .seconds(30))
        return InstallTimes(firstPrompt: firstPrompt, install: install)
    }

    // MARK: - Files

    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-demo-iso-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    private func blankDisk(in directory: URL) throws -> URL {
        let disk = directory.appendingPathComponent("disk.qcow2")
        let made = try program("qemu-img", ["create", "-q", "-f", "qcow2", disk.path, "2G"])
        guard made.succeeded else { throw E2EError("qemu-img create failed: \(made.stderr)") }
        return disk
    }

    /// An OpenStack config drive: ISO 9660 labelled config-2 with
    /// openstack/latest/meta_data.json and user_data.
    private func makeConfigDrive(in directory: URL, metadata: [String: Any], userData: String) throws -> URL {
        let latest = directory.appendingPathComponent("config-drive/openstack/latest")
        try FileManager.default.createDirectory(at: latest, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys])
            .write(to: latest.appendingPathComponent("meta_data.json"))
        try Data(userData.utf8).write(to: latest.appendingPathComponent("user_data"))
        let iso = directory.appendingPathComponent("config-drive.iso")
        let made = try program("xorriso", ["-as", "mkisofs", "-quiet", "-V", "config-2", "-r", "-J", "-o", iso.path,
                                           directory.appendingPathComponent("config-drive").path])
        guard made.succeeded else { throw E2EError("xorriso failed: \(made.stderr)") }
        return iso
    }

    private func seconds(_ duration: Duration) -> String {
        let (whole, fraction) = duration.components
        return String(format: "%.1f s", Double(whole) + Double(fraction) / 1e18)
    }
}
