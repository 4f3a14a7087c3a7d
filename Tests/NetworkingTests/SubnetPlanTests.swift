import NimbusCore
import Testing
@testable import Networking

@Suite("Subnet plans and address choice")
struct SubnetPlanTests {
    static func subnet(_ cidr: String, gateway: String?, pools: [(String, String)]) -> Subnet {
        Subnet(
            id: .generate(), networkId: NetworkID(rawValue: "n"), projectId: ProjectID(rawValue: "p"), name: "", cidr: cidr,
            gatewayIP: gateway, allocationPools: pools.map { AllocationPool(start: $0.0, end: $0.1) }, now: .now)
    }

    @Test("default pools leave out network, broadcast and gateway")
    func defaultPools() throws {
        let range = try SubnetPlan.cidr("192.168.5.0/24", ipVersion: 4)
        let gateway = try SubnetPlan.gateway(.firstHost, in: range)
        #expect(gateway?.description == "192.168.5.1")
        #expect(try SubnetPlan.pools(nil, in: range, gateway: gateway) == [AllocationPool(start: "192.168.5.2", end: "192.168.5.254")])
        #expect(try SubnetPlan.pools(nil, in: range, gateway: nil) == [AllocationPool(start: "192.168.5.1", end: "192.168.5.254")])
        let last = try SubnetPlan.gateway(.address("192.168.5.254"), in: range)
        #expect(try SubnetPlan.pools(nil, in: range, gateway: last) == [AllocationPool(start: "192.168.5.1", end: "192.168.5.253")])
    }

    @Test("refused: IPv6, host bits, tiny and huge prefixes, gateways and pools outside")
    func refusals() throws {
        #expect(throws: NimbusError.self) { try SubnetPlan.cidr("fd00::/64", ipVersion: 6) }
        #expect(throws: NimbusError.self) { try SubnetPlan.cidr("10.0.0.0/24", ipVersion: 6) }
        #expect(throws: NimbusError.self) { try SubnetPlan.cidr("10.0.0.1/24", ipVersion: 4) }
        #expect(throws: NimbusError.self) { try SubnetPlan.cidr("10.0.0.0/31", ipVersion: 4) }
        #expect(throws: NimbusError.self) { try SubnetPlan.cidr("10.0.0.0/4", ipVersion: 4) }
        let range = try SubnetPlan.cidr("10.0.0.0/24", ipVersion: 4)
        #expect(throws: NimbusError.self) { try SubnetPlan.gateway(.address("10.0.1.1"), in: range) }
        #expect(throws: NimbusError.self) { try SubnetPlan.gateway(.address("10.0.0.0"), in: range) }
        #expect(throws: NimbusError.self) {
            try SubnetPlan.pools([AllocationPool(start: "10.0.0.0", end: "10.0.0.9")], in: range, gateway: nil)
        }
        let conflict = #expect(throws: NimbusError.self) {
            try SubnetPlan.pools([AllocationPool(start: "10.0.0.1", end: "10.0.0.9")], in: range, gateway: IPv4Address("10.0.0.1"))
        }
        #expect(conflict?.code == .conflict)
        #expect(throws: NimbusError.self) { try SubnetPlan.nameservers(["1.1.1.1", "1.1.1.1"]) }
        #expect(throws: NimbusError.self) { try SubnetPlan.hostRoutes([HostRoute(destination: "10.1.0.0", nexthop: "10.0.0.1")]) }
    }

    @Test("allocation: lowest free first, skipping the gateway and taken addresses, across pools")
    func allocation() throws {
        let subnet = Self.subnet("10.0.0.0/24", gateway: "10.0.0.5", pools: [("10.0.0.4", "10.0.0.6"), ("10.0.0.20", "10.0.0.20")])
        var allocator = AddressAllocator(network: subnet.networkId, subnets: [subnet], taken: ["10.0.0.4"], mayChooseAddresses: false)
        #expect(try allocator.choose(nil).map(\.ipAddress) == ["10.0.0.6"])
        #expect(try allocator.choose(nil).map(\.ipAddress) == ["10.0.0.20"])
        let exhausted = #expect(throws: NimbusError.self) { try allocator.choose(nil) }
        #expect((exhausted?.cause as? NeutronFault)?.type == "IpAddressGenerationFailure")
        // A member of another project may not name an address on a shared network.
        let refused = #expect(throws: NimbusError.self) { try allocator.choose([.init(ipAddress: "10.0.0.30")]) }
        #expect(refused?.code == .forbidden)
    }

    @Test("an update keeps the addresses it names again and the subnets it names only")
    func keepOnUpdate() throws {
        let subnet = Self.subnet("10.0.0.0/24", gateway: "10.0.0.1", pools: [("10.0.0.10", "10.0.0.20")])
        let current = [FixedIP(subnetId: subnet.id, ipAddress: "10.0.0.15")]
        var allocator = AddressAllocator(network: subnet.networkId, subnets: [subnet], taken: [], mayChooseAddresses: false)
        #expect(try allocator.choose([.init(subnetId: subnet.id.rawValue)], current: current) == current)
        #expect(try allocator.choose([.init(ipAddress: "10.0.0.15")], current: current) == current)
        let added = try allocator.choose([.init(ipAddress: "10.0.0.15"), .init(subnetId: subnet.id.rawValue)], current: current)
        #expect(added.map(\.ipAddress) == ["10.0.0.15", "10.0.0.10"])
        #expect(throws: NimbusError.self) {
            try allocator.choose(Array(repeating: .init(subnetId: subnet.id.rawValue), count: 6))
        }
    }
}
