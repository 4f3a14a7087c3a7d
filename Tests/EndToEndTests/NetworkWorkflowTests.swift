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
        #expect(try #require(try openstack.json("port", "list") as? [[String: Any]]).isEmpty)
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
