import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Ports and address allocation in process")
struct NetworkPortTests {
    @Test("port create, show, list filters, update, delete; in-use networks and subnets are 409")
    func portLifecycle() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let network = try await admin.createNetwork(#"{"name": "net"}"#)
            let subnet = try #require(try await admin.createSubnet(network: network, cidr: "192.168.5.0/24", #", "allocation_pools": [{"start": "192.168.5.100", "end": "192.168.5.150"}]"#)["id"] as? String)
            let fixed = try await admin.createPort(network: network, #", "name": "p1", "fixed_ips": [{"subnet_id": "\#(subnet)", "ip_address": "192.168.5.120"}]"#)
            #expect(addresses(fixed) == ["192.168.5.120"])
            #expect((fixed["fixed_ips"] as? [[String: String]])?.first?["subnet_id"] == subnet)
            let mac = try #require(fixed["mac_address"] as? String)
            #expect(mac.hasPrefix("fa:16:3e:") && mac.count == 17)
            #expect(fixed["status"] as? String == "DOWN")
            #expect(fixed["device_id"] as? String == "")
            let groups = try await admin.listResources("security-groups")
            let defaultGroup = try #require(groups.first { $0["name"] as? String == "default" }?["id"] as? String)
            #expect(fixed["security_groups"] as? [String] == [defaultGroup], "a new port gets its project's default group")
            #expect(fixed["binding:vnic_type"] as? String == "normal")
            let any = try await admin.createPort(network: network, #", "name": "p2", "device_id": "server-1", "device_owner": "compute:nova""#)
            #expect(addresses(any) == ["192.168.5.100"], "the first free address of the pool")
            #expect(any["mac_address"] as? String != mac)

            #expect(try await admin.names("ports", "network_id=\(network)") == ["p1", "p2"])
            #expect(try await admin.names("ports", "fixed_ips=ip_address%3D192.168.5.120") == ["p1"])
            #expect(try await admin.names("ports", "fixed_ips=subnet_id%3D\(subnet)&device_id=server-1") == ["p2"])
            #expect(try await admin.names("ports", "mac_address=\(mac)") == ["p1"])

            let p1 = try #require(fixed["id"] as? String)
            let update = try await admin.neutron(.put, "ports/\(p1)", #"{"port": {"name": "renamed", "fixed_ips": [{"ip_address": "192.168.5.120"}, {"subnet_id": "\#(subnet)"}]}}"#)
            #expect(update.status == .ok, "\(update.text)")
            let updated = try #require(try update.object()["port"] as? [String: Any])
            #expect(updated["name"] as? String == "renamed")
            #expect(addresses(updated) == ["192.168.5.120", "192.168.5.101"])
            #expect(updated["revision_number"] as? Int == 2)

            let busy = try await admin.neutron(.delete, "networks/\(network)")
            #expect(busy.status == .conflict)
            #expect(try busy.neutronError().type == "NetworkInUse")
            let subnetBusy = try await admin.neutron(.delete, "subnets/\(subnet)")
            #expect(subnetBusy.status == .conflict)
            #expect(try subnetBusy.neutronError().type == "SubnetInUse")

            for port in [p1, any["id"] as? String ?? ""] {
                #expect(try await admin.neutron(.delete, "ports/\(port)").status == .noContent)
            }
            #expect(try await admin.neutron(.get, "ports/\(p1)").status == .notFound)
            #expect(try await admin.neutron(.delete, "networks/\(network)").status == .noContent)
            #expect(try await admin.neutron(.get, "subnets/\(subnet)").status == .notFound, "subnets go with their network")
        }
    }

    @Test("20 concurrent port creates get 20 different addresses")
    func concurrentAllocation() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let network = try await admin.createNetwork(#"{"name": "busy"}"#)
            _ = try await admin.createSubnet(network: network, cidr: "10.20.0.0/24", #", "allocation_pools": [{"start": "10.20.0.10", "end": "10.20.0.60"}]"#)
            // Each task hands back the port's addresses and MAC: plain strings cross task boundaries.
            let ports = try await withThrowingTaskGroup(of: (addresses: [String], mac: String).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let port = try await admin.createPort(network: network, #", "name": "p\#(index)""#)
                        return (addresses(port), port["mac_address"] as? String ?? "")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let all = ports.flatMap(\.addresses)
            #expect(all.count == 20)
            #expect(Set(all).count == 20, "duplicate addresses: \(all.sorted())")
            #expect(Set(ports.map(\.mac)).count == 20)
            #expect(Set(all) == Set((10..<30).map { "10.20.0.\($0)" }))
            #expect(try await admin.listResources("ports", "network_id=\(network)").count == 20)
        }
    }

    @Test("an exhausted pool is 409 IpAddressGenerationFailure; a deleted port's address is reused")
    func exhaustion() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let network = try await admin.createNetwork(#"{"name": "small"}"#)
            _ = try await admin.createSubnet(network: network, cidr: "10.30.0.0/24", #", "allocation_pools": [{"start": "10.30.0.5", "end": "10.30.0.7"}]"#)
            var ids: [String] = []
            for _ in 0..<3 { ids.append(try #require(try await admin.createPort(network: network)["id"] as? String)) }
            let full = try await admin.neutron(.post, "ports", #"{"port": {"network_id": "\#(network)"}}"#)
            #expect(full.status == .conflict)
            let error = try full.neutronError()
            #expect(error.type == "IpAddressGenerationFailure")
            #expect(error.message.contains("No more IP addresses available on network \(network)"))
            #expect(try await admin.neutron(.delete, "ports/\(ids[1])").status == .noContent)
            #expect(addresses(try await admin.createPort(network: network)) == ["10.30.0.6"])
        }
    }

    @Test("precise addresses: taken 409, outside the subnet 400, gateway 409; no subnet or [] means no address")
    func preciseAddresses() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let network = try await admin.createNetwork(#"{"name": "net"}"#)
            let bare = try await admin.createPort(network: network)
            #expect(addresses(bare).isEmpty, "a network without subnets gives ports no address")
            _ = try await admin.createSubnet(network: network, cidr: "10.40.0.0/24")
            _ = try await admin.createPort(network: network, #", "fixed_ips": [{"ip_address": "10.40.0.50"}]"#)
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"[{"ip_address": "10.40.0.50"}]"#, .conflict, "IpAddressAlreadyAllocated"),
                (#"[{"ip_address": "10.41.0.5"}]"#, .badRequest, "InvalidInput"),
                (#"[{"ip_address": "10.40.0.255"}]"#, .badRequest, "InvalidInput"),
                (#"[{"ip_address": "10.40.0.1"}]"#, .conflict, "IpAddressInUse"),
                (#"[{"ip_address": "ten"}]"#, .badRequest, "HTTPBadRequest"),
                (#"[{"subnet_id": "3f1e0a7e-0000-4000-8000-000000000000"}]"#, .badRequest, "InvalidInput"),
                (#"[{}]"#, .badRequest, "HTTPBadRequest"),
                (#"[{"subnet": "x"}]"#, .badRequest, "HTTPBadRequest"),
            ]
            for (fixedIPs, status, type) in cases {
                let response = try await admin.neutron(.post, "ports", #"{"port": {"network_id": "\#(network)", "fixed_ips": \#(fixedIPs)}}"#)
                #expect(response.status == status, "\(fixedIPs) gave \(response.status): \(response.text)")
                #expect(try response.neutronError().type == type, "\(fixedIPs): \(response.text)")
            }
            let none = try await admin.createPort(network: network, #", "fixed_ips": []"#)
            #expect(addresses(none).isEmpty)
            #expect(try await admin.listResources("ports", "network_id=\(network)").count == 3)
        }
    }
}
