import Foundation
import Testing

/// Step 1 of the install workflow with the real `openstack` client.
@Suite("Image workflow with the real openstack client", .serialized)
struct ImageWorkflowTests {
    @Test("upload an ISO, list, show, save, set a property, delete")
    func isoRoundTrip() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        let work = nimbus.dataDirectory.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work.appendingPathComponent("src"), withIntermediateDirectories: true)
        try Data(repeating: 0x5a, count: 300_000).write(to: work.appendingPathComponent("src/payload.bin"))
        let made = try shell("xorriso -as mkisofs -quiet -V FEDORA_TEST -o X.iso src", in: work)
        #expect(made.succeeded, "xorriso: \(made.stderr)")

        _ = try openstack.succeed(
            "image", "create", "--container-format", "bare", "--disk-format", "iso", "--file", "X.iso", "fedora-iso", in: work)

        let listed = try #require(try openstack.json("image", "list") as? [[String: Any]])
        #expect(listed.contains { $0["Name"] as? String == "fedora-iso" && $0["Status"] as? String == "active" })

        let shown = try #require(try openstack.json("image", "show", "fedora-iso") as? [String: Any])
        let md5 = try shell("md5sum X.iso | cut -d' ' -f1", in: work).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let sha512 = try shell("sha512sum X.iso | cut -d' ' -f1", in: work).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(shown["status"] as? String == "active")
        #expect(shown["checksum"] as? String == md5)
        let properties = shown["properties"] as? [String: Any] ?? shown
        #expect(properties["os_hash_algo"] as? String == "sha512")
        #expect(properties["os_hash_value"] as? String == sha512)

        _ = try openstack.succeed("image", "save", "--file", "out.iso", "fedora-iso", in: work)
        #expect(try shell("cmp X.iso out.iso", in: work).succeeded, "the saved image differs from the upload")

        _ = try openstack.succeed("image", "set", "--property", "hw_firmware_type=uefi", "fedora-iso")
        let updated = try #require(try openstack.json("image", "show", "fedora-iso") as? [String: Any])
        let updatedProperties = updated["properties"] as? [String: Any] ?? updated
        #expect(updatedProperties["hw_firmware_type"] as? String == "uefi")

        _ = try openstack.succeed("image", "delete", "fedora-iso")
        let after = try #require(try openstack.json("image", "list") as? [[String: Any]])
        #expect(!after.contains { $0["Name"] as? String == "fedora-iso" })
        #expect(nimbus.storedFiles().isEmpty, "blobs left behind: \(nimbus.storedFiles())")
    }

    @Test("a qcow2 with a backing file and a text file posing as an ISO are refused and leave nothing")
    func unsafeUploadsRefused() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        let work = nimbus.dataDirectory.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        #expect(try shell("qemu-img create -q -f raw base.raw 1M && qemu-img create -q -f qcow2 -b base.raw -F raw bad.qcow2", in: work).succeeded)
        try Data("this is not an installer\n".utf8).write(to: work.appendingPathComponent("fake.iso"))

        let qcow2 = try openstack("image", "create", "--container-format", "bare", "--disk-format", "qcow2", "--file", "bad.qcow2", "backed", in: work)
        #expect(!qcow2.succeeded)
        #expect(qcow2.stderr.contains("400"), "\(qcow2.stderr)")
        #expect(qcow2.stderr.contains("backing file"), "\(qcow2.stderr)")

        let text = try openstack("image", "create", "--container-format", "bare", "--disk-format", "iso", "--file", "fake.iso", "fake", in: work)
        #expect(!text.succeeded)
        #expect(text.stderr.contains("400"), "\(text.stderr)")
        #expect(text.stderr.lowercased().contains("iso"), "\(text.stderr)")

        #expect(nimbus.storedFiles().isEmpty, "files left behind: \(nimbus.storedFiles())")
    }

    @Test("a member of another project cannot see a private image but sees public ones")
    func projectIsolation() async throws {
        let nimbus = try await NimbusProcess()
        let admin = OpenStackClient(admin: nimbus)
        let work = nimbus.dataDirectory.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try Data(repeating: 7, count: 4096).write(to: work.appendingPathComponent("disk.raw"))

        let bob = try admin.newMember()

        let secret = try #require(try admin.json(
            "image", "create", "--private", "--container-format", "bare", "--disk-format", "raw", "--file", "\(work.path)/disk.raw", "admin-private") as? [String: Any])
        let privateID = try #require(secret["id"] as? String)
        _ = try admin.succeed(
            "image", "create", "--public", "--container-format", "bare", "--disk-format", "raw", "--file", "\(work.path)/disk.raw", "shared-public")

        let hidden = try bob("image", "show", privateID)
        #expect(!hidden.succeeded)
        #expect(hidden.stderr.contains("No Image found") || hidden.stderr.contains("404"), "\(hidden.stderr)")

        let visible = try #require(try bob.json("image", "list") as? [[String: Any]])
        let names = visible.compactMap { $0["Name"] as? String }
        #expect(names.contains("shared-public"))
        #expect(!names.contains("admin-private"))

        // Bob is a member, not an admin: he cannot delete the admin's public image.
        let deletion = try bob("image", "delete", "shared-public")
        #expect(!deletion.succeeded)
    }
}
