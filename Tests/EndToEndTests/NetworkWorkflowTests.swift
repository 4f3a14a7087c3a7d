import Foundation
import Testing

/// Networks, subnets and ports with the real `openstack` client, as a user shapes their network.
@Suite("Networks with the real openstack client")
struct NetworkWorkflowTests {
    @Test("network list shows private and public; public is external")
    func bootstrapped() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        let listed = try #require(try openstack.json("network", "list") as? [[String: Any]])
        #expect(Set(listed.compactMap { $0["Name"] as? String }) == ["private", "public"])
        #expect(listed.allSatisfy { ($0["Subnets"] as? [String])?.count == 1 })

        let shown = try #require(try openstack.json("network", "show", "public") as? [String: Any])
        #expect(shown["router:external"] as? Bool == true)
        #expect(shown["shared"] as? Bool == false)
        let table = try openstack.succeed("network", "show", "public")
        #expect(table.contains("External"), "\(table)")
        let external = try #require(try openstack.json("network", "list", "--external") as? [[String: Any]])
        #expect(external.compactMap { $0["Name"] as? String } == ["public"])

        let subnet = try #require(try openstack.json("subnet", "show", "private-subnet") as? [String: Any])
        #expect(subnet["cidr"] as? String == "10.0.0.0/24")
        #expect(subnet["gateway_ip"] as? String == "10.0.0.1")
        #expect(subnet["enable_dhcp"] as? Bool == true)
    }

    @Test("create a network, a subnet with a pool, a port with a fixed IP; list, set, delete")
    func shapeANetwork() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        _ = try openstack.succeed("network", "create", "lab")
        let subnet = try #require(try openstack.json(
            "subnet", "create", "--network", "lab", "--subnet-range", "192.168.5.0/24",
            "--allocation-pool", "start=192.168.5.100,end=192.168.5.150", "--dns-nameserver", "1.1.1.1", "lab-subnet") as? [String: Any])
        #expect(subnet["gateway_ip"] as? String == "192.168.5.1")
        let pools = subnet["allocation_pools"] as? [[String: String]]
        #expect(pools == [["start": "192.168.5.100", "end": "192.168.5.150"]])

        let fixed = try #require(try openstack.json(
            "port", "create", "--network", "lab", "--fixed-ip", "subnet=lab-subnet,ip-address=192.168.5.120", "fixed-port") as? [String: Any])
        #expect(Self.addresses(fixed) == ["192.168.5.120"])
        #expect((fixed["mac_address"] as? String)?.hasPrefix("fa:16:3e:") == true)
        let any = try #require(try openstack.json("port", "create", "--network", "lab", "any-port") as? [String: Any])
        #expect(Self.addresses(any) == ["192.168.5.100"])

        let ports = try #require(try openstack.json("port", "list", "--network", "lab") as? [[String: Any]])
        #expect(Set(ports.compactMap { $0["Name"] as? String }) == ["fixed-port", "any-port"])
        let byAddress = try #require(try openstack.json("port", "list", "--fixed-ip", "ip-address=192.168.5.120") as? [[String: Any]])
        #expect(byAddress.compactMap { $0["Name"] as? String } == ["fixed-port"])

        _ = try openstack.succeed("subnet", "set", "--name", "lab-renamed", "--gateway", "none", "lab-subnet")
        let renamed = try #require(try openstack.json("subnet", "show", "lab-renamed") as? [String: Any])
        #expect(renamed["gateway_ip"] is NSNull)
        _ = try openstack.succeed("port", "set", "--name", "renamed-port", "fixed-port")

        let busy = try openstack("network", "delete", "lab")
        #expect(!busy.succeeded, "a network with ports is in use")
        #expect(busy.stderr.contains("409") || busy.stderr.contains("in use"), "\(busy.stderr)")

        _ = try openstack.succeed("port", "delete", "renamed-port", "any-port")
        _ = try openstack.succeed("subnet", "delete", "lab-renamed")
        _ = try openstack.succeed("network", "delete", "lab")
        let after = try #require(try openstack.json("network", "list") as? [[String: Any]])
        #expect(!after.contains { $0["Name"] as? String == "lab" })
        // What is left is router1's: its gateway on public and its interface on private.
        let left = try #require(try openstack.json("port", "list", "--long") as? [[String: Any]])
        #expect(Set(left.compactMap { $0["Device Owner"] as? String }) == ["network:router_gateway", "network:router_interface"], "\(left)")
    }

    @Test("a router as every tutorial makes one: create, external gateway, add subnet; floating IPs go through it")
    func router() async throws {
        let nimbus = try await NimbusProcess()
        let admin = OpenStackClient(admin: nimbus)
        let bob = try admin.newMember()
        let bootstrapped = try #require(try admin.json("router", "show", "router1") as? [String: Any])
        #expect((bootstrapped["external_gateway_info"] as? [String: Any])?["network_id"] as? String
                    == (try admin.succeed("network", "show", "public", "-f", "value", "-c", "id")).trimmingCharacters(in: .whitespacesAndNewlines))

        _ = try bob.succeed("network", "create", "lab")
        _ = try bob.succeed("subnet", "create", "--network", "lab", "--subnet-range", "192.168.9.0/24", "lab-subnet")
        let port = try #require(try bob.json("port", "create", "--network", "lab", "web-nic") as? [String: Any])
        let portID = try #require(port["id"] as? String)
        let fip = try #require(try bob.json("floating", "ip", "create", "public") as? [String: Any])
        let address = try #require(fip["floating_ip_address"] as? String)

        let unreachable = try bob("floating", "ip", "set", "--port", portID, address)
        #expect(!unreachable.succeeded, "no router joins lab to public yet")
        #expect(unreachable.stderr.contains("is not reachable from subnet"), "\(unreachable.stderr)")

        _ = try bob.succeed("router", "create", "lab-router")
        _ = try bob.succeed("router", "set", "--external-gateway", "public", "lab-router")
        _ = try bob.succeed("router", "add", "subnet", "lab-router", "lab-subnet")
        let shown = try #require(try bob.json("router", "show", "lab-router") as? [String: Any])
        #expect(shown["status"] as? String == "ACTIVE")
        let interfaces = try #require(try bob.json("port", "list", "--router", "lab-router") as? [[String: Any]])
        let interfaceAddresses = interfaces.flatMap { ($0["Fixed IP Addresses"] as? [[String: Any]] ?? []).compactMap { $0["ip_address"] as? String } }
        #expect(interfaceAddresses == ["192.168.9.1"], "\(interfaces)")

        _ = try bob.succeed("floating", "ip", "set", "--port", portID, address)
        let associated = try #require(try bob.json("floating", "ip", "show", address) as? [String: Any])
        #expect(associated["router_id"] as? String == shown["id"] as? String)
        let busy = try bob("router", "remove", "subnet", "lab-router", "lab-subnet")
        #expect(!busy.succeeded && busy.stderr.contains("required by one or more floating IPs"), "\(busy.stderr)")

        _ = try bob.succeed("floating", "ip", "unset", "--port", address)
        _ = try bob.succeed("router", "remove", "subnet", "lab-router", "lab-subnet")
        _ = try bob.succeed("router", "unset", "--external-gateway", "lab-router")
        _ = try bob.succeed("router", "delete", "lab-router")
        let routers = try #require(try bob.json("router", "list") as? [[String: Any]])
        #expect(routers.isEmpty, "\(routers)")
    }

    @Test("a member of another project cannot see the first project's private network")
    func isolation() async throws {
        let nimbus = try await NimbusProcess()
        let admin = OpenStackClient(admin: nimbus)
        let created = try #require(try admin.json("network", "create", "admin-private") as? [String: Any])
        let id = try #require(created["id"] as? String)
        let bob = try admin.newMember()
        let visible = try #require(try bob.json("network", "list") as? [[String: Any]])
        #expect(Set(visible.compactMap { $0["Name"] as? String }) == ["private", "public"])
        for reference in [id, "admin-private"] {
            let hidden = try bob("network", "show", reference)
            #expect(!hidden.succeeded)
            #expect(hidden.stderr.contains("No Network found") || hidden.stderr.contains("404"), "\(hidden.stderr)")
        }
        // Bob can use the shared network for his own ports, and create his own network.
        let port = try #require(try bob.json("port", "create", "--network", "private", "bob-nic") as? [String: Any])
        #expect(Self.addresses(port).first?.hasPrefix("10.0.0.") == true)
        _ = try bob.succeed("network", "create", "bob-net")
        let adminView = try #require(try admin.json("network", "list") as? [[String: Any]])
        #expect(adminView.contains { $0["Name"] as? String == "bob-net" })
    }

    /// The addresses of a port as `openstack port show -f json` prints them.
    static func addresses(_ port: [String: Any]) -> [String] {
        (port["fixed_ips"] as? [[String: Any]] ?? []).compactMap { $0["ip_address"] as? String }
    }
}
