import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NimbusAPI
import NimbusCore
import Testing

/// Every operation of the API description, which a test holds to the router,
/// called as someone who must be refused. A new route is covered as soon as
/// it is described; no one writes a test for it.
@Suite("Every route against every wrong caller, from the route table")
struct RouteIsolationTests {
    /// What the API serves to token holders (the dashboard has its own session
    /// and tests; consoles their one-time grants).
    static let guarded = APIDescription.operations.filter { ![.anyone, .grant, .session].contains($0.access) }

    @Test("no token, a revoked token or an expired one: every operation that needs a token answers 401")
    func withoutAValidToken() async throws {
        try await TestCloud().withClient { client in
            let admin = try await Caller.admin(client)
            let revoked = try await client.token()
            let revocation = try await admin.send(.delete, "/identity/v3/auth/tokens", headers: [.xSubjectToken: revoked])
            try #require(revocation.status == .noContent)
            try await Self.expectUnauthorized(client, [("no token", nil), ("a revoked token", revoked)], subject: revoked)
        }
        // Tokens of a second live here: one is issued, then left to expire.
        try await TestCloud(tokenLifetime: 1).withClient { client in
            let expiring = try await client.token()
            try await Task.sleep(for: .seconds(1.5))
            try await Self.expectUnauthorized(client, [("an expired token", expiring)], subject: expiring)
        }
    }

    static func expectUnauthorized(_ client: any TestClientProtocol, _ callers: [(String, String?)], subject: String) async throws {
        for operation in guarded {
            let path = fill(operation.path) { _, _ in "00000000-0000-4000-8000-000000000000" }
            for (caller, token) in callers {
                var headers: HTTPFields = [.accept: "application/json", .contentType: operation.bodyType]
                if let token { headers[.authToken] = token }
                if operation.path.hasPrefix("/identity/v3/auth/tokens") { headers[.xSubjectToken] = subject }
                let response = try await client.execute(uri: path, method: HTTPRequest.Method(operation.method)!, headers: headers, body: body(operation))
                #expect(response.status == .unauthorized, "\(operation.method) \(path) with \(caller) gave \(response.status): \(response.text.prefix(200))")
            }
        }
    }

    @Test("another project's member and an unscoped token: every operation on the admin project's resources is refused and changes nothing; admin operations refuse them; lists show none of it")
    func anotherProjectsMember() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let resources = try await Resources.make(admin)
            let projectB = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: projectB, projectName: "project-b")

            // What the admin project's resources look like, through every GET that names one.
            let shows = Self.guarded.filter { $0.method == "GET" && !$0.parameters.isEmpty && !Self.volatile.contains($0.path) }
            func snapshot() async throws -> [String: String] {
                var bodies: [String: String] = [:]
                for operation in shows {
                    let path = Self.fill(operation.path, resources.value)
                    let response = try await admin.send(.get, path)
                    bodies[path] = "\(response.status.code) \(response.text)"
                }
                return bodies
            }
            let before = try await snapshot()
            #expect(before.values.filter { $0.hasPrefix("200") }.count >= 60, "the fixture should give most shows something to show")

            let drifter = Caller(client: client, token: try await Self.unscopedToken(admin))
            var refused = 0
            for (who, caller) in [("another project's member", bob), ("an unscoped token", drifter)] {
                for operation in Self.guarded {
                    let method = HTTPRequest.Method(operation.method)!
                    if operation.parameters.isEmpty {
                        if operation.access == .admin {
                            let response = try await caller.send(method, operation.path, headers: [.contentType: operation.bodyType], body: Self.body(operation))
                            #expect([.unauthorized, .forbidden].contains(response.status), "admin-only \(operation.route) gave \(who) \(response.status): \(response.text.prefix(300))")
                            refused += 1
                        } else if method == .get {
                            let text = try await caller.send(.get, operation.path).text
                            for (name, id) in resources.privateIDs where text.contains(id) {
                                Issue.record("\(operation.route) shows the admin project's \(name) to \(who)")
                            }
                        }
                        continue
                    }
                    let path = Self.fill(operation.path) { parameter, collection in
                        // A body that names the item the path names: the example's own key.
                        if case .object(let body)? = operation.example, case .object(let item)? = body["meta"], let key = item.keys.first, parameter == "key" { return key }
                        return resources.value(parameter, collection)
                    }
                    // A path the fixture could not fill would be refused for nothing.
                    #expect(!path.contains("missing-"), "no resource for \(operation.route): \(path)")
                    if Self.sharedWithEveryone[operation.route] != nil { continue }
                    let response = try await caller.send(method, path, headers: [.contentType: operation.bodyType], body: Self.body(operation))
                    // 401 for a token without a project, 403 where OpenStack says so, 404 where it hides that the resource exists.
                    let expected: Set<HTTPResponse.Status> = [.unauthorized, .forbidden, .notFound]
                    #expect(expected.contains(response.status), "\(operation.method) \(path) gave \(who) \(response.status): \(response.text.prefix(300))")
                    refused += 1
                }
            }
            print("route isolation: \(refused) calls refused to another project's member and to an unscoped token")

            let after = try await snapshot()
            for (path, body) in before where after[path] != body {
                Issue.record("\(path) changed while another project's member was refused:\nbefore: \(body.prefix(300))\nafter:  \(after[path]?.prefix(300) ?? "nil")")
            }
        }
    }

    /// A token without a project: its user has no default project to fall back on.
    static func unscopedToken(_ admin: Caller) async throws -> String {
        let made = try await admin.send(.post, "/identity/v3/users", json: #"{"user": {"name": "drifter", "password": "drifter-secret", "domain_id": "default"}}"#)
        try #require(made.status == .created)
        let body = #"{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "drifter", "domain": {"id": "default"}, "password": "drifter-secret"}}}}}"#
        let response = try await admin.client.execute(
            uri: "/identity/v3/auth/tokens", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
        #expect(try response.object()["token"].flatMap { ($0 as? [String: Any])?["project"] } == nil, "the token should be unscoped")
        return try #require(response.headers[.xSubjectToken])
    }

    /// Shows whose answer moves on its own: the screen.
    static let volatile: Set<String> = ["/compute/v2.1/servers/{id}/screenshot"]

    /// Operations naming a resource that OpenStack shows to every project, and why.
    static let sharedWithEveryone: [String: String] = [
        "GET /network/v2.0/extensions/{alias}": "extensions describe the service, not a project",
        "GET /identity/v3/regions/{region}": "Keystone lets every token holder see regions",
        "GET /compute/v2.1/os-quota-sets/{project}/defaults": "Nova shows the default quotas to everyone",
        "GET /network/v2.0/quotas/{project}/default": "the defaults are the same for every project",
        "GET /identity/v3/roles/{role}": "roles are global names every project shares (member, reader)",
    ]

    /// The path with each `{parameter}` replaced by `value(parameter, the segment before it)`.
    static func fill(_ path: String, _ value: (String, String) -> String) -> String {
        var segments: [String] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: false).map(String.init) {
            if segment.hasPrefix("{"), segment.hasSuffix("}") {
                segments.append(value(String(segment.dropFirst().dropLast()), segments.last ?? ""))
            } else {
                segments.append(segment)
            }
        }
        return segments.joined(separator: "/")
    }

    static func body(_ operation: APIOperation) -> ByteBuffer? {
        if let example = operation.example { return ByteBuffer(bytes: JSONWriter.bytes(example)) }
        return operation.bodyType == "application/octet-stream" ? ByteBuffer(bytes: Caller.smallestISO) : nil
    }
}

/// Resources of the admin project, one of each kind a path can name.
struct Resources {
    /// Ids by (parameter, segment before it), e.g. ("id", "servers").
    var ids: [String: String] = [:]
    /// Ids another project must never see in a list, by what they are.
    var privateIDs: [String: String] = [:]

    func value(_ parameter: String, _ collection: String) -> String {
        ids["\(collection)/\(parameter)"] ?? ids[parameter] ?? "missing-\(collection)-\(parameter)"
    }

    static func make(_ admin: Caller) async throws -> Resources {
        var made = Resources()
        func create(_ path: String, _ json: String, _ key: String?, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
            let response = try await admin.send(.post, path, json: json)
            try #require(response.status.code < 300, "POST \(path) gave \(response.status): \(response.text)", sourceLocation: sourceLocation)
            let object = try response.object()
            let resource = key.map { object[$0] as? [String: Any] ?? [:] } ?? object
            return try #require(resource["id"] as? String, "POST \(path): \(response.text)", sourceLocation: sourceLocation)
        }
        func remember(_ name: String, _ id: String, as keys: String...) {
            for key in keys { made.ids[key] = id }
            made.privateIDs[name] = id
        }
        let adminProject = try #require(try await admin.send(.get, "/identity/v3/auth/projects").object()["projects"] as? [[String: Any]])
            .first { $0["name"] as? String == "admin" }?["id"] as? String
        let project = try #require(adminProject)
        made.ids["project"] = project
        made.ids["members/member"] = project

        // Identity
        let aliceCaller = try await admin.newUser("alice", role: "member", projectID: project, projectName: "admin")
        let alice = try #require(try await aliceCaller.send(.get, "/identity/v3/auth/tokens", headers: [.xSubjectToken: aliceCaller.token]).object()["token"] as? [String: Any])
            .flatMap { ($0["user"] as? [String: Any])?["id"] as? String } ?? ""
        made.ids["user"] = alice
        made.ids["role"] = try await admin.roleID(named: "member")
        made.ids["implied"] = try await admin.roleID(named: "reader")
        made.ids["domains/id"] = try await create("/identity/v3/domains", #"{"domain": {"name": "engineering"}}"#, "domain")
        made.ids["groups/group"] = try await create("/identity/v3/groups", #"{"group": {"name": "operators"}}"#, "group")
        made.ids["endpoint_groups/group"] = try await create(
            "/identity/v3/OS-EP-FILTER/endpoint_groups", #"{"endpoint_group": {"name": "public", "filters": {"interface": "public"}}}"#, "endpoint_group")
        made.ids["region"] = try await create("/identity/v3/regions", #"{"region": {"id": "east"}}"#, "region")
        let service = try await create("/identity/v3/services", #"{"service": {"type": "object-store", "name": "swift"}}"#, "service")
        made.ids["service"] = service
        made.ids["endpoint"] = try await create(
            "/identity/v3/endpoints", #"{"endpoint": {"service_id": "\#(service)", "interface": "public", "url": "https://objects.example.com"}}"#, "endpoint")
        made.ids["policy"] = try await create("/identity/v3/policies", #"{"policy": {"type": "application/json", "blob": "{}"}}"#, "policy")
        remember("credential", try await create(
            "/identity/v3/credentials", #"{"credential": {"type": "totp", "blob": "JBSWY3DPEHPK3PXP", "user_id": "\#(alice)"}}"#, "credential"),
            as: "credential")
        // Only its user makes an application credential, as in Keystone.
        let credential = try await aliceCaller.send(.post, "/identity/v3/users/\(alice)/application_credentials", json: #"{"application_credential": {"name": "ci"}}"#)
        made.ids["application_credentials/id"] = try #require((try credential.object()["application_credential"] as? [String: Any])?["id"] as? String)
        made.ids["tags/tag"] = "lab"
        _ = try await admin.send(.put, "/identity/v3/projects/\(project)/tags/lab")

        // Image
        let image = try await admin.activeImage(#"{"name": "private-iso", "disk_format": "iso", "container_format": "bare", "tags": ["lab"]}"#, Caller.smallestISO)
        remember("image", image, as: "images/id")

        // Compute
        let flavor = try await create("/compute/v2.1/flavors", #"{"flavor": {"name": "secret", "ram": 256, "vcpus": 1, "disk": 1, "os-flavor-access:is_public": false}}"#, "flavor")
        remember("flavor", flavor, as: "flavors/id")
        _ = try await admin.send(.post, "/compute/v2.1/flavors/\(flavor)/action", json: #"{"addTenantAccess": {"tenant": "\#(project)"}}"#)
        _ = try await admin.send(.post, "/compute/v2.1/flavors/\(flavor)/os-extra_specs", json: #"{"extra_specs": {"hw:cdrom_bus": "sata"}}"#)
        made.ids["os-extra_specs/key"] = "hw:cdrom_bus"
        let network = try await create("/network/v2.0/networks", #"{"network": {"name": "admins"}}"#, "network")
        remember("network", network, as: "networks/id")
        let subnet = try await create("/network/v2.0/subnets", #"{"subnet": {"network_id": "\#(network)", "cidr": "10.70.0.0/24", "ip_version": 4}}"#, "subnet")
        remember("subnet", subnet, as: "subnets/id")
        let server = try await create(
            "/compute/v2.1/servers",
            #"{"server": {"name": "admins-server", "imageRef": "\#(image)", "flavorRef": "1", "networks": [{"uuid": "\#(network)"}], "metadata": {"role": "web"}}}"#,
            "server")
        remember("server", server, as: "servers/id")
        made.ids["metadata/key"] = "role"
        made.ids["network"] = "admins"
        _ = try await admin.send(.put, "/compute/v2.1/servers/\(server)/tags/installed", headers: [.computeAPIVersion: "compute 2.26"])
        made.ids["request"] = try #require(
            (try await admin.send(.get, "/compute/v2.1/servers/\(server)/os-instance-actions").object()["instanceActions"] as? [[String: Any]])?.first?["request_id"] as? String)
        let keypair = try await admin.send(.post, "/compute/v2.1/os-keypairs", json: #"{"keypair": {"name": "admins-key"}}"#)
        try #require(keypair.status == .ok, "\(keypair.text)")
        made.ids["name"] = "admins-key"
        remember("server group", try await create("/compute/v2.1/os-server-groups", #"{"server_group": {"name": "web", "policies": ["affinity"]}}"#, "server_group"),
                 as: "os-server-groups/id")
        made.ids["os-hypervisors/id"] = "1"

        // Network
        let port = try await create("/network/v2.0/ports", #"{"port": {"network_id": "\#(network)", "name": "admins-port"}}"#, "port")
        remember("port", port, as: "ports/id")
        let group = try await create("/network/v2.0/security-groups", #"{"security_group": {"name": "admins-sg"}}"#, "security_group")
        remember("security group", group, as: "security-groups/id", "os-security-groups/id")
        remember("security group rule", try await create(
            "/network/v2.0/security-group-rules",
            #"{"security_group_rule": {"security_group_id": "\#(group)", "direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22}}"#,
            "security_group_rule"), as: "security-group-rules/id")
        let external = try await admin.networkID(named: "public")
        let router = try await create(
            "/network/v2.0/routers", #"{"router": {"name": "admins-router", "external_gateway_info": {"network_id": "\#(external)"}}}"#, "router")
        remember("router", router, as: "routers/id")
        let attached = try await admin.neutron(.put, "routers/\(router)/add_router_interface", #"{"subnet_id": "\#(subnet)"}"#)
        try #require(attached.status == .ok, "\(attached.text)")
        let floating = try await create("/network/v2.0/floatingips", #"{"floatingip": {"floating_network_id": "\#(external)"}}"#, "floatingip")
        remember("floating IP", floating, as: "fip", "os-floating-ips/id")
        let portBody = try await admin.neutron(.get, "ports/\(port)").object()["port"] as? [String: Any] ?? [:]
        let address = try #require(addresses(portBody).first)
        remember("port forwarding", try await create(
            "/network/v2.0/floatingips/\(floating)/port_forwardings",
            #"{"port_forwarding": {"protocol": "tcp", "external_port": 2222, "internal_port": 22, "internal_port_id": "\#(port)", "internal_ip_address": "\#(address)"}}"#,
            "port_forwarding"), as: "port_forwardings/id")
        made.ids["alias"] = "router"
        return made
    }
}

extension HTTPField.Name {
    static let xSubjectToken = Self("X-Subject-Token")!
    static let computeAPIVersion = Self("OpenStack-API-Version")!
}
