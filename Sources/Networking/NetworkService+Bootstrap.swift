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

    /// The router joining `private` to `public`, as devstack's `router1`.
    static let routerName = "router1"

    /// Creates `private` and `public` in the admin project when no network of
    /// that name is there, and `router1` between them. Safe on every start; a
    /// seeded network or router an admin deleted comes back at the next start,
    /// because servers and floating IPs expect them to exist.
    public func bootstrap(adminProject: ProjectID) throws {
        let seeded = try bootstrapNetworks(adminProject: adminProject)
        try bootstrapRouter(adminProject: adminProject, privateReseeded: seeded.contains("private"))
    }

    /// `router1`, with its gateway on `public` and an interface on `private`'s
    /// subnet, when the admin project has no router of that name and no port
    /// holds `private`'s gateway address; an existing
    /// one is left as the admin made it, but gets an interface on a re-seeded `private`.
    func bootstrapRouter(adminProject: ProjectID, privateReseeded: Bool) throws {
        let networks = try store.networks().filter { $0.projectId == adminProject }
        guard let publicNetwork = networks.first(where: { $0.name == "public" && $0.external }),
              let privateNetwork = networks.first(where: { $0.name == "private" }),
              let subnet = try store.subnets(network: privateNetwork.id).first, let gatewayIP = subnet.gatewayIP
        else { return }
        if let existing = try store.routers().first(where: { $0.projectId == adminProject && $0.name == Self.routerName }) {
            guard privateReseeded else { return }
            _ = try store.editRouter(id: existing.id) { router, editor in
                _ = try Self.insertInterface(on: subnet, gatewayIP: gatewayIP, of: router, editor)
            }
            logger.info("router interface bootstrapped", metadata: ["router.id": "\(existing.id)", "subnet.id": "\(subnet.id)"])
            return
        }
        // A router the admin renamed (or made) already holds private's gateway
        // address: that one routes it, and a second could not take the address.
        let gatewayHolder = try store.ports(network: privateNetwork.id).first { port in
            port.fixedIPs.contains { $0.subnetId == subnet.id && $0.ipAddress == gatewayIP }
        }
        if let gatewayHolder {
            logger.info(
                "router not bootstrapped: private's gateway is held",
                metadata: ["port.id": "\(gatewayHolder.id)", "device.id": "\(gatewayHolder.deviceId)", "address": "\(gatewayIP)"])
            return
        }
        var router = NetworkRouter(id: .generate(), projectId: adminProject, name: Self.routerName, now: Date())
        router.gatewayNetworkId = publicNetwork.id
        try store.insert(router) { editor in
            try addGatewayPort(GatewayPlan(network: publicNetwork, info: GatewayInfo(networkId: publicNetwork.id.rawValue)), to: router, editor)
            _ = try Self.insertInterface(on: subnet, gatewayIP: gatewayIP, of: router, editor)
        }
        logger.info("router bootstrapped", metadata: ["router.id": "\(router.id)", "name": "\(Self.routerName)"])
    }

    /// Seeds the missing networks; returns the names it seeded.
    func bootstrapNetworks(adminProject: ProjectID) throws -> Set<String> {
        var seeded: Set<String> = []
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
            seeded.insert(seed.name)
        }
        return seeded
    }
}
