import Foundation
import Hummingbird
import Networking
import NimbusCore
import OpenStackAPI

/// Neutron's security groups, rules, floating IPs and port forwardings.
extension NetworkController {
    func addSecurityGroups(to v2: RouterGroup<AuthenticatedContext>) {
        @Sendable func render(_ group: SecurityGroup) throws -> [String: JSONValue] {
            Neutron.securityGroup(group, rules: try networks.rules(ofGroups: [group.id]))
        }
        v2.get("security-groups") { request, context in
            let query = try NeutronQuery(request)
            let found = try networks.securityGroups(query.service, context.auth)
            return try query.listResponse("security_groups", try found.map(render), baseURL: baseURL)
        }
        v2.post("security-groups") { request, context in
            let body = try await NeutronBody(request, resource: "security_group")
            let group = try networks.createSecurityGroup(try body.securityGroupDraft(), context.auth)
            return try JSONMessages.response(["security_group": .object(try render(group))] as [String: JSONValue], status: .created)
        }
        v2.get("security-groups/{id}") { request, context in
            let group = try networks.securityGroup(try context.parameters.require("id"), context.auth)
            return try NeutronQuery(request).showResponse("security_group", try render(group))
        }
        v2.put("security-groups/{id}") { request, context in
            let body = try await NeutronBody(request, resource: "security_group")
            let group = try networks.updateSecurityGroup(try context.parameters.require("id"), try body.securityGroupChanges(), context.auth)
            return try JSONMessages.response(["security_group": .object(try render(group))] as [String: JSONValue])
        }
        v2.delete("security-groups/{id}") { _, context in
            try networks.deleteSecurityGroup(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }

        v2.get("security-group-rules") { request, context in
            let query = try NeutronQuery(request)
            let found = try networks.securityGroupRules(query.service, context.auth)
            return try query.listResponse("security_group_rules", found.map(Neutron.securityGroupRule), baseURL: baseURL)
        }
        v2.post("security-group-rules") { request, context in
            let body = try await NeutronBody(request, resource: "security_group_rule")
            let rule = try networks.createSecurityGroupRule(try body.securityGroupRuleDraft(), context.auth)
            return try JSONMessages.response(["security_group_rule": .object(Neutron.securityGroupRule(rule))] as [String: JSONValue], status: .created)
        }
        v2.get("security-group-rules/{id}") { request, context in
            let rule = try networks.securityGroupRule(try context.parameters.require("id"), context.auth)
            return try NeutronQuery(request).showResponse("security_group_rule", Neutron.securityGroupRule(rule))
        }
        v2.delete("security-group-rules/{id}") { _, context in
            try networks.deleteSecurityGroupRule(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
    }

    func addFloatingIPs(to v2: RouterGroup<AuthenticatedContext>) {
        @Sendable func render(_ floatingIPs: [FloatingIP]) throws -> [[String: JSONValue]] {
            let forwardings = try networks.portForwardings(of: floatingIPs)
            return floatingIPs.map { Neutron.floatingIP($0, forwardings: forwardings[$0.id] ?? []) }
        }
        @Sendable func render(_ floatingIP: FloatingIP) throws -> [String: JSONValue] {
            try render([floatingIP])[0]
        }
        v2.get("floatingips") { request, context in
            let query = try NeutronQuery(request)
            let found = try networks.floatingIPs(query.service, context.auth)
            return try query.listResponse("floatingips", try render(found), baseURL: baseURL)
        }
        v2.post("floatingips") { request, context in
            let body = try await NeutronBody(request, resource: "floatingip")
            let floatingIP = try networks.createFloatingIP(try body.floatingIPDraft(), context.auth)
            return try JSONMessages.response(["floatingip": .object(try render(floatingIP))] as [String: JSONValue], status: .created)
        }
        v2.get("floatingips/{fip}") { request, context in
            let floatingIP = try networks.floatingIP(try context.parameters.require("fip"), context.auth)
            return try NeutronQuery(request).showResponse("floatingip", try render(floatingIP))
        }
        v2.put("floatingips/{fip}") { request, context in
            let body = try await NeutronBody(request, resource: "floatingip")
            let floatingIP = try networks.updateFloatingIP(try context.parameters.require("fip"), try body.floatingIPChanges(), context.auth)
            return try JSONMessages.response(["floatingip": .object(try render(floatingIP))] as [String: JSONValue])
        }
        v2.delete("floatingips/{fip}") { _, context in
            try networks.deleteFloatingIP(try context.parameters.require("fip"), context.auth)
            return Response(status: .noContent)
        }

        v2.get("floatingips/{fip}/port_forwardings") { request, context in
            let query = try NeutronQuery(request)
            let found = try networks.portForwardings(try context.parameters.require("fip"), query.service, context.auth)
            return try query.listResponse("port_forwardings", found.map(Neutron.portForwarding), baseURL: baseURL)
        }
        v2.post("floatingips/{fip}/port_forwardings") { request, context in
            let body = try await NeutronBody(request, resource: "port_forwarding")
            let forwarding = try networks.createPortForwarding(try context.parameters.require("fip"), try body.portForwardingDraft(), context.auth)
            return try JSONMessages.response(["port_forwarding": .object(Neutron.portForwarding(forwarding))] as [String: JSONValue], status: .created)
        }
        v2.get("floatingips/{fip}/port_forwardings/{id}") { request, context in
            let forwarding = try networks.portForwarding(try context.parameters.require("fip"), try context.parameters.require("id"), context.auth)
            return try NeutronQuery(request).showResponse("port_forwarding", Neutron.portForwarding(forwarding))
        }
        v2.delete("floatingips/{fip}/port_forwardings/{id}") { _, context in
            try networks.deletePortForwarding(try context.parameters.require("fip"), try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
    }
}
