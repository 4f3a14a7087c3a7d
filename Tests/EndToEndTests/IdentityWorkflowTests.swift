import Foundation
import Testing

/// Keystone's administration with the real openstack client: domains,
/// groups, and application credentials that automation logs in with.
@Suite("Identity with the real openstack client")
struct IdentityWorkflowTests {
    @Test("domain create, set, delete; group create, add user, role add --group; the member works through the group")
    func domainsAndGroups() async throws {
        let nimbus = try await NimbusProcess()
        let admin = OpenStackClient(admin: nimbus)
        let domain = try #require(try admin.json("domain", "create", "--description", "a lab", "lab") as? [String: Any])
        #expect(domain["enabled"] as? Bool == true)
        _ = try admin.succeed("domain", "set", "--disable", "lab")
        let shown = try #require(try admin.json("domain", "show", "lab") as? [String: Any])
        #expect(shown["enabled"] as? Bool == false)
        _ = try admin.succeed("domain", "delete", "lab")
        #expect(!(try admin("domain", "show", "lab").succeeded))

        _ = try admin.succeed("project", "create", "--domain", "default", "team")
        _ = try admin.succeed("user", "create", "--domain", "default", "--password", "carol-secret", "carol")
        _ = try admin.succeed("group", "create", "--domain", "default", "devs")
        _ = try admin.succeed("group", "add", "user", "devs", "carol")
        #expect(try admin.succeed("group", "contains", "user", "devs", "carol").contains("carol in group devs"))
        _ = try admin.succeed("role", "add", "--project", "team", "--group", "devs", "member")
        let carol = OpenStackClient(nimbus: nimbus, user: "carol", password: "carol-secret", project: "team")
        #expect(try carol.json("image", "list") is [Any], "carol works in team through her group")
        let groups = try #require(try admin.json("group", "list", "--user", "carol") as? [[String: Any]])
        #expect(groups.compactMap { $0["Name"] as? String } == ["devs"])
        _ = try admin.succeed("group", "remove", "user", "devs", "carol")
        #expect(!(try carol("image", "list").succeeded), "out of the group, out of the project")
        _ = try admin.succeed("group", "delete", "devs")
    }

    @Test("an application credential made with the client logs in from clouds.yaml (v3applicationcredential), with its roles only")
    func applicationCredential() async throws {
        let nimbus = try await NimbusProcess()
        let admin = OpenStackClient(admin: nimbus)
        let bob = try admin.newMember()
        let made = try #require(try bob.json("application", "credential", "create", "deploy") as? [String: Any])
        let id = try #require(made["ID"] as? String)
        let secret = try #require(made["Secret"] as? String)
        #expect((made["Roles"] as? [Any])?.isEmpty == false || made["Roles"] is String, "no --role: the token's roles, as Keystone does: \(made)")
        let clouds = FileManager.default.temporaryDirectory.appendingPathComponent("clouds-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: clouds) }
        try """
            clouds:
              robot:
                auth_type: v3applicationcredential
                auth:
                  auth_url: \(nimbus.baseURL)/identity/v3
                  application_credential_id: \(id)
                  application_credential_secret: \(secret)
                region_name: RegionOne
                identity_api_version: 3
            """.write(to: clouds, atomically: true, encoding: .utf8)
        var robot = bob
        robot.credentials = ["OS_CLIENT_CONFIG_FILE": clouds.path, "OS_CLOUD": "robot"]
        let token = try #require(try robot.json("token", "issue") as? [String: Any])
        #expect(token["project_id"] as? String != nil)
        _ = try robot.succeed("network", "create", "robot-net")
        let listed = try #require(try bob.json("application", "credential", "list") as? [[String: Any]])
        #expect(listed.compactMap { $0["Name"] as? String } == ["deploy"])
        _ = try bob.succeed("application", "credential", "delete", "deploy")
        #expect(!(try robot("network", "list").succeeded), "a deleted credential logs in no more")
    }
}
