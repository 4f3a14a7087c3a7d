import Foundation
import Testing

/// An uploaded installer ISO says which OS it holds: Glance's os_distro and
/// os_version, and the hardware that OS needs, where the user set none.
@Suite("Installer ISOs recognised at upload")
struct InstallerDetectionTests {
    /// A Windows 11 installer as far as Nimbus looks: sources/install.wim
    /// with a WIM header and its XML, in an ISO that xorriso builds.
    static func windowsISO(boot: [String] = []) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("win-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let sources = directory.appendingPathComponent("tree/sources")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        let xml = "<WIM><IMAGE><WINDOWS><VERSION><BUILD>26100</BUILD></VERSION></WINDOWS></IMAGE></WIM>"
        var wim = [UInt8](repeating: 0, count: 4096)
        wim.replaceSubrange(0 ..< 8, with: Array("MSWIM\0\0\0".utf8))
        let body: [UInt8] = xml.utf16.flatMap { unit -> [UInt8] in [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        wim.replaceSubrange(72 ..< 80, with: withUnsafeBytes(of: UInt64(body.count).littleEndian, Array.init))
        wim.replaceSubrange(80 ..< 88, with: withUnsafeBytes(of: UInt64(4096).littleEndian, Array.init))
        try Data(wim + body).write(to: sources.appendingPathComponent("install.wim"))
        try Data(count: 8192).write(to: directory.appendingPathComponent("tree/efi.img"))
        let output = directory.appendingPathComponent("win.iso").path
        let process = try Process.run(
            URL(fileURLWithPath: "/usr/bin/xorriso"),
            arguments: ["-as", "mkisofs", "-quiet", "-R", "-J", "-o", output] + boot + [directory.appendingPathComponent("tree").path])
        process.waitUntilExit()
        return try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
    }

    @Test("a Windows 11 ISO gets os_distro, os_version and Windows 11's hardware; what was read and chosen is on the image")
    func windowsDefaults() async throws {
        let cloud = try TestCloud()
        let iso = try Self.windowsISO(boot: ["-e", "efi.img", "-no-emul-boot"])
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.activeImage(#"{"name": "win11", "disk_format": "iso", "container_format": "bare"}"#, iso)
            let image = try await admin.show(id)
            let expected = [
                "os_distro": "windows", "os_version": "11", "os_type": "windows", "hw_firmware_type": "uefi", "hw_machine_type": "q35",
                "os_secure_boot": "required", "hw_tpm_version": "2.0", "hw_tpm_model": "tpm-crb", "hw_disk_bus": "sata",
                "nimbus_os_detected": "windows 11 (sources/install.wim)",
            ]
            for (key, value) in expected { #expect(image[key] as? String == value, "\(key): \(image[key] ?? "missing")") }
            let defaults = try #require(image["nimbus_os_defaults"] as? String).split(separator: ",").map(String.init)
            #expect(Set(defaults) == ["os_type", "hw_disk_bus", "hw_firmware_type", "hw_machine_type", "os_secure_boot", "hw_tpm_version", "hw_tpm_model"])
        }
    }

    @Test("the user's own properties win, and no default contradicts them (BIOS firmware: no Secure Boot)")
    func userPropertiesWin() async throws {
        let cloud = try TestCloud()
        let iso = try Self.windowsISO()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.activeImage(
                #"{"name": "win", "disk_format": "iso", "container_format": "bare", "os_distro": "mywindows", "hw_disk_bus": "virtio", "hw_firmware_type": "bios"}"#,
                iso)
            let image = try await admin.show(id)
            #expect(image["os_distro"] as? String == "mywindows")
            #expect(image["hw_disk_bus"] as? String == "virtio")
            #expect(image["hw_firmware_type"] as? String == "bios")
            #expect(image["os_secure_boot"] == nil, "Secure Boot would make the image unbootable on BIOS")
            #expect(image["os_type"] as? String == "windows")
            let defaults = try #require(image["nimbus_os_defaults"] as? String)
            #expect(!defaults.contains("hw_disk_bus") && !defaults.contains("hw_firmware_type"), "\(defaults)")
        }
    }

    @Test("an ISO with no installer's marks gets nothing; a disk image is not read as a disc")
    func nothingDetected() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.activeImage(#"{"name": "plain", "disk_format": "iso", "container_format": "bare"}"#, Payload.iso())
            let image = try await admin.show(id)
            #expect(image["os_distro"] == nil && image["nimbus_os_detected"] == nil && image["nimbus_os_defaults"] == nil)
            let raw = try await admin.activeImage(#"{"name": "raw", "disk_format": "raw", "container_format": "bare"}"#, try Self.windowsISO())
            #expect(try await admin.show(raw)["os_distro"] == nil)
        }
    }

    @Test("a virtio-win driver disc is recorded as a driver disc, not as an OS")
    func driverDisc() async throws {
        let cloud = try TestCloud()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("virtio-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        for path in ["tree/viostor/w11/amd64/viostor.inf", "tree/NetKVM/w11/amd64/netkvm.inf"] {
            let file = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("[Version]".utf8).write(to: file)
        }
        let output = directory.appendingPathComponent("virtio-win.iso").path
        let process = try Process.run(
            URL(fileURLWithPath: "/usr/bin/xorriso"),
            arguments: ["-as", "mkisofs", "-quiet", "-R", "-J", "-V", "virtio-win-0.1.262", "-o", output, directory.appendingPathComponent("tree").path])
        process.waitUntilExit()
        let iso = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.activeImage(#"{"name": "virtio-win", "disk_format": "iso", "container_format": "bare"}"#, iso)
            let image = try await admin.show(id)
            #expect(image["nimbus_driver_disc"] as? String == "virtio-win")
            #expect(image["nimbus_os_detected"] as? String == "virtio-win 0.1.262 (viostor)")
            #expect(image["os_distro"] == nil && image["nimbus_os_defaults"] == nil)
        }
    }

    @Test("an ISO whose directories are garbage still uploads: detection is advice, not a gate")
    func hostileDirectoriesStillUpload() async throws {
        let cloud = try TestCloud()
        var noisy = try Self.windowsISO()
        // Every sector after the volume descriptors (directories, path tables, files) becomes noise.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in 18 * 2048 ..< noisy.count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            noisy[index] = UInt8(truncatingIfNeeded: state)
        }
        let iso = noisy
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.activeImage(#"{"name": "noise", "disk_format": "iso", "container_format": "bare"}"#, iso)
            let image = try await admin.show(id)
            #expect(image["status"] as? String == "active")
            #expect(image["os_distro"] == nil)
        }
    }
}
