import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Compute flavors and microversions in process")
struct FlavorAPITests {
    @Test("the default flavors are seeded; a member reads them but cannot create one")
    func seededAndPolicy() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let list = try await admin.send(.get, "/compute/v2.1/flavors/detail")
            #expect(list.status == .ok)
            let flavors = try list.object()["flavors"] as? [[String: Any]] ?? []
            let tiny = try #require(flavors.first { $0["name"] as? String == "m1.tiny" })
            #expect(tiny["ram"] as? Int == 512)
            #expect(tiny["disk"] as? Int == 1)
            #expect(tiny["vcpus"] as? Int == 1)
            #expect(Set(flavors.compactMap { $0["name"] as? String }) == ["m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"])

            let project = try await admin.createProject("project-b")
            let member = try await admin.newUser("carol", role: "member", projectID: project, projectName: "project-b")
            let refused = try await member.send(.post, "/compute/v2.1/flavors", json: #"{"flavor": {"name": "mine", "ram": 256, "vcpus": 1, "disk": 1}}"#)
            #expect(refused.status == .forbidden)
            #expect(try refused.object()["forbidden"] != nil, "Nova's fault shape: \(refused.text)")
        }
    }

    @Test("a private flavor is visible only to projects granted access")
    func privateFlavors() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let created = try await admin.send(.post, "/compute/v2.1/flavors", json: #"{"flavor": {"name": "secret", "id": "s1", "ram": 256, "vcpus": 1, "disk": 1, "os-flavor-access:is_public": false}}"#)
            #expect(created.status == .ok)
            let project = try await admin.createProject("project-b")
            let member = try await admin.newUser("dave", role: "member", projectID: project, projectName: "project-b")
            #expect(try await member.send(.get, "/compute/v2.1/flavors/s1").status == .notFound)

            let granted = try await admin.send(.post, "/compute/v2.1/flavors/s1/action", json: "{\"addTenantAccess\": {\"tenant\": \"\(project)\"}}")
            #expect(granted.status == .ok)
            #expect(try await member.send(.get, "/compute/v2.1/flavors/s1").status == .ok)
            let listed = try await member.send(.get, "/compute/v2.1/flavors").object()["flavors"] as? [[String: Any]] ?? []
            #expect(listed.contains { $0["id"] as? String == "s1" })

            let duplicate = try await admin.send(.post, "/compute/v2.1/flavors", json: #"{"flavor": {"name": "secret", "ram": 256, "vcpus": 1, "disk": 1}}"#)
            #expect(duplicate.status == .conflict)
        }
    }

    @Test("bad flavor bodies are 400 in Nova's shape", arguments: [
        #"{"flavor": {"name": "x", "ram": 0, "vcpus": 1, "disk": 1}}"#,
        #"{"flavor": {"name": "x", "ram": 256, "vcpus": "many", "disk": 1}}"#,
        #"{"flavor": {"name": "", "ram": 256, "vcpus": 1, "disk": 1}}"#,
        #"{"flavor": {"name": "x", "ram": 256, "vcpus": 1, "disk": -1}}"#,
        #"{"flavor": {"name": "x", "ram": 256, "vcpus": 1, "disk": 1, "color": "blue"}}"#,
        #"{"flavour": {}}"#,
        #"{"flavor": "#,
    ])
    func badBodies(body: String) async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let response = try await admin.send(.post, "/compute/v2.1/flavors", json: body)
            #expect(response.status == .badRequest, "\(body) → \(response.status) \(response.text)")
            #expect(try response.object()["badRequest"] != nil, "\(response.text)")
        }
    }

    @Test("microversions: none means 2.1, latest is the maximum, beyond it is 406")
    func microversions() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let plain = try await admin.send(.get, "/compute/v2.1/flavors")
            #expect(plain.headers[HTTPField.Name("OpenStack-API-Version")!] == "compute 2.1")
            let latest = try await admin.send(.get, "/compute/v2.1/flavors", headers: [HTTPField.Name("OpenStack-API-Version")!: "compute latest"])
            #expect(latest.status == .ok)
            let tooNew = try await admin.send(.get, "/compute/v2.1/flavors", headers: [HTTPField.Name("OpenStack-API-Version")!: "compute 2.999"])
            #expect(tooNew.status == .notAcceptable)
            let legacy = try await admin.send(.get, "/compute/v2.1/flavors", headers: [HTTPField.Name("X-OpenStack-Nova-API-Version")!: "2.1"])
            #expect(legacy.headers[HTTPField.Name("X-OpenStack-Nova-API-Version")!] == "2.1")
            let discovery = try await client.execute(uri: "/compute", method: .get) { $0 }
            let versions = try discovery.object()["versions"] as? [[String: Any]] ?? []
            #expect(versions.first?["min_version"] as? String == "2.1")
        }
    }
}
