import Foundation
import Testing

/// `openstack server image create`: the root disk, never the ISO, becomes a reusable qcow2 image.
@Suite("Server snapshots with the real openstack client", .serialized)
struct ServerImageWorkflowTests {
    @Test("a running and a stopped server's root disk become standalone qcow2 images that boot new servers")
    func snapshotsOfTheRootDisk() async throws {
        let iso = try await DemoISO.path().path
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        _ = try openstack.succeed(
            "image", "create", "--container-format", "bare", "--disk-format", "iso", "--property", "os_shutdown_timeout=3",
            "--property", "hw_disk_bus=virtio", "--file", iso, "installer")
        let created = try #require(try openstack.json("server", "create", "--flavor", "m1.tiny", "--image", "installer", "--wait", "vm") as? [String: Any])
        let id = try #require(created["id"] as? String)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-snapshot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        // Live: the guest keeps running while its disk is copied.
        let qemu = try shell("pgrep -f '[-]uuid \(id)'").stdout
        _ = try openstack.succeed("server", "image", "create", "--name", "live-copy", "--wait", "vm")
        let live = try #require(try openstack.json("image", "show", "live-copy") as? [String: Any])
        #expect(live["status"] as? String == "active" && live["disk_format"] as? String == "qcow2", "\(live)")
        let properties = try #require(live["properties"] as? [String: Any])
        #expect(properties["image_type"] as? String == "snapshot" && properties["instance_uuid"] as? String == id, "\(properties)")
        #expect(properties["hw_disk_bus"] as? String == "virtio", "the base image's hardware properties are inherited: \(properties)")
        #expect(try shell("pgrep -f '[-]uuid \(id)'").stdout == qemu, "a live snapshot must not restart the guest")
        #expect(try openstack.succeed("server", "show", "vm", "-c", "status", "-f", "value").contains("ACTIVE"))
        let liveFile = work.appendingPathComponent("live.qcow2").path
        _ = try openstack.succeed("image", "save", "--file", liveFile, "live-copy")
        let info = try #require(try JSONSerialization.jsonObject(with: Data(try shell("qemu-img info --output=json \(liveFile)").stdout.utf8)) as? [String: Any])
        #expect(info["format"] as? String == "qcow2" && info["backing-filename"] == nil, "\(info)")
        #expect(info["virtual-size"] as? Int == 1 << 30, "the flavor's 1 GiB disk, not the ISO: \(info)")

        // Stopped: what was written to the disk is what the image holds.
        _ = try openstack.succeed("server", "stop", "vm")
        try await openstack.waitForServer("vm", status: "SHUTOFF")
        let disk = nimbus.dataDirectory.appendingPathComponent("instances/\(id)/disk.qcow2").path
        #expect(try shell("qemu-io -f qcow2 -c 'write -P 0x5a 1M 64k' \(disk)").succeeded)
        _ = try openstack.succeed("server", "image", "create", "--name", "golden", "--wait", "vm")
        let goldenFile = work.appendingPathComponent("golden.qcow2").path
        _ = try openstack.succeed("image", "save", "--file", goldenFile, "golden")
        let check = try shell("qemu-io -f qcow2 -r -c 'read -P 0x5a 1M 64k' \(goldenFile)")
        #expect(check.succeeded && !check.stdout.contains("Pattern verification failed"), "\(check.stdout)\(check.stderr)")

        let booted = try #require(try openstack.json("server", "create", "--flavor", "m1.tiny", "--image", "golden", "--wait", "from-golden") as? [String: Any])
        #expect(booted["status"] as? String == "ACTIVE", "\(booted)")
        _ = try openstack.succeed("server", "delete", "--wait", "from-golden", "vm")
        withExtendedLifetime(nimbus) {}
    }

    @Test("createImage of a server that does not exist is refused and leaves no image")
    func refusedSnapshots() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        let missing = try openstack("server", "image", "create", "--name", "x", "00000000-0000-4000-8000-000000000000")
        #expect(!missing.succeeded && missing.stderr.lowercased().contains("no server"), "\(missing.stderr)")
        let images = try #require(try openstack.json("image", "list") as? [[String: Any]])
        #expect(images.isEmpty, "\(images)")
    }
}
