import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Nova's image proxy: Glance's images in Nova's shape, under Glance's rules.
@Suite("Compute image proxy in process")
struct ComputeImageProxyTests {
    @Test("list, detail, filters and paging show Glance's images in Nova's words")
    func listing() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let iso = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare", "min_ram": 512}"#, Caller.smallestISO)
            let queued = try await admin.createImageID(#"{"name": "snapshot", "disk_format": "qcow2", "container_format": "bare", "image_type": "snapshot", "instance_uuid": "1b7c6d2e-0000-4000-8000-000000000001"}"#)

            let shown = try await admin.send(.get, "/compute/v2.1/images/\(iso)")
            #expect(shown.status == .ok)
            let image = try #require(try shown.object()["image"] as? [String: Any])
            #expect(image["status"] as? String == "ACTIVE" && image["progress"] as? Int == 100)
            #expect(image["minRam"] as? Int == 512 && image["minDisk"] as? Int == 0)
            #expect(image["OS-EXT-IMG-SIZE:size"] as? Int == Caller.smallestISO.count)
            #expect((image["created"] as? String)?.hasSuffix("Z") == true)
            #expect((image["links"] as? [[String: Any]])?.map { $0["rel"] as? String } == ["self", "bookmark", "alternate"])
            let snapshot = try #require(try await admin.send(.get, "/compute/v2.1/images/\(queued)").object()["image"] as? [String: Any])
            #expect(snapshot["status"] as? String == "SAVING")
            #expect((snapshot["server"] as? [String: Any])?["id"] as? String == "1b7c6d2e-0000-4000-8000-000000000001")

            func names(_ query: String, detail: Bool = false) async throws -> [String] {
                let response = try await admin.send(.get, "/compute/v2.1/images\(detail ? "/detail" : "")\(query)")
                try #require(response.status == .ok, "\(query): \(response.text)")
                return (try response.object()["images"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            }
            #expect(Set(try await names("")) == ["installer", "snapshot"])
            #expect(try await names("?status=ACTIVE") == ["installer"])
            #expect(try await names("?type=snapshot", detail: true) == ["snapshot"])
            #expect(try await names("?server=1b7c6d2e-0000-4000-8000-000000000001") == ["snapshot"])
            #expect(try await names("?name=installer") == ["installer"])
            #expect(try await names("?minRam=256") == ["installer"])
            #expect(try await names("?limit=1").count == 1)
            #expect(try await admin.send(.get, "/compute/v2.1/images?marker=nonsense").status == .badRequest)
            #expect(try await admin.send(.get, "/compute/v2.1/images/\(UUID().uuidString.lowercased())").status == .notFound)
        }
    }

    @Test("metadata is the image's properties: merge, replace, one key; other projects see none of it")
    func metadata() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "private-one", "os_distro": "fedora"}"#)
            let path = "/compute/v2.1/images/\(id)/metadata"
            let merged = try await admin.send(.post, path, json: #"{"metadata": {"os_version": "40", "purpose": "lab"}}"#)
            #expect(try merged.object()["metadata"] as? [String: String] == ["os_distro": "fedora", "os_version": "40", "purpose": "lab"])
            let replaced = try await admin.send(.put, path, json: #"{"metadata": {"purpose": "prod"}}"#)
            #expect(try replaced.object()["metadata"] as? [String: String] == ["purpose": "prod"])
            let item = try await admin.send(.put, path + "/owner_team", json: #"{"meta": {"owner_team": "infra"}}"#)
            #expect(try item.object()["meta"] as? [String: String] == ["owner_team": "infra"])
            #expect(try await admin.send(.put, path + "/a", json: #"{"meta": {"b": "x"}}"#).status == .badRequest)
            #expect(try await admin.send(.get, path + "/owner_team").object()["meta"] as? [String: String] == ["owner_team": "infra"])
            #expect(try await admin.send(.delete, path + "/owner_team").status == .noContent)
            #expect(try await admin.send(.get, path + "/owner_team").status == .notFound)
            let glance = try await admin.show(id)
            #expect(glance["purpose"] as? String == "prod" && glance["owner_team"] == nil, "the changes are Glance's properties")

            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            #expect(try await bob.send(.get, path).status == .notFound)
            #expect(try await bob.send(.post, path, json: #"{"metadata": {"x": "y"}}"#).status == .notFound)
            #expect(try await bob.send(.delete, "/compute/v2.1/images/\(id)").status == .notFound)
            #expect(try await admin.send(.delete, "/compute/v2.1/images/\(id)").status == .noContent)
            #expect(try await admin.send(.get, "/image/v2/images/\(id)").status == .notFound)
        }
    }

    @Test("Glance's side: an image's tasks are an empty list; errors are webob's page unless JSON is asked for; versions at /image/versions")
    func glanceClientSurfaces() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createImageID(#"{"name": "x"}"#)
            let tasks = try await admin.send(.get, "/image/v2/images/\(id)/tasks")
            #expect(tasks.status == .ok)
            #expect(try (tasks.object()["tasks"] as? [Any])?.isEmpty == true)
            let missing = "/image/v2/images/00000000-0000-4000-8000-000000000000"
            #expect(try await admin.send(.get, missing + "/tasks").status == .notFound)
            let page = try await admin.send(.get, missing, headers: [.accept: "*/*"])
            #expect(page.status == .notFound && page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("<title>404 Not Found</title>") && page.text.contains("No image found"), "\(page.text)")
            let json = try await admin.send(.get, missing, headers: [.accept: "application/json"])
            #expect(json.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(try json.object()["code"] as? String == "404 Not Found")
            let versions = try await client.execute(uri: "/image/versions", method: .get) { $0 }
            #expect(versions.status == .ok)
            #expect(versions.text.contains("\"versions\""))
        }
    }
}
