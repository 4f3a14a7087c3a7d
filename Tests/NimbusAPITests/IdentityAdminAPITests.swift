import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The Identity administration endpoints the Image tests rely on, and the
/// answers `openstack project/user/role` commands depend on.
@Suite("Identity administration API in process")
struct IdentityAdminAPITests {
    @Test("creating a project with a name already taken in the domain is 409")
    func duplicateProject() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let id = try await admin.createProject("project-b")
            let again = try await admin.send(.post, "/identity/v3/projects", json: #"{"project": {"name": "project-b", "domain_id": "default"}}"#)
            #expect(again.status == .conflict)
            let error = try #require(try again.object()["error"] as? [String: Any])
            #expect(error["code"] as? Int == 409)
            #expect((error["message"] as? String)?.isEmpty == false)
            let listed = try await admin.send(.get, "/identity/v3/projects?name=project-b").object()
            #expect((listed["projects"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [id])
        }
    }

    @Test("a non-admin cannot list or create users (403); an admin can")
    func nonAdminUsers() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            let list = try await bob.send(.get, "/identity/v3/users")
            #expect(list.status == .forbidden)
            #expect((try list.object()["error"] as? [String: Any])?["code"] as? Int == 403)
            let create = try await bob.send(.post, "/identity/v3/users", json: #"{"user": {"name": "mallory", "password": "x"}}"#)
            #expect(create.status == .forbidden)
            let projectCreate = try await bob.send(.post, "/identity/v3/projects", json: #"{"project": {"name": "bobs-own"}}"#)
            #expect(projectCreate.status == .forbidden)

            let users = try await admin.send(.get, "/identity/v3/users").object()
            let names = (users["users"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(Set(names) == ["admin", "bob"])
        }
    }

    @Test("GET /users/{name} is 404, so clients fall back from id to name lookup; by id and ?name= work")
    func userByName() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-b")
            let id = try await admin.createUser("bob", password: "pw", project: project)
            let byName = try await admin.send(.get, "/identity/v3/users/bob")
            #expect(byName.status == .notFound)
            #expect((try byName.object()["error"] as? [String: Any])?["code"] as? Int == 404)
            let byID = try await admin.send(.get, "/identity/v3/users/\(id)")
            #expect(byID.status == .ok)
            #expect((try byID.object()["user"] as? [String: Any])?["name"] as? String == "bob")
            let query = try await admin.send(.get, "/identity/v3/users?name=bob").object()
            #expect((query["users"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [id])
        }
    }

    @Test("roles are found by name; granting one lets the user scope a token to the project")
    func roleAssignment() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let roles = try await admin.send(.get, "/identity/v3/roles").object()
            let names = Set((roles["roles"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
            #expect(names.isSuperset(of: ["admin", "member", "reader"]))
            let none = try await admin.send(.get, "/identity/v3/roles?name=nonexistent").object()
            #expect((none["roles"] as? [Any])?.isEmpty == true)

            let project = try await admin.createProject("project-b")
            let user = try await admin.createUser("bob", password: "pw-bob", project: project)
            // Without a role, bob cannot scope to project-b.
            let body = """
                {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "bob", "domain": {"id": "default"}, "password": "pw-bob"}}},
                 "scope": {"project": {"name": "project-b", "domain": {"id": "default"}}}}}
                """
            let unscoped = try await client.execute(uri: "/identity/v3/auth/tokens", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(unscoped.status == .unauthorized)

            try await admin.grant(role: "member", project: project, user: user)
            let member = try await admin.roleID(named: "member")
            let check = try await admin.send(.head, "/identity/v3/projects/\(project)/users/\(user)/roles/\(member)")
            #expect(check.status == .noContent)
            let bob = Caller(client: client, token: try await client.token(user: "bob", password: "pw-bob", project: "project-b"))
            #expect(try await bob.send(.get, "/image/v2/images").status == .ok)
            let unknownRole = try await admin.send(.put, "/identity/v3/projects/\(project)/users/\(user)/roles/nope")
            #expect(unknownRole.status == .notFound)
        }
    }
}
