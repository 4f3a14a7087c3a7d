import Compute
import Hummingbird
import NimbusCore

/// /os-server-groups: `policies` (a list of one) and `members`; 2.13 adds
/// the owner; 2.15 the soft policies.
struct ServerGroupRoutes {
    let compute: ComputeService

    func add(to v21: RouterGroup<AuthenticatedContext>) {
        v21.get("os-server-groups") { request, context in
            try context.microversion.checkQuery(request, allowed: ["all_projects", "limit", "offset"])
            let query = QueryParameters.first(request)
            let all = query["all_projects"].map { ["1", "true", "yes", "t", "on", ""].contains($0.lowercased()) } ?? false
            var groups = try compute.serverGroups(allProjects: all, context.auth)
            // Nova pages server groups by offset.
            for key in ["offset", "limit"] {
                guard let text = query[key] else { continue }
                guard let number = Int(text), number >= 0 else {
                    throw NimbusError.badRequest("Invalid input for query parameters \(key). Value: \(text). It must be a non-negative integer.")
                }
                groups = key == "offset" ? Array(groups.dropFirst(number)) : Array(groups.prefix(number))
            }
            let members = try compute.serverGroupMembers(groups)
            let bodies = groups.map { JSONValue.object(render($0, members[$0.id] ?? [], context.microversion)) }
            return try JSONMessages.response(["server_groups": .array(bodies)] as [String: JSONValue])
        }
        v21.post("os-server-groups") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard case .object(let fields)? = body["server_group"] else {
                throw NimbusError.badRequest("Invalid input for field/attribute server_group: 'server_group' is a required property.")
            }
            // 2.64 replaced `policies` (a list of one) with `policy` and `rules`.
            let allowed: Set<String> = context.microversion.atLeast(64) ? ["name", "policy", "rules"] : ["name", "policies"]
            if let extra = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw NimbusError.badRequest("Invalid input for server_group: additional property '\(extra)' is not allowed.")
            }
            guard let name = fields["name"]?.stringValue else {
                throw NimbusError.badRequest("Invalid input for field/attribute name: 'name' is a required property.")
            }
            let policy: String
            switch (fields["policies"], fields["policy"]) {
            case (.array(let list)?, nil) where list.count == 1 && list[0].stringValue != nil: policy = list[0].stringValue ?? ""
            case (nil, .string(let single)?): policy = single
            default:
                throw NimbusError.badRequest(context.microversion.atLeast(64)
                    ? "Invalid input for field/attribute policy: 'policy' is a required property."
                    : "Invalid input for field/attribute policies: give exactly one policy, as 'policies': [name].")
            }
            var maxServerPerHost: Int?
            switch fields["rules"] {
            case nil: break
            case .object(let rules)?:
                if let unknown = rules.keys.sorted().first(where: { $0 != "max_server_per_host" }) {
                    throw NimbusError.badRequest("Invalid input for field/attribute rules. Additional properties are not allowed ('\(unknown)' was unexpected)")
                }
                if let value = rules["max_server_per_host"] {
                    guard let number = value.intValue ?? value.stringValue.flatMap({ Int($0) }) else {
                        throw NimbusError.badRequest("Invalid input for field/attribute max_server_per_host. Value: \(value). It must be a positive integer.")
                    }
                    maxServerPerHost = number
                }
            case let other?: throw NimbusError.badRequest("Invalid input for field/attribute rules. Value: \(other). It must be an object.")
            }
            if policy.hasPrefix("soft-"), !context.microversion.atLeast(15) {
                throw NimbusError.badRequest("Invalid input for field/attribute policies. Value: \(policy). '\(policy)' is not one of ['anti-affinity', 'affinity'] before microversion 2.15.")
            }
            let group = try compute.createServerGroup(name: name, policy: policy, maxServerPerHost: maxServerPerHost, context.auth)
            return try JSONMessages.response(["server_group": .object(render(group, [], context.microversion))] as [String: JSONValue])
        }
        v21.get("os-server-groups/{id}") { _, context in
            let group = try compute.serverGroup(try context.parameters.require("id"), context.auth)
            let members = try compute.serverGroupMembers([group])[group.id] ?? []
            return try JSONMessages.response(["server_group": .object(render(group, members, context.microversion))] as [String: JSONValue])
        }
        v21.delete("os-server-groups/{id}") { _, context in
            try compute.deleteServerGroup(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
    }

    func render(_ group: ServerGroup, _ members: [ServerID], _ version: ComputeMicroversion) -> [String: JSONValue] {
        var body: [String: JSONValue] = [
            "id": .string(group.id.rawValue), "name": .string(group.name), "policies": [.string(group.policy)],
            "members": .array(members.map { .string($0.rawValue) }), "metadata": [:],
        ]
        if version.atLeast(13) {
            body["project_id"] = .string(group.projectId.rawValue)
            body["user_id"] = .string(group.userId.rawValue)
        }
        if version.atLeast(64) {
            body["policies"] = nil
            body["metadata"] = nil
            body["policy"] = .string(group.policy)
            body["rules"] = .object(group.maxServerPerHost.map { ["max_server_per_host": .number(Double($0))] } ?? [:])
        }
        return body
    }
}
