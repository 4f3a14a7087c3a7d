import Foundation
import Identity
import Logging
import NimbusCore
import NimbusStore

/// Networks, subnets and ports as Neutron has them, for the API and for the
/// compute service (see NetworkService+Compute.swift for what it calls).
public struct NetworkService: Sendable {
    let store: Store
    let logger = Logger(label: "nimbus.network")
    /// Neutron's per-project quotas.
    public let quotas: ProjectQuotas
    /// Which servers' forwards to recompute after a change of access.
    public let accessChanges = AccessChanges()

    public init(store: Store) {
        self.store = store
        self.quotas = .network(store)
    }

    /// Ports with these owners go with their network, as Neutron's
    /// AUTO_DELETE_PORT_OWNERS; every other port keeps a network in use.
    static let autoDeletePortOwners: Set<String> = ["network:dhcp", "network:distributed"]

    // MARK: Networks

    public func createNetwork(_ draft: NetworkDraft, _ auth: AuthContext) throws -> Network {
        let owner = try NetworkPolicy.owner(requested: draft.projectId, auth)
        if draft.shared {
            try NetworkPolicy.requireAdmin("create_network:shared", "only admins may share a network", auth)
        }
        if draft.external {
            try NetworkPolicy.requireAdmin("create_network:router:external", "only admins may create external networks", auth)
        }
        let network = Network(
            id: .generate(), projectId: owner, name: try Self.text(draft.name, "name"),
            description: try Self.text(draft.description, "description"), adminStateUp: draft.adminStateUp,
            shared: draft.shared, external: draft.external, mtu: try Self.mtu(draft.mtu ?? Network.defaultMTU), now: Date())
        try checkQuota("network", project: owner)
        try store.insertNetwork(network)
        logger.info("network created", metadata: ["network.id": "\(network.id)", "project.id": "\(owner)"])
        return network
    }

    /// A network the caller can see; anything else is 404.
    public func network(_ id: String, _ auth: AuthContext) throws -> Network {
        _ = try Policy.requireProjectReader(auth)
        guard let networkID = NetworkID.parse(id), let network = try store.network(id: networkID),
              NetworkPolicy.mayRead(network, auth)
        else { throw Fault.networkNotFound(id) }
        return network
    }

    public func networks(_ query: ListQuery, _ auth: AuthContext) throws -> [Network] {
        let project = try Policy.requireProjectReader(auth)
        return try query.page(Policy.isAdmin(auth) ? nil : project, store.networks)
    }

    /// The external networks' ids: what a subnet's `router:external` says.
    public func externalNetworkIDs() throws -> Set<NetworkID> {
        Set(try store.networks().filter(\.external).map(\.id))
    }

    public func updateNetwork(_ id: String, _ changes: NetworkChanges, _ auth: AuthContext) throws -> Network {
        let current = try modifiableNetwork(id, auth)
        if changes.shared != nil {
            try NetworkPolicy.requireAdmin("update_network:shared", "only admins may change sharing", auth)
        }
        if changes.external != nil {
            try NetworkPolicy.requireAdmin("update_network:router:external", "only admins may change router:external", auth)
        }
        if changes.shared == false, current.shared {
            // Neutron refuses to unshare a network other projects have ports on. Checked
            // before the write: an admin-only change, so a port created in between is a
            // race we accept rather than widen the store's network update.
            let others = try store.ports(network: current.id).contains { $0.projectId != current.projectId }
            if others {
                throw Fault.make(.conflict, "InvalidSharedSetting",
                                 "Unable to reconfigure sharing settings for network \(current.id). Multiple tenants are using it.")
            }
        }
        let name = try changes.name.map { try Self.text($0, "name") }
        let description = try changes.description.map { try Self.text($0, "description") }
        let mtu = try changes.mtu.map(Self.mtu)
        let updated = try store.updateNetwork(id: current.id) { network in
            if let name { network.name = name }
            if let description { network.description = description }
            if let up = changes.adminStateUp { network.adminStateUp = up }
            if let shared = changes.shared { network.shared = shared }
            if let external = changes.external { network.external = external }
            if let mtu { network.mtu = mtu }
            network.revisionNumber += 1
            network.updatedAt = Date()
        }
        guard let updated else { throw Fault.networkNotFound(id) }
        return updated
    }

    /// Deletes a network and its subnets; refused while ports other than
    /// Neutron's auto-delete ones, or floating IPs in use, remain on it, as in
    /// Neutron. Its unused floating IPs go with it.
    public func deleteNetwork(_ id: String, _ auth: AuthContext) throws {
        let current = try modifiableNetwork(id, auth)
        let deleted = try store.deleteNetwork(id: current.id) { network, ports, floatingIPs in
            if ports.contains(where: { !Self.autoDeletePortOwners.contains($0.deviceOwner) }) || floatingIPs.contains(where: \.inUse) {
                throw Fault.networkInUse(network.id)
            }
        }
        guard deleted != nil else { throw Fault.networkNotFound(id) }
        logger.info("network deleted", metadata: ["network.id": "\(current.id)"])
    }

    /// The network, when the caller may change it; a visible network of another project is 403.
    func modifiableNetwork(_ id: String, _ auth: AuthContext) throws -> Network {
        let network = try self.network(id, auth)
        guard NetworkPolicy.mayModify(owner: network.projectId, auth) else {
            throw Fault.policy("update_network", "network \(network.id) belongs to another project")
        }
        return network
    }

    // MARK: Values shared by every resource

    /// Names and descriptions: Neutron's 255 characters.
    static func text(_ value: String, _ attribute: String) throws -> String {
        guard value.count <= 255 else { throw Fault.invalid(attribute, "'\(value.prefix(32))…' exceeds maximum length of 255") }
        return value
    }

    /// IPv4 needs 68 bytes; QEMU's user-mode NIC carries at most 1500.
    static func mtu(_ value: Int) throws -> Int {
        guard (68...Network.defaultMTU).contains(value) else {
            throw Fault.invalid("mtu", "\(value) is not between 68 and \(Network.defaultMTU), the MTU Nimbus networks carry")
        }
        return value
    }
}
