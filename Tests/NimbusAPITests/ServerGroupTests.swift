import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Server groups in process")
struct ServerGroupTests {
    @Test("groups are made, listed, shown and deleted in their project; servers join them by scheduler hint")
    func groups() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let iso = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            func create(_ body: String) async throws -> TestResponse {
                try await admin.send(.post, "/compute/v2.1/os-server-groups", json: body)
            }
            let made = try await create(#"{"server_group": {"name": "web", "policies": ["affinity"]}}"#)
            #expect(made.status == .ok, "\(made.text)")
            let group = try #require(try made.object()["server_group"] as? [String: Any])
            let groupID = try #require(group["id"] as? String)
            #expect(group["policies"] as? [String] == ["affinity"] && (group["members"] as? [String])?.isEmpty == true)
            for bad in [#"{"server_group": {"name": "x", "policies": ["spread"]}}"#, #"{"server_group": {"name": "x"}}"#,
                        #"{"server_group": {"name": "x", "policies": ["affinity"], "color": "red"}}"#] {
                #expect(try await create(bad).status == .badRequest, "\(bad)")
            }

            func server(_ name: String, group: String) async throws -> TestResponse {
                try await admin.send(.post, "/compute/v2.1/servers", json: #"{"server": {"name": "\#(name)", "imageRef": "\#(iso)", "flavorRef": "1", "networks": "none"}, "os:scheduler_hints": {"group": "\#(group)"}}"#)
            }
            let first = try await server("a", group: groupID)
            #expect(first.status == .accepted, "\(first.text)")
            let serverID = try #require((try first.object()["server"] as? [String: Any])?["id"] as? String)
            let shown = try #require(try await admin.send(.get, "/compute/v2.1/os-server-groups/\(groupID)").object()["server_group"] as? [String: Any])
            #expect(shown["members"] as? [String] == [serverID])
            #expect(try await server("b", group: "00000000-0000-4000-8000-000000000000").status == .badRequest)

            let apart = try #require(try await create(#"{"server_group": {"name": "apart", "policies": ["anti-affinity"]}}"#).object()["server_group"] as? [String: Any])
            let apartID = try #require(apart["id"] as? String)
            #expect(try await server("c", group: apartID).status == .accepted)
            let second = try await server("d", group: apartID)
            #expect(second.status == .badRequest && second.text.contains("anti-affinity"), "\(second.text)")

            let listed = try await admin.send(.get, "/compute/v2.1/os-server-groups")
            #expect(Set((try listed.object()["server_groups"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }) == ["web", "apart"])
            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            #expect(try await bob.send(.get, "/compute/v2.1/os-server-groups/\(groupID)").status == .notFound)
            #expect(try await bob.send(.delete, "/compute/v2.1/os-server-groups/\(groupID)").status == .notFound)
            #expect((try await bob.send(.get, "/compute/v2.1/os-server-groups").object()["server_groups"] as? [Any])?.isEmpty == true)

            #expect(try await admin.send(.delete, "/compute/v2.1/os-server-groups/\(groupID)").status == .noContent)
            #expect(try await admin.send(.get, "/compute/v2.1/os-server-groups/\(groupID)").status == .notFound)
            #expect(try await admin.send(.get, "/compute/v2.1/servers/\(serverID)").status == .ok, "a group's servers outlive it")
        }
    }
}
