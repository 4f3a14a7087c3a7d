import Compute
import Foundation
import Hummingbird
import Identity
import NimbusCore

/// Nova's network proxies of microversion 2.1 (`os-floating-ips`,
/// `os-floating-ip-pools`, `os-security-groups`): the same Neutron resources
/// in Nova's shapes, for clients that still use them below 2.36.
struct NovaNetworkProxyRoutes {
    let compute: ComputeService

    func add(to v21: RouterGroup<AuthenticatedContext>) {
        v21.get("os-floating-ip-pools") { _, context in
            _ = try Policy.requireProjectReader(context.auth)
            return try JSONMessages.response(["floating_ip_pools": [["name": "public"]]] as [String: JSONValue])
        }
        v21.get("os-floating-ips") { _, context in
            let found = try compute.floatingIPs(context.auth)
            return try JSONMessages.response(["floating_ips": .array(try found.map { .object(try render($0, context.auth)) })] as [String: JSONValue])
        }
        v21.post("os-floating-ips") { request, context in
            // The body is optional ({"pool": name}); without one the pool is `public`.
            let body = try await JSONMessages.decodeIfPresent([String: JSONValue].self, from: request)
            let pool = body?["pool"]?.stringValue
            let floatingIP = try compute.allocateFloatingIP(pool: pool, context.auth)
            return try JSONMessages.response(["floating_ip": .object(try render(floatingIP, context.auth))] as [String: JSONValue])
        }
        v21.get("os-floating-ips/{id}") { _, context in
            let floatingIP = try compute.floatingIP(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["floating_ip": .object(try render(floatingIP, context.auth))] as [String: JSONValue])
        }
        v21.delete("os-floating-ips/{id}") { _, context in
            try compute.releaseFloatingIP(try context.parameters.require("id"), context.auth)
            return Response(status: .accepted)
        }

        v21.get("os-security-groups") { _, context in
            let groups = try compute.securityGroups(context.auth)
            return try JSONMessages.response(["security_groups": .array(try groups.map { .object(try render($0)) })] as [String: JSONValue])
        }
        v21.post("os-security-groups") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard case .object(let fields)? = body["security_group"], let name = fields["name"]?.stringValue else {
                throw NimbusError.badRequest("Invalid input for field/attribute security_group: 'name' is a required property.")
            }
            let group = try compute.createSecurityGroup(name: name, description: fields["description"]?.stringValue ?? "", context.auth)
            return try JSONMessages.response(["security_group": .object(try render(group))] as [String: JSONValue])
        }
        v21.get("os-security-groups/{id}") { _, context in
            let group = try compute.securityGroup(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["security_group": .object(try render(group))] as [String: JSONValue])
        }
        v21.delete("os-security-groups/{id}") { _, context in
            try compute.deleteSecurityGroup(try context.parameters.require("id"), context.auth)
            return Response(status: .accepted)
        }
    }

    /// Nova's floating IP: its address, pool, and where it points.
    func render(_ floatingIP: FloatingIP, _ auth: AuthContext) throws -> [String: JSONValue] {
        [
            "id": .string(floatingIP.id.rawValue), "ip": .string(floatingIP.floatingIpAddress),
            "pool": .string(try compute.poolName(floatingIP.floatingNetworkId, auth)),
            "fixed_ip": floatingIP.fixedIpAddress.map(JSONValue.string) ?? .null,
            "instance_id": try compute.instance(of: floatingIP, auth).map { .string($0.rawValue) } ?? .null,
        ]
    }

    /// Nova's security group: Neutron's rules as Nova words them (ingress only).
    func render(_ group: SecurityGroup) throws -> [String: JSONValue] {
        let rules = try compute.rules(of: group).filter { $0.direction == .ingress }.map { rule -> JSONValue in
            [
                "id": .string(rule.id.rawValue), "parent_group_id": .string(group.id.rawValue),
                "ip_protocol": rule.protocol.map(JSONValue.string) ?? .null,
                "from_port": rule.portRangeMin.map { JSONValue($0) } ?? .null, "to_port": rule.portRangeMax.map { JSONValue($0) } ?? .null,
                "ip_range": rule.remoteIpPrefix.map { ["cidr": .string($0)] } ?? [:], "group": [:],
            ]
        }
        return [
            "id": .string(group.id.rawValue), "name": .string(group.name), "description": .string(group.description),
            "tenant_id": .string(group.projectId.rawValue), "rules": .array(rules),
        ]
    }
}
