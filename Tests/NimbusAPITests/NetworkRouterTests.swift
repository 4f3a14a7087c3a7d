import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Routers through Neutron's API: what makes a subnet's ports reachable from a floating IP.
@Suite("Routers in process")
struct NetworkRouterTests {
    @Test("bootstrap: router1 joins private to public, once; so private's ports take floating IPs with nothing set up")
    func bootstrapRouter() async throws {
        let cloud = try TestCloud()
        try cloud.services.networks.bootstrap(adminProject: cloud.services.bootstrap.adminProject.id)
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let routers = try await admin.listResources("routers")
            #expect(routers.compactMap { $0["name"] as? String } == ["router1"], "one router after two bootstraps")
            let router = try #require(routers.first)
            let routerID = try #require(router["id"] as? String)
            let gateway = try #require(router["external_gateway_info"] as? [String: Any])
            #expect(gateway["network_id"] as? String == (try await admin.networkID(named: "public")))
            #expect(gateway["enable_snat"] as? Bool == true)
            let external = try #require((gateway["external_fixed_ips"] as? [[String: Any]])?.first?["ip_address"] as? String)
            #expect(external.hasPrefix("127.10.0."))
            let ports = try await admin.listResources("ports", "device_id=\(routerID)")
            #expect(Set(ports.compactMap { $0["device_owner"] as? String }) == ["network:router_gateway", "network:router_interface"])
            let interface = try #require(ports.first { $0["device_owner"] as? String == "network:router_interface" })
            #expect(addresses(interface) == ["10.0.0.1"], "the interface holds private-subnet's gateway")
            #expect(interface["status"] as? String == "ACTIVE")

            let privateNet = try await admin.networkID(named: "private")
            let port = try #require(try await admin.createPort(network: privateNet)["id"] as? String)
            let fip = try await admin.createResource(
                "floatingip", #"{"floating_network_id": "\#(try await admin.networkID(named: "public"))", "port_id": "\#(port)"}"#)
            #expect(fip["router_id"] as? String == routerID)
            #expect(fip["floating_ip_address"] as? String != external, "a router's gateway address is not handed out again")
        }
    }

    @Test("a user's router: gateway, interfaces, floating IPs through it, and Neutron's refusals in between")
    func lifecycle() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            let publicNet = try await admin.networkID(named: "public")
            let network = try await bob.createNetwork(#"{"name": "bobnet"}"#)
            let subnet = try #require(try await bob.createSubnet(network: network, cidr: "192.168.10.0/24")["id"] as? String)
            let port = try #require(try await bob.createPort(network: network)["id"] as? String)
            let fip = try #require(try await bob.createResource("floatingip", #"{"floating_network_id": "\#(publicNet)"}"#)["id"] as? String)

            // No router yet: the floating IP cannot reach bobnet.
            let unreachable = try await bob.neutron(.put, "floatingips/\(fip)", #"{"floatingip": {"port_id": "\#(port)"}}"#)
            #expect(unreachable.status == .notFound)
            let refusal = try unreachable.neutronError()
            #expect(refusal.type == "ExternalGatewayForFloatingIPNotFound")
            #expect(refusal.message.contains("External network \(publicNet) is not reachable from subnet \(subnet)"))

            let router = try await bob.createResource("router", #"{"name": "r1", "external_gateway_info": {"network_id": "\#(publicNet)"}}"#)
            let routerID = try #require(router["id"] as? String)
            #expect(router["project_id"] as? String == project && router["status"] as? String == "ACTIVE")
            #expect((router["external_gateway_info"] as? [String: Any])?["enable_snat"] as? Bool == true)
            let added = try await bob.neutron(.put, "routers/\(routerID)/add_router_interface", #"{"subnet_id": "\#(subnet)"}"#)
            #expect(added.status == .ok, "\(added.text)")
            let interface = try added.object()
            #expect(interface["id"] as? String == routerID && interface["subnet_id"] as? String == subnet)
            let interfacePort = try #require(interface["port_id"] as? String)
            let shown = try #require(try await bob.neutron(.get, "ports/\(interfacePort)").object()["port"] as? [String: Any])
            #expect(shown["device_id"] as? String == routerID && addresses(shown) == ["192.168.10.1"])

            let associated = try await bob.neutron(.put, "floatingips/\(fip)", #"{"floatingip": {"port_id": "\#(port)"}}"#)
            #expect(associated.status == .ok, "\(associated.text)")
            #expect((try associated.object()["floatingip"] as? [String: Any])?["router_id"] as? String == routerID)

            // What the floating IP needs stays.
            let removeInUse = try await bob.neutron(.put, "routers/\(routerID)/remove_router_interface", #"{"subnet_id": "\#(subnet)"}"#)
            #expect(removeInUse.status == .conflict)
            #expect(try removeInUse.neutronError().type == "RouterInterfaceInUseByFloatingIP")
            let clearInUse = try await bob.neutron(.put, "routers/\(routerID)", #"{"router": {"external_gateway_info": {}}}"#)
            #expect(clearInUse.status == .conflict)
            #expect(try clearInUse.neutronError().type == "RouterExternalGatewayInUseByFloatingIp")
            let deleteInUse = try await bob.neutron(.delete, "routers/\(routerID)")
            #expect(deleteInUse.status == .conflict)
            #expect(try deleteInUse.neutronError().type == "RouterInUse")
            let portDelete = try await bob.neutron(.delete, "ports/\(interfacePort)")
            #expect(portDelete.status == .conflict)
            #expect(try portDelete.neutronError().type == "L3PortInUse")
            let subnetDelete = try await bob.neutron(.delete, "subnets/\(subnet)")
            #expect(subnetDelete.status == .conflict)

            // Another project sees none of it.
            let other = try await admin.createProject("project-c")
            let carol = try await admin.newUser("carol", role: "member", projectID: other, projectName: "project-c")
            #expect(try await carol.neutron(.get, "routers/\(routerID)").status == .notFound)
            #expect(try await carol.neutron(.put, "routers/\(routerID)/add_router_interface", #"{"subnet_id": "\#(subnet)"}"#).status == .notFound)
            #expect(try await carol.listResources("routers").isEmpty)

            // Disassociated, the interface and gateway may go, and the router with them.
            let released = try await bob.neutron(.put, "floatingips/\(fip)", #"{"floatingip": {"port_id": null}}"#)
            #expect((try released.object()["floatingip"] as? [String: Any])?["router_id"] is NSNull)
            let removed = try await bob.neutron(.put, "routers/\(routerID)/remove_router_interface", #"{"subnet_id": "\#(subnet)"}"#)
            #expect(removed.status == .ok, "\(removed.text)")
            #expect(try await bob.neutron(.get, "ports/\(interfacePort)").status == .notFound, "removing an interface deletes its port")
            let cleared = try await bob.neutron(.put, "routers/\(routerID)", #"{"router": {"external_gateway_info": null, "name": "r2"}}"#)
            let clearedRouter = try #require(try cleared.object()["router"] as? [String: Any])
            #expect(clearedRouter["external_gateway_info"] is NSNull && clearedRouter["name"] as? String == "r2")
            #expect(try await admin.listResources("ports", "device_id=\(routerID)").isEmpty, "the gateway port went with the gateway")
            #expect(try await bob.neutron(.delete, "routers/\(routerID)").status == .noContent)
            #expect(try await bob.neutron(.get, "routers/\(routerID)").status == .notFound)
        }
    }

    @Test("bad router requests are refused in Neutron's words, and change nothing")
    func refusals() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            let publicNet = try await admin.networkID(named: "public")
            let router = try #require(try await bob.createResource("router", #"{"name": "r"}"#)["id"] as? String)
            let netA = try await bob.createNetwork(#"{"name": "a"}"#)
            let netB = try await bob.createNetwork(#"{"name": "b"}"#)
            let subnetA = try #require(try await bob.createSubnet(network: netA, cidr: "10.20.0.0/24")["id"] as? String)
            let subnetB = try #require(try await bob.createSubnet(network: netB, cidr: "10.20.0.0/25")["id"] as? String)
            let noGateway = try #require(try await bob.createSubnet(network: netB, cidr: "10.30.0.0/24", #", "gateway_ip": null"#)["id"] as? String)

            func expect(_ response: TestResponse, _ status: HTTPResponse.Status, _ type: String? = nil, _ text: String? = nil,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
                #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
                let error = try response.neutronError(sourceLocation: sourceLocation)
                if let type { #expect(error.type == type, sourceLocation: sourceLocation) }
                if let text { #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation) }
            }
            try expect(try await bob.neutron(.put, "routers/\(router)", #"{"router": {"external_gateway_info": {"network_id": "\#(router)"}}}"#),
                       .notFound, "NetworkNotFound")
            try expect(try await bob.neutron(.put, "routers/\(router)", #"{"router": {"external_gateway_info": {"network_id": "\#(netA)"}}}"#),
                       .badRequest, nil, "Bad router request: Network \(netA) is not an external network.")
            try expect(try await bob.neutron(.put, "routers/\(router)", #"{"router": {"external_gateway_info": {"network_id": "\#(publicNet)", "enable_snat": false}}}"#),
                       .forbidden, "PolicyNotAuthorized")
            try expect(try await bob.neutron(.put, "routers/\(router)", #"{"router": {"external_gateway_info": {"enable_snat": false}}}"#),
                       .badRequest)
            try expect(try await bob.neutron(.put, "routers/\(router)", #"{"router": {"routes": [{"destination": "10.9.0.0/24", "nexthop": "10.20.0.5"}]}}"#),
                       .badRequest)
            try expect(try await bob.neutron(.put, "routers/\(router)/add_router_interface", "{}"), .badRequest)
            try expect(try await bob.neutron(.put, "routers/\(router)/add_router_interface", #"{"subnet_id": "\#(noGateway)"}"#),
                       .badRequest, nil, "does not have a gateway IP")
            #expect(try await bob.neutron(.put, "routers/\(router)/add_router_interface", #"{"subnet_id": "\#(subnetA)"}"#).status == .ok)
            try expect(try await bob.neutron(.put, "routers/\(router)/add_router_interface", #"{"subnet_id": "\#(subnetA)"}"#),
                       .badRequest, nil, "Router already has a port on subnet \(subnetA)")
            try expect(try await bob.neutron(.put, "routers/\(router)/add_router_interface", #"{"subnet_id": "\#(subnetB)"}"#),
                       .badRequest, nil, "overlaps with cidr 10.20.0.0/24")
            try expect(try await bob.neutron(.put, "routers/\(router)/remove_router_interface", #"{"subnet_id": "\#(subnetB)"}"#),
                       .notFound, "RouterInterfaceNotFoundForSubnet")
            try expect(try await bob.neutron(.put, "routers/\(router)/add_router_interface", #"{"subnet_id": "\#(subnetA)", "port_id": "x"}"#),
                       .badRequest)
            #expect(try await bob.listResources("ports", "device_id=\(router)").count == 1, "the refusals added no port")

            // By port: an unused port becomes the interface; a used one is refused; removing it deletes it.
            let free = try #require(try await bob.createPort(network: netB, #", "fixed_ips": [{"subnet_id": "\#(noGateway)"}]"#)["id"] as? String)
            let used = try #require(try await bob.createPort(network: netB, #", "device_id": "some-server", "fixed_ips": [{"subnet_id": "\#(noGateway)"}]"#)["id"] as? String)
            try expect(try await bob.neutron(.put, "routers/\(router)/add_router_interface", #"{"port_id": "\#(used)"}"#), .conflict, "PortInUse")
            let byPort = try await bob.neutron(.put, "routers/\(router)/add_router_interface", #"{"port_id": "\#(free)"}"#)
            #expect(byPort.status == .ok, "\(byPort.text)")
            #expect(try byPort.object()["port_id"] as? String == free)
            let freeShown = try #require(try await bob.neutron(.get, "ports/\(free)").object()["port"] as? [String: Any])
            #expect(freeShown["device_owner"] as? String == "network:router_interface" && freeShown["device_id"] as? String == router)
            #expect(try await bob.neutron(.put, "routers/\(router)/remove_router_interface", #"{"port_id": "\#(free)"}"#).status == .ok)
            #expect(try await bob.neutron(.get, "ports/\(free)").status == .notFound)
            try expect(try await bob.neutron(.put, "routers/\(router)/remove_router_interface", #"{"port_id": "\#(used)"}"#),
                       .notFound, "RouterInterfaceNotFound")

            // An admin chooses the gateway's address; one already held is a 409.
            let held = try await admin.createPort(network: publicNet)
            let heldIP = try #require(addresses(held).first)
            try expect(try await admin.neutron(.post, "routers", #"{"router": {"external_gateway_info": {"network_id": "\#(publicNet)", "external_fixed_ips": [{"ip_address": "\#(heldIP)"}]}}}"#),
                       .conflict)
            let chosen = try await admin.createResource("router", #"{"external_gateway_info": {"network_id": "\#(publicNet)", "enable_snat": false, "external_fixed_ips": [{"ip_address": "127.10.0.200"}]}}"#)
            let info = try #require(chosen["external_gateway_info"] as? [String: Any])
            #expect(info["enable_snat"] as? Bool == false)
            #expect((info["external_fixed_ips"] as? [[String: Any]])?.first?["ip_address"] as? String == "127.10.0.200")
            // A floating IP's address is reserved as a port's is.
            let fip = try await admin.createResource("floatingip", #"{"floating_network_id": "\#(publicNet)"}"#)
            let fipAddress = try #require(fip["floating_ip_address"] as? String)
            try expect(try await admin.neutron(.post, "ports", #"{"port": {"network_id": "\#(publicNet)", "fixed_ips": [{"ip_address": "\#(fipAddress)"}]}}"#),
                       .conflict)
            try expect(try await admin.neutron(.post, "floatingips", #"{"floatingip": {"floating_network_id": "\#(publicNet)", "floating_ip_address": "127.10.0.200"}}"#),
                       .conflict)
        }
    }

    @Test("bulk creates are all or nothing; an external network goes with its unused floating IPs")
    func bulkAndExternal() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let made = try await admin.neutron(.post, "networks", #"{"networks": [{"name": "n1"}, {"name": "n2"}]}"#)
            #expect(made.status == .created, "\(made.text)")
            let networks = try #require(try made.object()["networks"] as? [[String: Any]])
            #expect(networks.compactMap { $0["name"] as? String } == ["n1", "n2"])
            let n1 = try #require(networks[0]["id"] as? String)
            let subnets = try await admin.neutron(.post, "subnets", #"{"subnets": [{"network_id": "\#(n1)", "cidr": "10.40.0.0/24", "ip_version": 4}, {"network_id": "\#(n1)", "cidr": "10.41.0.0/24", "ip_version": 4}]}"#)
            #expect(subnets.status == .created, "\(subnets.text)")
            let refused = try await admin.neutron(.post, "ports", #"{"ports": [{"network_id": "\#(n1)", "name": "good"}, {"network_id": "\#(n1)", "mac_address": "nonsense"}]}"#)
            #expect(refused.status == .badRequest)
            try refused.neutronError()
            #expect(try await admin.listResources("ports", "network_id=\(n1)").isEmpty, "the first port of a refused bulk create is gone again")
            #expect(try await admin.neutron(.post, "networks", #"{"networks": []}"#).status == .badRequest)

            let external = try await admin.createNetwork(#"{"name": "ext", "router:external": true}"#)
            _ = try await admin.createSubnet(network: external, cidr: "127.20.0.0/24", #", "enable_dhcp": false"#)
            let unused = try #require(try await admin.createResource("floatingip", #"{"floating_network_id": "\#(external)"}"#)["id"] as? String)
            let gateway = try #require(try await admin.createResource("router", #"{"external_gateway_info": {"network_id": "\#(external)"}}"#)["id"] as? String)
            let inUse = try await admin.neutron(.delete, "networks/\(external)")
            #expect(inUse.status == .conflict, "a router's gateway keeps its network")
            #expect(try await admin.neutron(.get, "floatingips/\(unused)").status == .ok, "a refused delete loses nothing")
            #expect(try await admin.neutron(.delete, "routers/\(gateway)").status == .noContent)
            #expect(try await admin.neutron(.delete, "networks/\(external)").status == .noContent)
            #expect(try await admin.neutron(.get, "floatingips/\(unused)").status == .notFound)
        }
    }
}
