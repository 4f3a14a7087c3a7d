import Foundation
import NimbusCore
import NimbusStore

extension NetworkService {
    /// One network the bootstrap makes, with its one subnet.
    struct Seed {
        var name: String
        var shared: Bool
        var external: Bool
        var subnetName: String
        var cidr: String
        var gateway: String
        var pool: AllocationPool
        var enableDHCP: Bool
    }

    /// `private`: where servers go by default, shared so every project can use it.
    /// `public`: external, where floating IPs come from; loopback addresses, so
    /// a floating IP is reachable from the host with nothing configured.
    static let seeds = [
        Seed(name: "private", shared: true, external: false, subnetName: "private-subnet", cidr: "10.0.0.0/24",
             gateway: "10.0.0.1", pool: AllocationPool(start: "10.0.0.10", end: "10.0.0.250"), enableDHCP: true),
        Seed(name: "public", shared: false, external: true, subnetName: "public-subnet", cidr: "127.10.0.0/24",
             gateway: "127.10.0.1", pool: AllocationPool(start: "127.10.0.2", end: "127.10.0.254"), enableDHCP: false),
    ]

    /// Creates `private` and `public` in the admin project when no network of
    /// that name is there. Safe on every start; a seeded network an admin
    /// deleted comes back at the next start, because servers and floating IPs
    /// expect both to exist.
    public func bootstrap(adminProject: ProjectID) throws {
        let existing = Set(try store.networks().filter { $0.projectId == adminProject }.map(\.name))
        for seed in Self.seeds where !existing.contains(seed.name) {
            let now = Date()
            let network = Network(
                id: .generate(), projectId: adminProject, name: seed.name, shared: seed.shared, external: seed.external, now: now)
            guard let range = IPv4Subnet(seed.cidr) else { continue }
            let gateway = try SubnetPlan.gateway(.address(seed.gateway), in: range)
            let subnet = Subnet(
                id: .generate(), networkId: network.id, projectId: adminProject, name: seed.subnetName, cidr: "\(range)",
                gatewayIP: seed.gateway, allocationPools: try SubnetPlan.pools([seed.pool], in: range, gateway: gateway),
                enableDHCP: seed.enableDHCP, now: now)
            try store.insertNetwork(network, subnets: [subnet])
            logger.info("network bootstrapped", metadata: ["network.id": "\(network.id)", "name": "\(seed.name)", "cidr": "\(range)"])
        }
    }
}
