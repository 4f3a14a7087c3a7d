import Foundation
import Testing

/// A server on a port the user made, and a server an admin locked.
@Suite("Ports and locks with the real openstack client", .serialized)
struct ServerPortAndLockTests {
    @Test("--nic port-id boots on the user's port, which another server cannot take and which outlives the server")
    func userPort() async throws {
        let iso = try await DemoISO.path().path
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        _ = try openstack.succeed("image", "create", "--container-format", "bare", "--disk-format", "iso", "--file", iso, "installer")
        let port = try #require(try openstack.json("port", "create", "--network", "private", "--fixed-ip", "ip-address=10.0.0.77", "mine") as? [String: Any])
        let portID = try #require(port["id"] as? String)

        let server = try #require(try openstack.json(
            "server", "create", "--flavor", "m1.tiny", "--image", "installer", "--nic", "port-id=\(portID)", "--wait", "on-port") as? [String: Any])
        #expect("\(server["addresses"] ?? "")".contains("10.0.0.77"), "\(server["addresses"] ?? "")")
        let bound = try #require(try openstack.json("port", "show", "mine") as? [String: Any])
        #expect(bound["device_id"] as? String == server["id"] as? String)
        let taken = try openstack("server", "create", "--flavor", "m1.tiny", "--image", "installer", "--nic", "port-id=\(portID)", "second")
        #expect(taken.stderr.contains("still in use") && taken.stderr.contains("409"), "\(taken.stderr)")

        _ = try openstack.succeed("server", "delete", "--wait", "on-port")
        let kept = try #require(try openstack.json("port", "show", "mine") as? [String: Any])
        #expect(kept["device_id"] as? String == "" && "\(kept["fixed_ips"] ?? "")".contains("10.0.0.77"), "\(kept)")
        withExtendedLifetime(nimbus) {}
    }

    @Test("a server an admin locked refuses its member's actions with 409 until unlocked")
    func lockedServer() async throws {
        let iso = try await DemoISO.path().path
        let nimbus = try await NimbusProcess()
        let admin = OpenStackClient(admin: nimbus)
        let bob = try admin.newMember()
        _ = try admin.succeed("image", "create", "--public", "--container-format", "bare", "--disk-format", "iso", "--property", "os_shutdown_timeout=2", "--file", iso, "installer")
        let created = try #require(try bob.json("server", "create", "--flavor", "m1.tiny", "--image", "installer", "--wait", "bobs") as? [String: Any])
        let id = try #require(created["id"] as? String)

        _ = try admin.succeed("server", "lock", id)
        let stop = try bob("server", "stop", "bobs")
        #expect(!stop.succeeded && stop.stderr.contains("locked") && stop.stderr.contains("409"), "\(stop.stderr)")
        let delete = try bob("server", "delete", "bobs")
        #expect(!delete.succeeded && delete.stderr.contains("locked"), "\(delete.stderr)")
        #expect(try bob.succeed("server", "show", "bobs", "-c", "status", "-f", "value").contains("ACTIVE"))

        _ = try admin.succeed("server", "unlock", id)
        _ = try bob.succeed("server", "delete", "--wait", "bobs")
        withExtendedLifetime(nimbus) {}
    }
}
