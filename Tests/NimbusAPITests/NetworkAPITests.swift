import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Network API (Neutron v2.0) in process")
struct NetworkAPITests {
    @Test("discovery lists v2.0; the extensions are the ones honoured")
    func discovery() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let versions = try await client.execute(uri: "/network", method: .get) { $0 }
            #expect(versions.status == .ok)
            let version = try #require((try versions.object()["versions"] as? [[String: Any]])?.first)
            #expect(version["id"] as? String == "v2.0")
            #expect(version["status"] as? String == "CURRENT")
            let link = try #require((version["links"] as? [[String: Any]])?.first)
            #expect(link["href"] as? String == "\(cloud.configuration.baseURL)/network/v2.0/")
            #expect(link["rel"] as? String == "self")

            let admin = try await Caller.admin(client)
            let aliases = Set(try await admin.listResources("extensions").compactMap { $0["alias"] as? String })
            #expect(aliases.isSuperset(of: [
                "external-net", "net-mtu", "project-id", "standard-attr-description", "security-group", "floating-ip-port-forwarding",
            ]))
            #expect(aliases.isSuperset(of: ["router", "ext-gw-mode", "subnet-external-network"]))
            #expect(!aliases.contains("dvr") && !aliases.contains("extraroute"), "only what works is listed")
            #expect(try await admin.neutron(.get, "extensions/external-net").status == .ok)
            let dvr = try await admin.neutron(.get, "extensions/dvr")
            #expect(dvr.status == .notFound)
            try dvr.neutronError()
            #expect(try await client.execute(uri: "/network/v2.0/networks", method: .get) { $0 }.status == .unauthorized)
        }
    }

    @Test("bootstrap: shared private 10.0.0.0/24 and external public 127.10.0.0/24, once")
    func bootstrap() async throws {
        let cloud = try TestCloud()
        try cloud.services.networks.bootstrap(adminProject: cloud.services.bootstrap.adminProject.id)
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let networks = try await admin.listResources("networks")
            #expect(networks.compactMap { $0["name"] as? String }.sorted() == ["private", "public"])
            let privateNet = try #require(networks.first { $0["name"] as? String == "private" })
            #expect(privateNet["shared"] as? Bool == true)
            #expect(privateNet["router:external"] as? Bool == false)
            #expect(privateNet["mtu"] as? Int == 1500)
            #expect(privateNet["status"] as? String == "ACTIVE")
            let publicNet = try #require(networks.first { $0["name"] as? String == "public" })
            #expect(publicNet["router:external"] as? Bool == true)
            #expect(publicNet["shared"] as? Bool == false)

            let subnets = try await admin.listResources("subnets")
            let privateSubnet = try #require(subnets.first { $0["name"] as? String == "private-subnet" })
            #expect(privateSubnet["cidr"] as? String == "10.0.0.0/24")
            #expect(privateSubnet["gateway_ip"] as? String == "10.0.0.1")
            #expect(privateSubnet["enable_dhcp"] as? Bool == true)
            #expect(privateSubnet["allocation_pools"] as? [[String: String]] == [["start": "10.0.0.10", "end": "10.0.0.250"]])
            #expect(privateNet["subnets"] as? [String] == [privateSubnet["id"] as? String].compactMap { $0 })
            let publicSubnet = try #require(subnets.first { $0["name"] as? String == "public-subnet" })
            #expect(publicSubnet["cidr"] as? String == "127.10.0.0/24")
            #expect(publicSubnet["enable_dhcp"] as? Bool == false)
            #expect(publicSubnet["allocation_pools"] as? [[String: String]] == [["start": "127.10.0.2", "end": "127.10.0.254"]])
            #expect(try await admin.listResources("networks", "router:external=True").compactMap { $0["name"] as? String } == ["public"])
            #expect(try await admin.listResources("networks", "shared=false&router:external=false").isEmpty)
        }
    }

    @Test("network create, show, list, update, delete with Neutron's fields")
    func networkLifecycle() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let created = try await admin.createResource("network", #"{"name": "net1", "description": "for tests"}"#)
            let id = try #require(created["id"] as? String)
            #expect(created["tenant_id"] as? String == created["project_id"] as? String)
            #expect(created["admin_state_up"] as? Bool == true)
            #expect(created["shared"] as? Bool == false)
            #expect(created["router:external"] as? Bool == false)
            #expect(created["subnets"] as? [String] == [])
            #expect(created["revision_number"] as? Int == 1)
            #expect(created["tags"] as? [String] == [])
            #expect(created["created_at"] as? String != nil)

            let shown = try await admin.neutron(.get, "networks/\(id)?fields=id&fields=name")
            #expect(try shown.object()["network"] as? [String: String] == ["id": id, "name": "net1"])
            #expect(try await admin.names("networks", "name=net1") == ["net1"])

            let updated = try await admin.neutron(.put, "networks/\(id)", #"{"network": {"name": "net2", "admin_state_up": false}}"#)
            #expect(updated.status == .ok)
            let network = try #require(try updated.object()["network"] as? [String: Any])
            #expect(network["name"] as? String == "net2")
            #expect(network["admin_state_up"] as? Bool == false)
            #expect(network["revision_number"] as? Int == 2)
            let readOnly = try await admin.neutron(.put, "networks/\(id)", #"{"network": {"subnets": []}}"#)
            #expect(readOnly.status == .badRequest)

            #expect(try await admin.neutron(.delete, "networks/\(id)").status == .noContent)
            let gone = try await admin.neutron(.get, "networks/\(id)")
            #expect(gone.status == .notFound)
            #expect(try gone.neutronError().type == "NetworkNotFound")
            #expect(try await admin.neutron(.delete, "networks/\(id)").status == .notFound)
        }
    }

    @Test("subnet defaults: gateway first host, pools the rest; gateway none; a gateway in the middle splits the pool")
    func subnetDefaults() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let network = try await admin.createNetwork(#"{"name": "net"}"#)
            let plain = try await admin.createSubnet(network: network, cidr: "192.168.5.0/24", #", "name": "plain""#)
            #expect(plain["gateway_ip"] as? String == "192.168.5.1")
            #expect(plain["allocation_pools"] as? [[String: String]] == [["start": "192.168.5.2", "end": "192.168.5.254"]])
            #expect(plain["enable_dhcp"] as? Bool == true)
            #expect(plain["ip_version"] as? Int == 4)
            #expect(plain["dns_nameservers"] as? [String] == [])
            #expect(plain["host_routes"] as? [Any] != nil)

            let none = try await admin.createSubnet(network: network, cidr: "192.168.6.0/24", #", "gateway_ip": null, "enable_dhcp": false"#)
            #expect(none["gateway_ip"] is NSNull)
            #expect(none["allocation_pools"] as? [[String: String]] == [["start": "192.168.6.1", "end": "192.168.6.254"]])
            #expect(none["enable_dhcp"] as? Bool == false)

            let middle = try await admin.createSubnet(network: network, cidr: "192.168.7.0/28", #", "gateway_ip": "192.168.7.5""#)
            #expect(middle["allocation_pools"] as? [[String: String]] == [
                ["start": "192.168.7.1", "end": "192.168.7.4"], ["start": "192.168.7.6", "end": "192.168.7.14"],
            ])
            let shown = try await admin.neutron(.get, "networks/\(network)")
            let subnetIDs = try #require((try shown.object()["network"] as? [String: Any])?["subnets"] as? [String])
            #expect(subnetIDs == [plain, none, middle].compactMap { $0["id"] as? String })
            #expect(try await admin.listResources("subnets", "network_id=\(network)&cidr=192.168.6.0/24").count == 1)
        }
    }

    @Test("subnet set: name, DNS, pools, gateway; a gateway inside a pool is 409")
    func subnetUpdate() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let network = try await admin.createNetwork(#"{"name": "net"}"#)
            let subnet = try #require(try await admin.createSubnet(network: network, cidr: "192.168.5.0/24")["id"] as? String)
            let update = try await admin.neutron(.put, "subnets/\(subnet)", #"{"subnet": {"name": "renamed", "dns_nameservers": ["1.1.1.1"], "allocation_pools": [{"start": "192.168.5.100", "end": "192.168.5.110"}], "gateway_ip": "192.168.5.254"}}"#)
            #expect(update.status == .ok, "\(update.text)")
            let updated = try #require(try update.object()["subnet"] as? [String: Any])
            #expect(updated["name"] as? String == "renamed")
            #expect(updated["dns_nameservers"] as? [String] == ["1.1.1.1"])
            #expect(updated["gateway_ip"] as? String == "192.168.5.254")
            #expect(updated["revision_number"] as? Int == 2)
            let clash = try await admin.neutron(.put, "subnets/\(subnet)", #"{"subnet": {"gateway_ip": "192.168.5.105"}}"#)
            #expect(clash.status == .conflict)
            #expect(try clash.neutronError().type == "GatewayConflictWithAllocationPools")
            let cidr = try await admin.neutron(.put, "subnets/\(subnet)", #"{"subnet": {"cidr": "10.1.0.0/24"}}"#)
            #expect(cidr.status == .badRequest)
            #expect(try await admin.neutron(.delete, "subnets/\(subnet)").status == .noContent)
            #expect(try await admin.neutron(.get, "subnets/\(subnet)").status == .notFound)
        }
    }

    @Test("list paging: limit gives a next link whose marker continues the list")
    func paging() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let response = try await admin.neutron(.get, "networks?limit=1")
            let body = try response.object()
            let first = try #require((body["networks"] as? [[String: Any]])?.first?["id"] as? String)
            let next = try #require((body["networks_links"] as? [[String: String]])?.first)
            #expect(next["rel"] == "next")
            #expect(next["href"]?.contains("marker=\(first)") == true)
            let rest = try await admin.listResources("networks", "limit=1&marker=\(first)")
            #expect(rest.count == 1)
            #expect(rest.first?["id"] as? String != first)
        }
    }
}
