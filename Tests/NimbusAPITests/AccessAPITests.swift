import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Security groups and floating IPs through Neutron's API, across projects.
@Suite("Security groups and floating IPs in process")
struct AccessAPITests {
    @Test("each project has its default group; groups and rules keep Neutron's rules and stay in their project")
    func securityGroups() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            let adminDefault = try #require(try await admin.listResources("security-groups", "name=default").first)
            let bobsGroups = try await bob.listResources("security-groups")
            #expect(bobsGroups.count == 1 && bobsGroups[0]["name"] as? String == "default" && bobsGroups[0]["project_id"] as? String == project)
            #expect(bobsGroups[0]["id"] as? String != adminDefault["id"] as? String, "each project has its own default group")
            let defaultRules = try #require(adminDefault["security_group_rules"] as? [[String: Any]])
            #expect(defaultRules.count == 4, "egress IPv4 and IPv6, ingress from the group itself: \(defaultRules)")

            let created = try await admin.neutron(.post, "security-groups", #"{"security_group": {"name": "web", "description": "web servers"}}"#)
            #expect(created.status == .created)
            let web = try #require(try created.object()["security_group"] as? [String: Any])
            let webID = try #require(web["id"] as? String)
            func rule(_ attributes: String, as caller: Caller? = nil) async throws -> TestResponse {
                try await (caller ?? admin).neutron(.post, "security-group-rules",
                                                    #"{"security_group_rule": {"security_group_id": "\#(webID)", "direction": "ingress"\#(attributes)}}"#)
            }
            let ssh = try await rule(#", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0""#)
            #expect(ssh.status == .created, "\(ssh.text)")
            let again = try await rule(#", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0""#)
            #expect(again.status == .conflict)
            #expect(try again.neutronError().type == "SecurityGroupRuleExists")
            for bad in [#", "port_range_min": 22"#, #", "protocol": "tcp", "port_range_min": 30, "port_range_max": 20"#,
                        #", "protocol": "smoke""#, #", "ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8""#] {
                let refused = try await rule(bad)
                #expect(refused.status == .badRequest, "\(bad): \(refused.status)")
                try refused.neutronError()
            }
            let fromBob = try await rule(#", "protocol": "tcp""#, as: bob)
            #expect(fromBob.status == .notFound, "another project's group is not found")
            #expect(try await bob.neutron(.get, "security-groups/\(webID)").status == .notFound)
            #expect(try await bob.listResources("security-group-rules").allSatisfy { $0["project_id"] as? String == project })

            let privateNet = try await admin.networkID(named: "private")
            let port = try await admin.createPort(network: privateNet, #", "security_groups": ["\#(webID)"]"#)
            #expect(port["security_groups"] as? [String] == [webID])
            let inUse = try await admin.neutron(.delete, "security-groups/\(webID)")
            #expect(inUse.status == .conflict)
            #expect(try inUse.neutronError().type == "SecurityGroupInUse")
            let bobsDefault = try #require(bobsGroups[0]["id"] as? String)
            let removeDefault = try await bob.neutron(.delete, "security-groups/\(bobsDefault)")
            #expect(removeDefault.status == .conflict)
            let renameDefault = try await bob.neutron(.put, "security-groups/\(bobsDefault)", #"{"security_group": {"name": "mine"}}"#)
            #expect(renameDefault.status == .conflict)
            #expect(try await admin.neutron(.delete, "ports/\(try #require(port["id"] as? String))").status == .noContent)
            #expect(try await admin.neutron(.delete, "security-groups/\(webID)").status == .noContent)
            #expect(try await admin.listResources("security-group-rules", "security_group_id=\(webID)").isEmpty, "rules go with their group")
        }
    }

    @Test("a floating IP comes from public, goes to a port of its project, never to another project's")
    func floatingIPs() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            let publicNet = try await admin.networkID(named: "public")
            let privateNet = try await admin.networkID(named: "private")
            let adminPort = try #require(try await admin.createPort(network: privateNet)["id"] as? String)
            let bobsPort = try #require(try await bob.createPort(network: privateNet)["id"] as? String)

            let fip = try await admin.createResource("floatingip", #"{"floating_network_id": "\#(publicNet)", "port_id": "\#(adminPort)"}"#)
            let fipID = try #require(fip["id"] as? String)
            let address = try #require(fip["floating_ip_address"] as? String)
            #expect(address.hasPrefix("127.10.0."))
            #expect(fip["port_id"] as? String == adminPort && fip["status"] as? String == "ACTIVE")
            #expect((fip["fixed_ip_address"] as? String)?.hasPrefix("10.0.0.") == true)
            let second = try await admin.createResource("floatingip", #"{"floating_network_id": "\#(publicNet)"}"#)
            let secondID = try #require(second["id"] as? String)
            let sameFixed = try await admin.neutron(.put, "floatingips/\(secondID)", #"{"floatingip": {"port_id": "\#(adminPort)"}}"#)
            #expect(sameFixed.status == .conflict)
            #expect(try sameFixed.neutronError().type == "FloatingIPPortAlreadyAssociated")

            // Project A's floating IP and project B's port never meet, from either side
            // (an admin may, as in Neutron).
            let bobsFIP = try await bob.createResource("floatingip", #"{"floating_network_id": "\#(publicNet)"}"#)
            let bobsFIPID = try #require(bobsFIP["id"] as? String)
            let toAdminsPort = try await bob.neutron(.put, "floatingips/\(bobsFIPID)", #"{"floatingip": {"port_id": "\#(adminPort)"}}"#)
            #expect(toAdminsPort.status == .notFound)
            #expect(try toAdminsPort.neutronError().type == "PortNotFound")
            let takeAdmins = try await bob.neutron(.put, "floatingips/\(fipID)", #"{"floatingip": {"port_id": "\#(bobsPort)"}}"#)
            #expect(takeAdmins.status == .notFound)
            #expect(try takeAdmins.neutronError().type == "FloatingIPNotFound")
            #expect(try await bob.listResources("floatingips").map { $0["id"] as? String } == [bobsFIPID])
            let fromPrivate = try await bob.neutron(.post, "floatingips", #"{"floatingip": {"floating_network_id": "\#(privateNet)"}}"#)
            #expect(fromPrivate.status == .badRequest)

            // Port forwardings and a port association exclude each other.
            let forwarding = try await admin.neutron(.post, "floatingips/\(secondID)/port_forwardings", #"{"port_forwarding": {"internal_port_id": "\#(adminPort)", "internal_ip_address": "\#(fip["fixed_ip_address"] as? String ?? "")", "internal_port": 22, "external_port": 2222, "protocol": "tcp"}}"#)
            #expect(forwarding.status == .created, "\(forwarding.text)")
            let duplicate = try await admin.neutron(.post, "floatingips/\(secondID)/port_forwardings", #"{"port_forwarding": {"internal_port_id": "\#(adminPort)", "internal_ip_address": "\#(fip["fixed_ip_address"] as? String ?? "")", "internal_port": 23, "external_port": 2222, "protocol": "tcp"}}"#)
            #expect(duplicate.status == .badRequest)
            let associate = try await admin.neutron(.put, "floatingips/\(secondID)", #"{"floatingip": {"port_id": "\#(adminPort)"}}"#)
            #expect(associate.status == .conflict)
            let onAssociated = try await admin.neutron(.post, "floatingips/\(fipID)/port_forwardings", #"{"port_forwarding": {"internal_port_id": "\#(adminPort)", "internal_ip_address": "\#(fip["fixed_ip_address"] as? String ?? "")", "internal_port": 22, "external_port": 2200, "protocol": "tcp"}}"#)
            #expect(onAssociated.status == .conflict)

            // Disassociating, and a port going away, leave the floating IP unassociated.
            let released = try await admin.neutron(.put, "floatingips/\(fipID)", #"{"floatingip": {"port_id": null}}"#)
            let releasedIP = try #require(try released.object()["floatingip"] as? [String: Any])
            #expect(releasedIP["port_id"] is NSNull && releasedIP["fixed_ip_address"] is NSNull && releasedIP["status"] as? String == "DOWN")
            _ = try await admin.neutron(.put, "floatingips/\(fipID)", #"{"floatingip": {"port_id": "\#(adminPort)"}}"#)
            #expect(try await admin.neutron(.delete, "ports/\(adminPort)").status == .noContent)
            let orphan = try #require(try await admin.neutron(.get, "floatingips/\(fipID)").object()["floatingip"] as? [String: Any])
            #expect(orphan["port_id"] is NSNull && orphan["fixed_ip_address"] is NSNull, "\(orphan)")
            let forwardings = try await admin.neutron(.get, "floatingips/\(secondID)/port_forwardings").object()["port_forwardings"] as? [Any]
            #expect(forwardings?.isEmpty == true, "forwardings to a deleted port go with it")
            let publicInUse = try await admin.neutron(.delete, "networks/\(publicNet)")
            #expect(publicInUse.status == .conflict, "floating IPs keep their network: \(publicInUse.text)")
            #expect(try await admin.neutron(.delete, "floatingips/\(fipID)").status == .noContent)
            #expect(try await admin.neutron(.get, "floatingips/\(fipID)").status == .notFound)

            // The floatingip quota holds: Bob has one, and may have one.
            let quota = try await admin.neutron(.put, "quotas/\(project)", #"{"quota": {"floatingip": 1}}"#)
            #expect(quota.status == .ok, "\(quota.text)")
            let overQuota = try await bob.neutron(.post, "floatingips", #"{"floatingip": {"floating_network_id": "\#(publicNet)"}}"#)
            #expect(overQuota.status == .conflict)
            #expect(try overQuota.neutronError().type == "OverQuota")
        }
    }
}
