import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// What each compute microversion up to the maximum changes, asked for with
/// `OpenStack-API-Version` as the clients ask.
@Suite("Compute microversions in process")
struct ComputeMicroversionTests {
    static func send(_ caller: Caller, _ method: HTTPRequest.Method, _ path: String, _ version: String, json: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [HTTPField.Name("OpenStack-API-Version")!: "compute \(version)"]
        if json != nil { headers[.contentType] = "application/json" }
        return try await caller.send(method, path, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    @Test("key pairs: 2.2 adds the type and answers 201 and 204; 2.10 lets an admin keep another user's; members may not")
    func keypairs() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let typed = #"{"keypair": {"name": "k1", "type": "ssh"}}"#
            #expect(try await Self.send(admin, .post, "/compute/v2.1/os-keypairs", "2.1", json: typed).status == .badRequest, "no type before 2.2")
            let old = try await Self.send(admin, .post, "/compute/v2.1/os-keypairs", "2.1", json: #"{"keypair": {"name": "k1"}}"#)
            let oldBody = try #require(try old.object()["keypair"] as? [String: Any])
            #expect(old.status == .ok && oldBody["type"] == nil)
            #expect(try await Self.send(admin, .delete, "/compute/v2.1/os-keypairs/k1", "2.1").status == .accepted)

            let new = try await Self.send(admin, .post, "/compute/v2.1/os-keypairs", "2.2", json: typed)
            let newBody = try #require(try new.object()["keypair"] as? [String: Any])
            #expect(new.status == .created && newBody["type"] as? String == "ssh", "\(new.text)")
            let unknown = try await Self.send(admin, .post, "/compute/v2.1/os-keypairs", "2.2", json: #"{"keypair": {"name": "k2", "type": "gpg"}}"#)
            #expect(unknown.status == .badRequest)
            let listed = try await Self.send(admin, .get, "/compute/v2.1/os-keypairs", "2.2").object()["keypairs"] as? [[String: Any]]
            #expect((listed?.first?["keypair"] as? [String: Any])?["type"] as? String == "ssh")
            #expect(try await Self.send(admin, .delete, "/compute/v2.1/os-keypairs/k1", "2.2").status == .noContent)

            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            let bobID = try await bob.userID()
            let forBob = #"{"keypair": {"name": "deploy", "user_id": "\#(bobID)"}}"#
            #expect(try await Self.send(admin, .post, "/compute/v2.1/os-keypairs", "2.9", json: forBob).status == .badRequest, "no user_id before 2.10")
            #expect(try await Self.send(admin, .post, "/compute/v2.1/os-keypairs", "2.10", json: forBob).status == .created)
            let bobs = try await Self.send(bob, .get, "/compute/v2.1/os-keypairs", "2.10").object()["keypairs"] as? [[String: Any]]
            #expect(bobs?.compactMap { ($0["keypair"] as? [String: Any])?["name"] as? String } == ["deploy"])
            let adminID = try await admin.userID()
            #expect(try await Self.send(bob, .get, "/compute/v2.1/os-keypairs?user_id=\(adminID)", "2.10").status == .forbidden)
            #expect(try await Self.send(admin, .delete, "/compute/v2.1/os-keypairs/deploy?user_id=\(bobID)", "2.10").status == .noContent)
        }
    }

    @Test("the server view grows by microversion: 2.3 and 2.16 for admins, 2.9 locked, 2.19 description; 2.13 server group owners")
    func serverViews() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let iso = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            let described = #"{"server": {"name": "Web Server_1", "imageRef": "\#(iso)", "flavorRef": "1", "description": "the web"}}"#
            #expect(try await Self.send(admin, .post, "/compute/v2.1/servers", "2.18", json: described).status == .badRequest)
            let created = try await Self.send(admin, .post, "/compute/v2.1/servers", "2.19", json: described)
            #expect(created.status == .accepted, "\(created.text)")
            let id = try #require((try created.object()["server"] as? [String: Any])?["id"] as? String)

            let plain = try #require(try await Self.send(admin, .get, "/compute/v2.1/servers/\(id)", "2.1").object()["server"] as? [String: Any])
            for key in ["locked", "description", "host_status", "OS-EXT-SRV-ATTR:hostname"] { #expect(plain[key] == nil, "\(key) at 2.1") }
            let shown = try #require(try await Self.send(admin, .get, "/compute/v2.1/servers/\(id)", "2.20").object()["server"] as? [String: Any])
            #expect(shown["locked"] as? Bool == false && shown["description"] as? String == "the web" && shown["host_status"] as? String == "UP")
            #expect(shown["OS-EXT-SRV-ATTR:hostname"] as? String == "web-server-1")
            #expect((shown["OS-EXT-SRV-ATTR:reservation_id"] as? String)?.hasPrefix("r-") == true && shown["OS-EXT-SRV-ATTR:launch_index"] as? Int == 0)

            let cleared = try await Self.send(admin, .put, "/compute/v2.1/servers/\(id)", "2.19", json: #"{"server": {"description": null}}"#)
            let clearedBody = try #require(try cleared.object()["server"] as? [String: Any])
            #expect(cleared.status == .ok && clearedBody["description"] is NSNull, "\(cleared.text)")
            #expect(try await Self.send(admin, .put, "/compute/v2.1/servers/\(id)", "2.18", json: #"{"server": {"description": "x"}}"#).status == .badRequest)

            let group = try await Self.send(admin, .post, "/compute/v2.1/os-server-groups", "2.13", json: #"{"server_group": {"name": "g", "policies": ["affinity"]}}"#)
            let body = try #require(try group.object()["server_group"] as? [String: Any])
            let adminUser = try await admin.userID()
            #expect(body["project_id"] as? String != nil && body["user_id"] as? String == adminUser)
            let soft = #"{"server_group": {"name": "s", "policies": ["soft-affinity"]}}"#
            #expect(try await Self.send(admin, .post, "/compute/v2.1/os-server-groups", "2.14", json: soft).status == .badRequest)
            #expect(try await Self.send(admin, .post, "/compute/v2.1/os-server-groups", "2.15", json: soft).status == .ok)

            #expect((try await Self.send(admin, .get, "/compute/v2.1/servers?ip6=.*", "2.5").object()["servers"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("actions come and go by microversion: the old console actions end at 2.6, trigger_crash_dump starts at 2.17")
    func actions() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let iso = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            let id = try #require(try await ComputeServerInfoTests.activeServer(admin, iso, name: "vm")["id"] as? String)
            let path = "/compute/v2.1/servers/\(id)/action"
            let console = #"{"os-getSerialConsole": {"type": "serial"}}"#
            #expect(try await Self.send(admin, .post, path, "2.5", json: console).status == .ok)
            #expect(try await Self.send(admin, .post, path, "2.6", json: console).status == .notFound)
            let dump = #"{"trigger_crash_dump": null}"#
            #expect(try await Self.send(admin, .post, path, "2.16", json: dump).status == .notFound)
            #expect(try await Self.send(admin, .post, path, "2.17", json: #"{"trigger_crash_dump": {}}"#).status == .badRequest)
            #expect(try await Self.send(admin, .post, path, "2.17", json: dump).status == .accepted)
            #expect(try await Self.send(admin, .post, path, "2.17", json: #"{"os-stop": null}"#).status == .accepted)
            for _ in 0..<100 {
                let status = (try await admin.send(.get, "/compute/v2.1/servers/\(id)").object()["server"] as? [String: Any])?["status"] as? String
                if status == "SHUTOFF" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await Self.send(admin, .post, path, "2.17", json: dump).status == .conflict, "a stopped server has no guest to interrupt")
        }
    }
}

extension Caller {
    /// The caller's user id, from its own token.
    func userID() async throws -> String {
        let response = try await send(.get, "/identity/v3/auth/tokens", headers: [HTTPField.Name("X-Subject-Token")!: token])
        let user = (try response.object()["token"] as? [String: Any])?["user"] as? [String: Any]
        return try #require(user?["id"] as? String)
    }
}
