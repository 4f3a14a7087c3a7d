import Foundation
import Identity
import NimbusCore
import NimbusStore
import Synchronization
import Testing
@testable import Networking

/// Neutron's lists are asked of the database a page at a time, with who
/// sees which row decided in the query.
@Suite("Neutron list cost, visibility and paging")
struct NeutronListingTests {
    final class Counter: Sendable {
        let count = Mutex(0)
    }

    let store: Store
    let networks: NetworkService
    let counter = Counter()
    let admin = ComputeFacingTests.auth("admin-project", ["admin", "member", "reader"])
    let alice = ComputeFacingTests.auth("project-a", ["member", "reader"])
    let bob = ComputeFacingTests.auth("project-b", ["member", "reader"])

    init() throws {
        let counter = self.counter
        store = try Store(inMemory: ()) { sql in
            if sql.uppercased().hasPrefix("SELECT") { counter.count.withLock { $0 += 1 } }
        }
        networks = NetworkService(store: store)
        try networks.bootstrap(adminProject: ProjectID(rawValue: "admin-project"))
    }

    func selects(_ body: () throws -> Void) rethrows -> Int {
        let before = counter.count.withLock { $0 }
        try body()
        return counter.count.withLock { $0 } - before
    }

    /// Alice owns a /20 network with 300 ports: 280 hers, 20 Bob's (he may
    /// use it as the owner let him: an admin made them for him). Bob has
    /// 10 ports on the shared private network.
    func populate() throws -> (network: Network, subnet: Subnet) {
        var draft = NetworkService.NetworkDraft()
        draft.name = "alice-net"
        let network = try networks.createNetwork(draft, alice)
        let subnet = try networks.createSubnet(.init(networkId: network.id.rawValue, cidr: "10.80.0.0/20"), alice)
        for index in 0..<300 {
            var port = NetworkService.PortDraft(networkId: network.id.rawValue)
            port.name = "port-\(index)"
            port.deviceOwner = index % 3 == 0 ? "compute:nova" : ""
            if index % 15 == 0 { port.projectId = "project-b" }
            _ = try networks.createPort(port, index % 15 == 0 ? admin : alice)
        }
        let shared = try #require(try store.networks().first { $0.name == "private" })
        for index in 0..<10 {
            var port = NetworkService.PortDraft(networkId: shared.id.rawValue)
            port.name = "bob-\(index)"
            _ = try networks.createPort(port, bob)
        }
        return (network, subnet)
    }

    @Test("a page of 25 among 312 ports is three queries (four with a marker), whatever the filters")
    func pageCost() throws {
        let (network, subnet) = try populate()
        let all = try networks.ports(.init(), admin).map(\.id)
        #expect(all.count == 312, "with the bootstrap router's two")
        var query = NetworkService.ListQuery()
        query.limit = 25
        var page: [NetworkPort] = []
        #expect(selects { page = (try? networks.ports(query, admin)) ?? [] } == 3)
        #expect(page.map(\.id) == Array(all.prefix(25)))
        query.marker = page.last?.id.rawValue
        #expect(selects { page = (try? networks.ports(query, admin)) ?? [] } == 4)
        #expect(page.map(\.id) == Array(all[25..<50]))

        query = NetworkService.ListQuery()
        query.limit = 25
        query.filters = [
            ("network_id", network.id.rawValue), ("device_owner", "compute:nova"), ("fixed_ips", "subnet_id=\(subnet.id)"),
            ("fixed_ips", "ip_address_substr=10.80."), ("admin_state_up", "True"),
        ]
        #expect(selects { page = (try? networks.ports(query, alice)) ?? [] } == 3)
        #expect(page.count == 25)
        #expect(page.allSatisfy { $0.deviceOwner == "compute:nova" && $0.fixedIPs.first?.ipAddress.hasPrefix("10.80.") == true })
    }

    @Test("a project sees its own ports and those on networks it owns; another project's marker is not found")
    func visibility() throws {
        _ = try populate()
        let everything = try networks.ports(.init(), admin)
        let hers = try networks.ports(.init(), alice)
        let his = try networks.ports(.init(), bob)
        #expect(hers.count == 300, "her 280 and Bob's 20 on her network")
        #expect(his.count == 30, "his 10 on the shared network and his 20 on hers")
        #expect(!hers.contains { $0.name.hasPrefix("bob-") })
        #expect(Set(everything.map(\.id)).isSuperset(of: hers.map(\.id) + his.map(\.id)))

        var query = NetworkService.ListQuery()
        query.marker = try #require(his.first { $0.name.hasPrefix("bob-") }).id.rawValue
        let refused = #expect(throws: NimbusError.self) { try networks.ports(query, alice) }
        #expect(refused?.code == .badRequest)
        #expect(refused?.message == "The marker \(query.marker ?? "") could not be found.")
    }

    @Test("walking pages of 7 with filters gives the ports of one page, in order")
    func walk() throws {
        _ = try populate()
        var query = NetworkService.ListQuery()
        query.filters = [("device_owner", "compute:nova"), ("device_owner", ""), ("fixed_ips", "ip_address_substr=.1")]
        let whole = try networks.ports(query, alice)
        #expect(whole.count > 20 && whole.count < 300)
        query.limit = 7
        var walked: [PortID] = []
        while true {
            let page = try networks.ports(query, alice)
            walked += page.map(\.id)
            guard page.count == 7, let last = page.last else { break }
            query.marker = last.id.rawValue
        }
        #expect(walked == whole.map(\.id))
    }
}

extension NeutronListingTests {
    @Test("networks, subnets, routers and security groups: a page is one query and one for subnets, what a project sees is decided in it, and filters keep Neutron's forms")
    func networksAndGroups() throws {
        var own: [Network] = []
        for index in 0..<30 {
            var draft = NetworkService.NetworkDraft()
            draft.name = "alice-\(index)"
            own.append(try networks.createNetwork(draft, alice))
        }
        var bobs = NetworkService.NetworkDraft()
        bobs.name = "bob-net"
        let hidden = try networks.createNetwork(bobs, bob)
        let subnet = try networks.createSubnet(.init(networkId: own[7].id.rawValue, cidr: "10.90.0.0/24"), alice)

        let seen = try networks.networks(.init(), alice)
        #expect(!seen.contains { $0.id == hidden.id })
        #expect(seen.allSatisfy { $0.projectId == alice.projectId || $0.shared || $0.external })
        #expect(seen.count == 32, "her 30, the shared private network and the external public one")

        var query = NetworkService.ListQuery()
        query.limit = 10
        var page: [Network] = []
        #expect(selects { page = (try? networks.networks(query, alice)) ?? [] } == 2)
        #expect(page.map(\.id) == Array(seen.prefix(10).map(\.id)))
        query.marker = page.last?.id.rawValue
        #expect(selects { page = (try? networks.networks(query, alice)) ?? [] } == 3)
        #expect(page.map(\.id) == Array(seen[10..<20].map(\.id)))

        query = NetworkService.ListQuery()
        query.filters = [("shared", "True")]
        #expect(try networks.networks(query, alice).map(\.name) == ["private"])
        query.filters = [("subnets", subnet.id.rawValue)]
        let holding = try networks.networks(query, alice)
        #expect(holding.map(\.id) == [own[7].id])
        #expect(holding.first?.subnetIds == [subnet.id])
        query.filters = [("name", "alice-3"), ("name", "alice-4"), ("unknown_attribute", "x")]
        #expect(try networks.networks(query, alice).map(\.name) == ["alice-3", "alice-4"])
        query.filters = [("name", "bob-net")]
        #expect(try networks.networks(query, alice).isEmpty)
        #expect(try networks.networks(query, admin).map(\.id) == [hidden.id])

        let hers = try networks.securityGroups(.init(), alice)
        let his = try networks.securityGroups(.init(), bob)
        #expect(hers.map(\.name) == ["default"] && his.map(\.name) == ["default"])
        query = NetworkService.ListQuery()
        query.marker = his[0].id.rawValue
        let refused = #expect(throws: NimbusError.self) { try networks.securityGroups(query, alice) }
        #expect(refused?.code == .badRequest)
        query.marker = nil
        query.filters = [("stateful", "true")]
        #expect(try networks.securityGroups(query, alice).map(\.id) == hers.map(\.id))
        #expect(try networks.floatingIPs(.init(), alice).isEmpty)

        // Subnets follow their network; routers are their project's.
        let sharedSubnets = try networks.subnets(.init(), bob)
        #expect(!sharedSubnets.contains { $0.id == subnet.id }, "her subnet on her own network is hers")
        #expect(sharedSubnets.contains { $0.cidr == "10.0.0.0/24" }, "the shared network's subnet is everyone's")
        query = NetworkService.ListQuery()
        query.filters = [("enable_dhcp", "1"), ("network_id", own[7].id.rawValue)]
        #expect(try networks.subnets(query, alice).map(\.id) == [subnet.id])
        query.filters = [("ip_version", "4"), ("gateway_ip", "10.90.0.1")]
        #expect(try networks.subnets(query, alice).map(\.id) == [subnet.id])
        #expect(try networks.routers(.init(), alice).isEmpty)
        query.filters = [("status", "ACTIVE"), ("admin_state_up", "true")]
        #expect(try networks.routers(query, admin).map(\.name) == ["router1"])
    }
}
