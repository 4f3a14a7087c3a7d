import Foundation
import Identity
import NimbusCore
import NimbusStore

/// Subnets: the address ranges of a network and the pools ports draw from.
extension NetworkService {
    public func createSubnet(_ draft: SubnetDraft, _ auth: AuthContext) throws -> Subnet {
        let owner = try NetworkPolicy.owner(requested: draft.projectId, auth)
        let network = try self.network(draft.networkId, auth)
        guard NetworkPolicy.ownsNetwork(network, auth) else {
            throw Fault.policy("create_subnet", "only the network's project or an admin may add subnets to network \(network.id)")
        }
        let range = try SubnetPlan.cidr(draft.cidr, ipVersion: draft.ipVersion)
        let gateway = try SubnetPlan.gateway(draft.gateway, in: range)
        let subnet = Subnet(
            id: .generate(), networkId: network.id, projectId: owner, name: try Self.text(draft.name, "name"),
            description: try Self.text(draft.description, "description"), cidr: "\(range)",
            gatewayIP: gateway.map { "\($0)" },
            allocationPools: try SubnetPlan.pools(draft.allocationPools, in: range, gateway: gateway),
            enableDHCP: draft.enableDHCP, dnsNameservers: try SubnetPlan.nameservers(draft.dnsNameservers),
            hostRoutes: try SubnetPlan.hostRoutes(draft.hostRoutes), now: Date())
        try checkQuota("subnet", project: owner)
        let created = try store.insertSubnet(subnet) { network, siblings in
            for sibling in siblings {
                if let other = IPv4Subnet(sibling.cidr), other.overlaps(range) {
                    throw Fault.invalidInput(
                        "Requested subnet with cidr: \(range) for network: \(network.id) overlaps with another subnet")
                }
            }
        }
        guard let created else { throw Fault.networkNotFound(draft.networkId) }
        logger.info("subnet created", metadata: ["subnet.id": "\(created.id)", "network.id": "\(network.id)", "cidr": "\(range)"])
        return created
    }

    /// A subnet the caller can see; anything else is 404.
    public func subnet(_ id: String, _ auth: AuthContext) throws -> Subnet {
        _ = try Policy.requireProjectReader(auth)
        guard let subnetID = SubnetID.parse(id), let subnet = try store.subnet(id: subnetID),
              NetworkPolicy.mayRead(subnet, on: try store.network(id: subnet.networkId), auth)
        else { throw Fault.subnetNotFound(id) }
        return subnet
    }

    public func subnets(_ query: ListQuery, _ auth: AuthContext) throws -> [Subnet] {
        let project = try Policy.requireProjectReader(auth)
        return try query.page(Policy.isAdmin(auth) ? nil : project, store.subnets)
    }

    public func updateSubnet(_ id: String, _ changes: SubnetChanges, _ auth: AuthContext) throws -> Subnet {
        let current = try modifiableSubnet(id, auth)
        guard let range = IPv4Subnet(current.cidr) else {
            throw NimbusError(.internalError, "Subnet \(current.id) has an unreadable CIDR.")
        }
        let name = try changes.name.map { try Self.text($0, "name") }
        let description = try changes.description.map { try Self.text($0, "description") }
        let nameservers = try changes.dnsNameservers.map(SubnetPlan.nameservers)
        let routes = try changes.hostRoutes.map(SubnetPlan.hostRoutes)
        if changes.gateway == .firstHost {
            throw Fault.invalid("gateway_ip", "give an address or null")
        }
        let updated = try store.updateSubnet(id: current.id) { subnet, allocated in
            var gateway = subnet.gatewayIP.flatMap(IPv4Address.init)
            if let request = changes.gateway {
                gateway = try SubnetPlan.gateway(request, in: range)
                if let gateway, "\(gateway)" != subnet.gatewayIP, allocated.contains("\(gateway)") {
                    throw Fault.make(.conflict, "GatewayIpInUse", "Gateway ip \(gateway) is already in use by a port. Unable to update.")
                }
                subnet.gatewayIP = gateway.map { "\($0)" }
            }
            if let pools = changes.allocationPools {
                subnet.allocationPools = try SubnetPlan.pools(pools, in: range, gateway: gateway)
            } else {
                try SubnetPlan.checkGateway(gateway, clearOf: subnet.allocationPools)
            }
            if let name { subnet.name = name }
            if let description { subnet.description = description }
            if let dhcp = changes.enableDHCP { subnet.enableDHCP = dhcp }
            if let nameservers { subnet.dnsNameservers = nameservers }
            if let routes { subnet.hostRoutes = routes }
            subnet.revisionNumber += 1
            subnet.updatedAt = Date()
        }
        guard let updated else { throw Fault.subnetNotFound(id) }
        return updated
    }

    /// Deletes a subnet; refused while ports other than auto-delete ones hold addresses on it.
    public func deleteSubnet(_ id: String, _ auth: AuthContext) throws {
        let current = try modifiableSubnet(id, auth)
        let deleted = try store.deleteSubnet(id: current.id) { subnet, holders in
            if holders.contains(where: { !Self.autoDeletePortOwners.contains($0.deviceOwner) }) {
                throw Fault.subnetInUse(subnet.id)
            }
        }
        guard deleted != nil else { throw Fault.subnetNotFound(id) }
        logger.info("subnet deleted", metadata: ["subnet.id": "\(current.id)"])
    }

    func modifiableSubnet(_ id: String, _ auth: AuthContext) throws -> Subnet {
        let subnet = try self.subnet(id, auth)
        guard NetworkPolicy.mayModify(owner: subnet.projectId, auth) else {
            throw Fault.policy("update_subnet", "subnet \(subnet.id) belongs to another project")
        }
        return subnet
    }
}
