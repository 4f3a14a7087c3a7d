import Foundation
import Identity
import NimbusCore
import Networking

/// Nova's network proxies of microversion 2.1 (removed in 2.36): floating IPs
/// and security groups through the compute API, carried out by Neutron's
/// rules in the network service, so both APIs see the same resources.
extension ComputeService {
    /// POST /os-floating-ips: a floating IP from the pool (an external network by name; `public` by default).
    public func allocateFloatingIP(pool: String?, _ auth: AuthContext) throws -> FloatingIP {
        var query = NetworkService.ListQuery()
        query.filters = [("router:external", "true")]
        let pools = try networks.networks(query, auth).filter { $0.name == (pool ?? "public") || $0.id.rawValue == pool }
        guard let network = pools.first else { throw NimbusError.notFound("Floating IP pool not found.") }
        return try networks.createFloatingIP(.init(floatingNetworkId: network.id.rawValue), auth)
    }

    /// The caller's floating IP with this address (`addFloatingIp` names it so); 404 otherwise.
    func floatingIP(address: String, _ auth: AuthContext) throws -> FloatingIP {
        var query = NetworkService.ListQuery()
        query.filters = [("floating_ip_address", address)]
        guard let found = try networks.floatingIPs(query, auth).first else {
            throw NimbusError.notFound("floating IP not found")
        }
        return found
    }

    /// addFloatingIp: associates the floating IP with the server's port that
    /// holds `fixedAddress` (the first port when none is named).
    public func addFloatingIP(_ id: String, address: String, fixedAddress: String?, _ auth: AuthContext) throws {
        let server = try modifiable(id, rule: "os-floating-ips:add", auth)
        let floatingIP = try floatingIP(address: address, auth)
        let ports = try networks.ports(deviceID: server.id.rawValue, project: server.projectId)
        guard let port = ports.first(where: { port in fixedAddress.map { fixed in port.fixedIPs.contains { $0.ipAddress == fixed } } ?? !port.fixedIPs.isEmpty })
        else {
            throw NimbusError.badRequest("Instance \(server.id) has no fixed IP \(fixedAddress ?? "") to associate the floating IP with.")
        }
        var changes = NetworkService.FloatingIPChanges()
        changes.association = .some((port.id.rawValue, fixedAddress))
        _ = try networks.updateFloatingIP(floatingIP.id.rawValue, changes, auth)
        logger.info("floating IP added", metadata: ["server.id": "\(server.id)", "address": "\(address)"])
    }

    /// removeFloatingIp: the floating IP must be associated with this server (409 otherwise, as Nova).
    public func removeFloatingIP(_ id: String, address: String, _ auth: AuthContext) throws {
        let server = try modifiable(id, rule: "os-floating-ips:remove", auth)
        let floatingIP = try floatingIP(address: address, auth)
        let ports = Set(try networks.ports(deviceID: server.id.rawValue, project: server.projectId).map(\.id))
        guard let port = floatingIP.portId, ports.contains(port) else {
            throw NimbusError.conflict("Floating IP \(address) is not associated with instance \(server.id).")
        }
        var changes = NetworkService.FloatingIPChanges()
        changes.association = .some(nil)
        _ = try networks.updateFloatingIP(floatingIP.id.rawValue, changes, auth)
    }

    /// The server a floating IP's port belongs to, for Nova's `instance_id`.
    public func instance(of floatingIP: FloatingIP, _ auth: AuthContext) throws -> ServerID? {
        guard let port = floatingIP.portId else { return nil }
        return ServerID.parse(try networks.port(port.rawValue, auth).deviceId)
    }
}

extension ComputeService {
    public func floatingIPs(_ auth: AuthContext) throws -> [FloatingIP] {
        try networks.floatingIPs(NetworkService.ListQuery(), auth)
    }

    public func floatingIP(_ id: String, _ auth: AuthContext) throws -> FloatingIP {
        try networks.floatingIP(id, auth)
    }

    public func releaseFloatingIP(_ id: String, _ auth: AuthContext) throws {
        try networks.deleteFloatingIP(id, auth)
    }

    /// The network name of an external network: Nova's `pool`.
    public func poolName(_ id: NetworkID, _ auth: AuthContext) throws -> String {
        try networks.network(id.rawValue, auth).name
    }

    public func securityGroups(_ auth: AuthContext) throws -> [SecurityGroup] {
        try networks.securityGroups(NetworkService.ListQuery(), auth)
    }

    public func securityGroup(_ id: String, _ auth: AuthContext) throws -> SecurityGroup {
        try networks.securityGroup(id, auth)
    }

    public func rules(of group: SecurityGroup) throws -> [SecurityGroupRule] {
        try networks.rules(ofGroups: [group.id])
    }

    public func createSecurityGroup(name: String, description: String, _ auth: AuthContext) throws -> SecurityGroup {
        var draft = NetworkService.SecurityGroupDraft()
        draft.name = name
        draft.description = description
        return try networks.createSecurityGroup(draft, auth)
    }

    public func deleteSecurityGroup(_ id: String, _ auth: AuthContext) throws {
        try networks.deleteSecurityGroup(id, auth)
    }
}
