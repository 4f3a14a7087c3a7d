import Foundation
import Testing

/// Step 2 of the workflow, flavors, with the real `openstack` client.
@Suite("Flavors with the real openstack client")
struct FlavorWorkflowTests {
    @Test("flavor list shows the defaults; an admin creates, shares and deletes a private flavor")
    func flavors() async throws {
        let nimbus = try await NimbusProcess()
        let admin = OpenStackClient(admin: nimbus)
        let listed = try #require(try admin.json("flavor", "list") as? [[String: Any]])
        let small = try #require(listed.first { $0["Name"] as? String == "m1.small" })
        #expect(small["RAM"] as? Int == 2048)
        #expect(small["Disk"] as? Int == 20)

        _ = try admin.succeed("project", "create", "--domain", "default", "installers")
        _ = try admin.succeed("flavor", "create", "--ram", "768", "--disk", "4", "--vcpus", "1", "--private", "--property", "hw:cpu_policy=shared", "m1.installer")
        _ = try admin.succeed("flavor", "set", "--project", "installers", "m1.installer")
        let shown = try #require(try admin.json("flavor", "show", "m1.installer") as? [String: Any])
        #expect(shown["ram"] as? Int == 768)
        #expect(shown["os-flavor-access:is_public"] as? Bool == false)
        #expect((shown["access_project_ids"] as? [String])?.count == 1)

        let publicOnly = try #require(try admin.json("flavor", "list") as? [[String: Any]])
        #expect(!publicOnly.contains { $0["Name"] as? String == "m1.installer" })
        let all = try #require(try admin.json("flavor", "list", "--all") as? [[String: Any]])
        #expect(all.contains { $0["Name"] as? String == "m1.installer" })

        _ = try admin.succeed("flavor", "delete", "m1.installer")
        let missing = try admin("flavor", "show", "m1.installer")
        #expect(!missing.succeeded)
    }
}
