import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Keystone system scope and domains in process")
struct IdentitySystemAndDomainTests {
    static func authBody(user: String, password: String, domain: String = "default", scope: String) -> String {
        """
        {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "\(user)", "domain": {"id": "\(domain)"}, "password": "\(password)"}}},
         "scope": \(scope)}}
        """
    }

    @Test("a role on the system gives a system-scoped token whose roles and scope say so; without one the token is refused")
    func systemScope() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-b")
            let user = try await admin.createUser("sysop", password: "pw-sysop", project: project)
            let adminRole = try await admin.roleID(named: "admin")
            let system = #"{"system": {"all": true}}"#
            func token(_ scope: String = system) async throws -> TestResponse {
                try await client.execute(uri: "/identity/v3/auth/tokens", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: Self.authBody(user: "sysop", password: "pw-sysop", scope: scope)))
            }
            #expect(try await token().status == .unauthorized, "no role on the system yet")
            #expect(try await admin.send(.head, "/identity/v3/system/users/\(user)/roles/\(adminRole)").status == .notFound)
            #expect(try await admin.send(.put, "/identity/v3/system/users/\(user)/roles/\(adminRole)").status == .noContent)
            #expect(try await admin.send(.head, "/identity/v3/system/users/\(user)/roles/\(adminRole)").status == .noContent)
            let listed = try await admin.send(.get, "/identity/v3/system/users/\(user)/roles").object()
            #expect((listed["roles"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["admin"])
            let assignments = try await admin.send(.get, "/identity/v3/role_assignments?scope.system=all").object()
            let scopes = (assignments["role_assignments"] as? [[String: Any]] ?? []).compactMap { $0["scope"] as? [String: Any] }
            #expect(scopes.contains { ($0["system"] as? [String: Bool]) == ["all": true] })

            let issued = try await token()
            #expect(issued.status == .created, "\(issued.text)")
            let body = try #require(try issued.object()["token"] as? [String: Any])
            #expect(body["system"] as? [String: Bool] == ["all": true] && body["project"] == nil)
            #expect((body["roles"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["admin"])
            let secret = try #require(issued.headers[HTTPField.Name("X-Subject-Token")!])
            let sysop = Caller(client: client, token: secret)
            let validated = try await sysop.send(.get, "/identity/v3/auth/tokens", headers: [HTTPField.Name("X-Subject-Token")!: secret])
            let again = try #require(try validated.object()["token"] as? [String: Any])
            #expect(again["issued_at"] as? String == body["issued_at"] as? String, "the same timestamps on issue and validation")
            #expect(again["expires_at"] as? String == body["expires_at"] as? String)
            #expect(again["system"] as? [String: Bool] == ["all": true])
            // A system admin administers identity; a project API wants a project.
            #expect(try await sysop.send(.get, "/identity/v3/users").status == .ok)
            #expect(try await sysop.send(.get, "/compute/v2.1/servers").status == .forbidden)

            let member = try await admin.createUser("plain", password: "pw-plain", project: project)
            try await admin.grant(role: "member", project: project, user: member)
            let plain = Caller(client: client, token: try await client.token(user: "plain", password: "pw-plain", project: "project-b"))
            #expect(try await plain.send(.put, "/identity/v3/system/users/\(member)/roles/\(adminRole)").status == .forbidden)

            #expect(try await admin.send(.delete, "/identity/v3/system/users/\(user)/roles/\(adminRole)").status == .noContent)
            #expect(try await sysop.send(.get, "/identity/v3/users").status == .unauthorized, "a revoked system role ends its tokens")
            #expect(try await admin.send(.delete, "/identity/v3/system/users/\(user)/roles/\(adminRole)").status == .notFound)
        }
    }

    @Test("domains are made, renamed, disabled and deleted with their projects and users; the default domain stays")
    func domains() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let created = try await admin.send(.post, "/identity/v3/domains", json: #"{"domain": {"name": "lab", "description": "a lab"}}"#)
            #expect(created.status == .created, "\(created.text)")
            let domain = try #require(try created.object()["domain"] as? [String: Any])
            let id = try #require(domain["id"] as? String)
            #expect(domain["enabled"] as? Bool == true && domain["description"] as? String == "a lab")
            #expect(try await admin.send(.post, "/identity/v3/domains", json: #"{"domain": {"name": "lab"}}"#).status == .conflict)
            let project = try await admin.send(.post, "/identity/v3/projects", json: #"{"project": {"name": "p", "domain_id": "\#(id)"}}"#)
            #expect(project.status == .created)
            let user = try await admin.send(.post, "/identity/v3/users", json: #"{"user": {"name": "u", "password": "pw-u", "domain_id": "\#(id)"}}"#)
            let userID = try #require((try user.object()["user"] as? [String: Any])?["id"] as? String)
            let projectID = try #require((try project.object()["project"] as? [String: Any])?["id"] as? String)
            _ = try await admin.grant(role: "member", project: projectID, user: userID)
            let login = Self.authBody(user: "u", password: "pw-u", domain: id, scope: #"{"project": {"id": "\#(projectID)"}}"#)
            func logIn() async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/identity/v3/auth/tokens", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: login)).status
            }
            #expect(try await logIn() == .created)

            let renamed = try await admin.send(.patch, "/identity/v3/domains/\(id)", json: #"{"domain": {"name": "lab-2"}}"#)
            #expect((try renamed.object()["domain"] as? [String: Any])?["name"] as? String == "lab-2")
            #expect(try await admin.send(.delete, "/identity/v3/domains/\(id)").status == .forbidden, "an enabled domain is not deleted")
            #expect(try await admin.send(.patch, "/identity/v3/domains/\(id)", json: #"{"domain": {"enabled": false}}"#).status == .ok)
            #expect(try await logIn() == .unauthorized, "users of a disabled domain cannot log in")
            #expect(try await admin.send(.delete, "/identity/v3/domains/\(id)").status == .noContent)
            #expect(try await admin.send(.get, "/identity/v3/domains/\(id)").status == .notFound)
            #expect(try await admin.send(.get, "/identity/v3/users/\(userID)").status == .notFound, "its users went with it")
            #expect(try await admin.send(.get, "/identity/v3/projects/\(projectID)").status == .notFound, "its projects too")
            #expect(try await admin.send(.delete, "/identity/v3/domains/default").status == .forbidden)
            #expect(try await admin.send(.patch, "/identity/v3/domains/default", json: #"{"domain": {"enabled": false}}"#).status == .forbidden)
        }
    }

    @Test("Keystone's smaller rules: own password change ends sessions, projects listed by admins only, name limits, unknown domains")
    func smallerRules() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            #expect(try await bob.send(.get, "/identity/v3/projects").status == .forbidden)
            let own = try await bob.send(.get, "/identity/v3/auth/projects").object()
            #expect((own["projects"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["project-b"])
            #expect((try await bob.send(.get, "/identity/v3/auth/system").object()["system"] as? [Any])?.isEmpty == true)
            #expect((try await admin.send(.get, "/identity/v3/auth/domains").object()["domains"] as? [Any])?.isEmpty == true)

            let long = String(repeating: "p", count: 65)
            #expect(try await admin.send(.post, "/identity/v3/projects", json: #"{"project": {"name": "\#(long)"}}"#).status == .badRequest)
            #expect(try await admin.send(.post, "/identity/v3/projects", json: #"{"project": {"name": "\#(long.dropLast())"}}"#).status == .created)
            #expect(try await admin.send(.post, "/identity/v3/users", json: #"{"user": {"name": "x", "domain_id": "nowhere"}}"#).status == .notFound)

            let users = try await admin.send(.get, "/identity/v3/users?name=bob").object()
            let id = try #require((users["users"] as? [[String: Any]])?.first?["id"] as? String)
            let wrong = try await bob.send(.post, "/identity/v3/users/\(id)/password", json: #"{"user": {"original_password": "nope", "password": "new-pw"}}"#)
            #expect(wrong.status == .unauthorized)
            let adminUser = try #require((try await admin.send(.get, "/identity/v3/users?name=admin").object()["users"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await bob.send(.post, "/identity/v3/users/\(adminUser)/password", json: #"{"user": {"original_password": "x", "password": "y"}}"#).status == .forbidden)
            #expect(try await admin.send(.post, "/identity/v3/users/\(id)/password", json: #"{"user": {"original_password": "x", "password": "y"}}"#).status == .unauthorized,
                    "an admin may change it too, with the password it has")
            let changed = try await bob.send(.post, "/identity/v3/users/\(id)/password", json: #"{"user": {"original_password": "pw-bob", "password": "new-pw"}}"#)
            #expect(changed.status == .noContent, "\(changed.text)")
            #expect(try await bob.send(.get, "/identity/v3/auth/projects").status == .unauthorized, "a changed password ends the sessions")
            _ = try await client.token(user: "bob", password: "new-pw", project: "project-b")
        }
    }

    @Test("a group's role on a project is each member's: a member scopes to it, and loses it on leaving the group")
    func groups() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("team-project")
            let user = try await admin.createUser("carol", password: "pw-carol", project: project)
            let made = try await admin.send(.post, "/identity/v3/groups", json: #"{"group": {"name": "devs", "description": "developers"}}"#)
            #expect(made.status == .created, "\(made.text)")
            let group = try #require((try made.object()["group"] as? [String: Any])?["id"] as? String)
            #expect(try await admin.send(.post, "/identity/v3/groups", json: #"{"group": {"name": "devs"}}"#).status == .conflict)
            let member = try await admin.roleID(named: "member")
            #expect(try await admin.send(.put, "/identity/v3/projects/\(project)/groups/\(group)/roles/\(member)").status == .noContent)
            #expect(try await admin.send(.head, "/identity/v3/projects/\(project)/groups/\(group)/roles/\(member)").status == .noContent)
            #expect(try await admin.send(.head, "/identity/v3/groups/\(group)/users/\(user)").status == .notFound)
            #expect(try await admin.send(.put, "/identity/v3/groups/\(group)/users/\(user)").status == .noContent)
            #expect(try await admin.send(.head, "/identity/v3/groups/\(group)/users/\(user)").status == .noContent)
            let members = try await admin.send(.get, "/identity/v3/groups/\(group)/users").object()
            #expect((members["users"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["carol"])

            let carol = Caller(client: client, token: try await client.token(user: "carol", password: "pw-carol", project: "team-project"))
            let ownGroups = try await carol.send(.get, "/identity/v3/users/\(user)/groups").object()
            #expect((ownGroups["groups"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["devs"])
            #expect(try await carol.send(.get, "/image/v2/images").status == .ok, "the group's role lets carol work in the project")
            let effective = try await admin.send(.get, "/identity/v3/role_assignments?user.id=\(user)&effective").object()
            #expect((effective["role_assignments"] as? [[String: Any]])?.count == 1)
            let byGroup = try await admin.send(.get, "/identity/v3/role_assignments?group.id=\(group)").object()
            #expect(((byGroup["role_assignments"] as? [[String: Any]])?.first?["group"] as? [String: Any])?["id"] as? String == group)

            #expect(try await admin.send(.delete, "/identity/v3/groups/\(group)/users/\(user)").status == .noContent)
            #expect(try await carol.send(.get, "/image/v2/images").status == .unauthorized, "leaving the group ends the role at once")
            #expect(try await admin.send(.delete, "/identity/v3/groups/\(group)").status == .noContent)
            #expect(try await admin.send(.get, "/identity/v3/groups/\(group)").status == .notFound)
        }
    }

    @Test("an application credential logs in to its project with its roles only, until it expires or is deleted")
    func applicationCredentials() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("ci")
            let user = try await admin.createUser("robot", password: "pw-robot", project: project)
            try await admin.grant(role: "member", project: project, user: user)
            try await admin.grant(role: "reader", project: project, user: user)
            let robot = Caller(client: client, token: try await client.token(user: "robot", password: "pw-robot", project: "ci"))
            let path = "/identity/v3/users/\(user)/application_credentials"
            let made = try await robot.send(.post, path, json: #"{"application_credential": {"name": "deploy", "roles": [{"name": "reader"}]}}"#)
            #expect(made.status == .created, "\(made.text)")
            let credential = try #require(try made.object()["application_credential"] as? [String: Any])
            let id = try #require(credential["id"] as? String)
            let secret = try #require(credential["secret"] as? String)
            #expect(credential["project_id"] as? String == project && credential["unrestricted"] as? Bool == false)
            #expect((credential["roles"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["reader"])
            #expect(try await robot.send(.post, path, json: #"{"application_credential": {"name": "deploy"}}"#).status == .conflict)
            #expect(try await robot.send(.post, path, json: #"{"application_credential": {"name": "x", "roles": [{"name": "admin"}]}}"#).status == .badRequest,
                    "a role the user does not hold is refused")
            let listed = try await robot.send(.get, path).object()
            #expect((listed["application_credentials"] as? [[String: Any]])?.first?["secret"] == nil, "the secret is answered once")

            func login(_ identity: String) async throws -> TestResponse {
                try await client.execute(uri: "/identity/v3/auth/tokens", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: #"{"auth": {"identity": {"methods": ["application_credential"], "application_credential": \#(identity)}}}"#))
            }
            let byID = try await login(#"{"id": "\#(id)", "secret": "\#(secret)"}"#)
            #expect(byID.status == .created, "\(byID.text)")
            let token = try #require(try byID.object()["token"] as? [String: Any])
            #expect((token["project"] as? [String: Any])?["id"] as? String == project)
            #expect((token["roles"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["reader"])
            #expect((token["application_credential"] as? [String: Any])?["restricted"] as? Bool == true)
            let byName = try await login(#"{"name": "deploy", "secret": "\#(secret)", "user": {"name": "robot", "domain": {"id": "default"}}}"#)
            #expect(byName.status == .created)
            #expect(try await login(#"{"id": "\#(id)", "secret": "wrong"}"#).status == .unauthorized)

            let reader = Caller(client: client, token: try #require(byID.headers[HTTPField.Name("X-Subject-Token")!]))
            #expect(try await reader.send(.get, "/image/v2/images").status == .ok)
            #expect(try await reader.send(.post, "/image/v2/images", json: #"{"name": "x"}"#).status == .forbidden, "a reader's credential cannot write")
            #expect(try await reader.send(.post, path, json: #"{"application_credential": {"name": "more"}}"#).status == .forbidden,
                    "a restricted credential makes no more credentials")

            let expired = try await robot.send(.post, path, json: #"{"application_credential": {"name": "old", "expires_at": "2000-01-01T00:00:00"}}"#)
            #expect(expired.status == .badRequest)
            #expect(try await robot.send(.delete, path + "/\(id)").status == .noContent)
            #expect(try await reader.send(.get, "/image/v2/images").status == .unauthorized, "deleting a credential ends its tokens")
            #expect(try await login(#"{"id": "\#(id)", "secret": "\#(secret)"}"#).status == .unauthorized)
        }
    }

    @Test("an implied role comes with the role that implies it, in tokens and at once")
    func impliedRoles() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("p")
            let user = try await admin.createUser("dave", password: "pw-dave", project: project)
            let made = try await admin.send(.post, "/identity/v3/roles", json: #"{"role": {"name": "operator"}}"#)
            let operatorRole = try #require((try made.object()["role"] as? [String: Any])?["id"] as? String)
            let reader = try await admin.roleID(named: "reader")
            try await admin.grant(role: "operator", project: project, user: user)
            let before = try await client.execute(uri: "/identity/v3/auth/tokens", method: .post, headers: [.contentType: "application/json"],
                                                  body: ByteBuffer(string: Self.authBody(user: "dave", password: "pw-dave", scope: #"{"project": {"id": "\#(project)"}}"#)))
            let dave = Caller(client: client, token: try #require(before.headers[HTTPField.Name("X-Subject-Token")!]))
            #expect(try await dave.send(.get, "/image/v2/images").status == .forbidden, "operator alone reads nothing")

            let inferred = try await admin.send(.put, "/identity/v3/roles/\(operatorRole)/implies/\(reader)")
            #expect(inferred.status == .created, "\(inferred.text)")
            #expect(try await admin.send(.head, "/identity/v3/roles/\(operatorRole)/implies/\(reader)").status == .noContent)
            #expect(try await admin.send(.put, "/identity/v3/roles/\(reader)/implies/\(reader)").status == .badRequest)
            let all = try await admin.send(.get, "/identity/v3/role_inferences").object()
            #expect((all["role_inferences"] as? [[String: Any]])?.count == 1)
            #expect(try await dave.send(.get, "/image/v2/images").status == .ok, "the implied reader role holds at once")
            let shown = try await admin.send(.get, "/identity/v3/auth/tokens", headers: [HTTPField.Name("X-Subject-Token")!: dave.token]).object()
            let roles = ((shown["token"] as? [String: Any])?["roles"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(roles == ["operator", "reader"])
            #expect(try await admin.send(.delete, "/identity/v3/roles/\(operatorRole)/implies/\(reader)").status == .noContent)
            #expect(try await dave.send(.get, "/image/v2/images").status == .forbidden)
        }
    }

    @Test("lists filter by enabled; a role is renamed and described, a built-in one keeps its name")
    func filtersAndRoles() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            _ = try await admin.send(.post, "/identity/v3/projects", json: #"{"project": {"name": "off", "enabled": false}}"#)
            let disabled = try await admin.send(.get, "/identity/v3/projects?enabled=false").object()
            #expect((disabled["projects"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["off"])
            let enabled = try await admin.send(.get, "/identity/v3/projects?enabled=true").object()
            #expect((enabled["projects"] as? [[String: Any]])?.contains { $0["name"] as? String == "off" } == false)
            #expect((try await admin.send(.get, "/identity/v3/domains?enabled=false").object()["domains"] as? [Any])?.isEmpty == true)

            let made = try await admin.send(.post, "/identity/v3/roles", json: #"{"role": {"name": "auditor"}}"#)
            let id = try #require((try made.object()["role"] as? [String: Any])?["id"] as? String)
            let renamed = try await admin.send(.patch, "/identity/v3/roles/\(id)", json: #"{"role": {"name": "inspector", "description": "reads logs"}}"#)
            #expect((try renamed.object()["role"] as? [String: Any])?["name"] as? String == "inspector")
            let member = try await admin.roleID(named: "member")
            #expect(try await admin.send(.patch, "/identity/v3/roles/\(member)", json: #"{"role": {"name": "worker"}}"#).status == .forbidden)
            #expect(try await admin.send(.patch, "/identity/v3/roles/\(id)", json: #"{"role": {"name": "reader"}}"#).status == .conflict)
        }
    }
}
