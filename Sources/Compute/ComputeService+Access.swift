import Foundation
import Identity
import NimbusCore
import Networking

/// What reaches a server from the host: its security groups (on its ports,
/// as Nova keeps them in Neutron) and the live forwards of its floating IPs
/// and port forwardings.
extension ComputeService {
    // MARK: Security groups

    /// The names of the server's groups, as Nova shows them.
    public func securityGroupNames(_ server: Server) throws -> [String] {
        try networking(of: [server]).securityGroupNames[server.id] ?? []
    }

    /// Nova's addSecurityGroup: the group joins every port of the server.
    public func addSecurityGroup(_ id: String, name: String, _ auth: AuthContext) throws {
        let server = try modifiable(id, rule: "os-security-groups:add", auth)
        let group = try securityGroup(named: name, for: server)
        try networks.setSecurityGroups(deviceID: server.id.rawValue, project: server.projectId) { groups in
            guard !groups.contains(group) else {
                throw NimbusError.badRequest("Security group \(name) is already associated with the instance \(server.id)")
            }
            groups.append(group)
        }
        logger.info("security group added", metadata: ["server.id": "\(server.id)", "security_group": "\(name)"])
    }

    /// Nova's removeSecurityGroup: the group leaves every port of the server.
    public func removeSecurityGroup(_ id: String, name: String, _ auth: AuthContext) throws {
        let server = try modifiable(id, rule: "os-security-groups:remove", auth)
        let group = try securityGroup(named: name, for: server)
        try networks.setSecurityGroups(deviceID: server.id.rawValue, project: server.projectId) { groups in
            guard groups.contains(group) else {
                throw NimbusError.badRequest("Security group \(name) not associated with the instance \(server.id)")
            }
            groups.removeAll { $0 == group }
        }
        logger.info("security group removed", metadata: ["server.id": "\(server.id)", "security_group": "\(name)"])
    }

    /// A group of the server's project by name or id; Nova's 404 when there is none.
    func securityGroup(named name: String, for server: Server) throws -> SecurityGroupID {
        do {
            guard let id = try networks.securityGroupIds([name], project: server.projectId).first else { throw Self.groupNotFound(name, server) }
            return id
        } catch let error as NimbusError where error.code == .notFound {
            throw Self.groupNotFound(name, server)
        }
    }

    static func groupNotFound(_ name: String, _ server: Server) -> NimbusError {
        NimbusError.notFound("Security group \(name) not found for project \(server.projectId).")
    }

    // MARK: Forwards

    /// Recomputes the forwards of these servers, each in its turn with the
    /// server's other operations (so never against a VM being started or
    /// stopped). The network service calls it through `AccessChanges`.
    public func refreshForwards(_ deviceIDs: Set<String>) {
        for id in deviceIDs.compactMap(ServerID.parse) {
            operations.enqueue(id) { await applyForwards(id) }
        }
    }

    /// Makes the running VM's forwards what the network service says they
    /// should be. Forwards this process cannot bind (ports below 1024 when
    /// not root) are logged with what to do instead, and the others still
    /// apply. A forward QEMU refuses is tried again a few times: a floating
    /// IP moving from another server is free once that server's own refresh
    /// (on its own queue) has removed it.
    func applyForwards(_ id: ServerID) async {
        guard await runtime.isRunning(id) else { return }
        do {
            guard let server = try store.server(id: id) else { return }
            let byPort = try networks.forwards(deviceID: id.rawValue, project: server.projectId)
            var wanted: [String: Set<AccessForward>] = [:]
            for (index, plan) in try nicPlans(server).enumerated() {
                var forwards = Set<AccessForward>()
                for forward in byPort[plan.portId] ?? [] {
                    guard UserNetForwards.mayBind(forward.hostPort) else {
                        logger.warning("""
                            port \(forward.hostPort) of \(forward.hostAddress) is below 1024 and Nimbus is not root, so it is not \
                            forwarded; run Nimbus as root, or forward a higher port from a floating IP that is not associated \
                            with a port: openstack floating ip port forwarding create --internal-ip-address \(forward.guestAddress) \
                            --port \(plan.portId) --internal-protocol-port \(forward.guestPort) --external-protocol-port \
                            \(forward.hostPort + 10000) --protocol \(forward.protocol.rawValue) FLOATING_IP
                            """, metadata: ["server.id": "\(id)"])
                        continue
                    }
                    forwards.insert(forward)
                }
                wanted[VMSpecBuilder.netdevID(index)] = forwards
            }
            var refused = try await runtime.setForwards(id, wanted)
            for _ in 0..<5 where !refused.isEmpty {
                try await Task.sleep(for: .milliseconds(200))
                refused = try await runtime.setForwards(id, wanted)
            }
            for (command, output) in refused {
                logger.error("forward refused by QEMU (is the address in use?)", metadata: [
                    "server.id": "\(id)", "command": "\(command)", "qemu": "\(output)",
                ])
            }
            logger.info("forwards applied", metadata: [
                "server.id": "\(id)", "forwards": "\(wanted.values.map(\.count).reduce(0, +) - refused.count)",
            ])
        } catch {
            logger.error("forwards not applied", metadata: ["server.id": "\(id)", "error": "\(error)"])
        }
    }
}
