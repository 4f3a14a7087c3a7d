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

    @Test("region, service and endpoint create with the client reach the token's catalog; an endpoint group narrows a project's; credentials and domain roles")
    func serviceCatalog() async throws {
        let nimbus = try await NimbusProcess()
        let admin = OpenStackClient(admin: nimbus)
        let builtIn = try #require(try admin.json("catalog", "list") as? [[String: Any]])
        #expect(Set(builtIn.compactMap { $0["Type"] as? String }) == ["identity", "image", "compute", "network"])

        _ = try admin.succeed("region", "create", "--description", "the lab", "RegionTwo")
        let service = try #require(try admin.json("service", "create", "--name", "ledger", "--description", "billing", "billing") as? [String: Any])
        let serviceID = try #require(service["id"] as? String)
        _ = try admin.succeed("endpoint", "create", "--region", "RegionTwo", "ledger", "public", "https://ledger.example:9000/v1")
        let endpoints = try #require(try admin.json("endpoint", "list", "--service", "ledger") as? [[String: Any]])
        #expect(endpoints.count == 1)
        #expect(endpoints.first?["URL"] as? String == "https://ledger.example:9000/v1")
        #expect(endpoints.first?["Region"] as? String == "RegionTwo")
        let shown = try admin.succeed("catalog", "show", "billing")
        #expect(shown.contains("https://ledger.example:9000/v1"), "a new token lists the new endpoint: \(shown)")

        // A project given an endpoint group sees only what the group matches.
        let bob = try admin.newMember()
        let filters = FileManager.default.temporaryDirectory.appendingPathComponent("filters-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: filters) }
        try #"{"service_id": "\#(serviceID)"}"#.write(to: filters, atomically: true, encoding: .utf8)
        _ = try admin.succeed("endpoint", "group", "create", "ledger-only", filters.path)
        _ = try admin.succeed("endpoint", "group", "add", "project", "ledger-only", "project-b")
        let narrowed = try #require(try bob.json("catalog", "list") as? [[String: Any]])
        #expect(narrowed.compactMap { $0["Type"] as? String } == ["billing"])
        _ = try admin.succeed("endpoint", "group", "remove", "project", "ledger-only", "project-b")
        #expect((try bob.json("catalog", "list") as? [[String: Any]])?.count == 5)
        #expect(!(try bob("endpoint", "list").succeeded), "a member may not list endpoints")

        _ = try admin.succeed("service", "delete", "ledger")
        #expect(!(try admin("catalog", "show", "billing").stdout.contains("ledger.example")), "the service's endpoints went with it")
        #expect(try admin.json("endpoint", "list", "--region", "RegionTwo") as? [Any] != nil)
        _ = try admin.succeed("region", "delete", "RegionTwo")

        // Credentials are the user's own; domain roles show in the assignment list.
        // By id: a member may not search users or projects by name (Keystone's policy too).
        let token = try #require(try bob.json("token", "issue") as? [String: Any])
        let bobID = try #require(token["user_id"] as? String)
        let projectID = try #require(token["project_id"] as? String)
        _ = try bob.succeed("credential", "create", "--type", "ec2", "--project", projectID, bobID, #"{"access": "AK1", "secret": "S1"}"#)
        let credentials = try #require(try bob.json("credential", "list") as? [[String: Any]])
        #expect(credentials.count == 1)
        #expect((credentials.first?["Data"] as? String)?.contains("S1") == true)
        _ = try admin.succeed("role", "add", "--domain", "default", "--user", "bob", "reader")
        let assignments = try #require(try admin.json("role", "assignment", "list", "--domain", "default", "--names") as? [[String: Any]])
        #expect(assignments.contains { $0["User"] as? String == "bob@Default" && $0["Role"] as? String == "reader" && $0["Domain"] as? String == "Default" })
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
