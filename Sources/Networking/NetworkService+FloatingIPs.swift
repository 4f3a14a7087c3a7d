import Foundation
import Identity
import NimbusCore
import NimbusStore

/// Floating IPs and their port forwardings. An association or a forwarding
/// only records what the user asked for; the compute service turns it into
/// live forwards on the server's NIC (see `forwards(deviceID:project:)`).
extension NetworkService {
    // MARK: Floating IPs

    public func createFloatingIP(_ draft: FloatingIPDraft, _ auth: AuthContext) throws -> FloatingIP {
        let owner = try NetworkPolicy.owner(requested: draft.projectId, auth)
        let network = try self.network(draft.floatingNetworkId, auth)
        guard network.external else {
            throw Fault.make(.badRequest, "BadRequest", "Bad floatingip request: Network \(network.id) is not a valid external network.")
        }
        if draft.floatingIpAddress != nil {
            try NetworkPolicy.requireAdmin("create_floatingip:floating_ip_address", "only admins may choose a floating IP address", auth)
        }
        let subnets = try store.subnets(network: network.id)
        let description = try Self.text(draft.description, "description")
        try checkQuota("floatingip", project: owner)
        let created = try store.insert(FloatingIP(
            id: .generate(), projectId: owner, floatingNetworkId: network.id, floatingIpAddress: "", description: description, now: Date()
        )) { taken in
            var allocator = AddressAllocator(network: network.id, subnets: subnets, taken: taken, mayChooseAddresses: true)
            guard let address = try allocator.choose(draft.floatingIpAddress.map { [FixedIPRequest(ipAddress: $0)] }).first?.ipAddress else {
                throw Fault.addressesExhausted(network.id)
            }
            return address
        }
        logger.info("floating IP created", metadata: ["floatingip.id": "\(created.id)", "address": "\(created.floatingIpAddress)"])
        guard let port = draft.portId else { return created }
        do {
            var changes = FloatingIPChanges()
            changes.association = .some((port, draft.fixedIpAddress))
            return try updateFloatingIP(created.id.rawValue, changes, auth)
        } catch {
            _ = try? store.deleteFloatingIP(id: created.id)
            throw error
        }
    }

    /// A floating IP the caller can see: its project's (an admin's: any); anything else is 404.
    public func floatingIP(_ id: String, _ auth: AuthContext) throws -> FloatingIP {
        try projectResource(id, auth, fetch: store.floatingIP(id:), owner: \.projectId, notFound: Fault.floatingIPNotFound)
    }

    public func floatingIPs(_ query: ListQuery, _ auth: AuthContext) throws -> [FloatingIP] {
        let project = try Policy.requireProjectReader(auth)
        return try query.page(Policy.isAdmin(auth) ? nil : project, store.floatingIPs)
    }

    /// Associates (with a port of the floating IP's project, on one of its
    /// fixed IPs), disassociates, or describes a floating IP.
    public func updateFloatingIP(_ id: String, _ changes: FloatingIPChanges, _ auth: AuthContext) throws -> FloatingIP {
        let current = try modifiableFloatingIP(id, rule: "update_floatingip", auth)
        var target: AssociationTarget?
        if case .some(.some(let association)) = changes.association {
            target = try associationTarget(association.portId, fixedIP: association.fixedIpAddress, for: current, auth)
        }
        let description = try changes.description.map { try Self.text($0, "description") }
        let result = try store.updateFloatingIP(id: current.id) { floatingIP, holder, forwardings in
            if let target {
                guard forwardings == 0 else {
                    throw Fault.make(.conflict, "FloatingIPInUseByPortForwarding",
                                     "Floating IP \(floatingIP.id) has port forwardings; delete them before associating it with a port.")
                }
                if let other = try holder(target.port.id, target.address) {
                    throw Fault.make(.conflict, "FloatingIPPortAlreadyAssociated",
                                     "Cannot associate floating IP \(floatingIP.floatingIpAddress) (\(floatingIP.id)) with port \(target.port.id) using fixed IP \(target.address), as that fixed IP already has a floating IP on external network \(other.floatingNetworkId).")
                }
                floatingIP.portId = target.port.id
                floatingIP.fixedIpAddress = target.address
                floatingIP.routerId = target.router
            } else if case .some(.none) = changes.association {
                floatingIP.portId = nil
                floatingIP.fixedIpAddress = nil
                floatingIP.routerId = nil
            }
            if let description { floatingIP.description = description }
            floatingIP.revisionNumber += 1
            floatingIP.updatedAt = Date()
        }
        guard let (before, after) = result else { throw Fault.floatingIPNotFound(id) }
        if before.portId != after.portId || before.fixedIpAddress != after.fixedIpAddress {
            logger.info("floating IP association changed", metadata: [
                "floatingip.id": "\(after.id)", "address": "\(after.floatingIpAddress)",
                "port.id": "\(after.portId?.rawValue ?? "-")", "fixed_ip": "\(after.fixedIpAddress ?? "-")",
            ])
            try announce(ports: [before.portId, after.portId])
        }
        return after
    }

    public func deleteFloatingIP(_ id: String, _ auth: AuthContext) throws {
        let current = try modifiableFloatingIP(id, rule: "delete_floatingip", auth)
        let forwardedPorts = try store.portForwardings(floatingIPs: [current.id]).map(\.internalPortId)
        guard let deleted = try store.deleteFloatingIP(id: current.id) else { throw Fault.floatingIPNotFound(id) }
        logger.info("floating IP deleted", metadata: ["floatingip.id": "\(deleted.id)", "address": "\(deleted.floatingIpAddress)"])
        try announce(ports: [deleted.portId] + forwardedPorts)
    }

    /// Where a floating IP forwards to: a port, one of its fixed IPs, and the
    /// router that joins that address's subnet to the floating IP's network.
    struct AssociationTarget {
        let port: NetworkPort
        let address: String
        let router: RouterID
    }

    /// The port and fixed IP a floating IP may forward to, or Neutron's refusal.
    func associationTarget(
        _ portID: String, fixedIP: String?, for floatingIP: FloatingIP, _ auth: AuthContext
    ) throws -> AssociationTarget {
        let port = try self.port(portID, auth)
        if port.projectId != floatingIP.projectId, !Policy.isAdmin(auth) {
            throw Fault.make(.badRequest, "BadRequest",
                             "Bad floatingip request: Cannot create floating IP and bind it to Port \(port.id), since that port is owned by a different tenant.")
        }
        if port.networkId == floatingIP.floatingNetworkId {
            throw Fault.make(.badRequest, "BadRequest",
                             "Bad floatingip request: Port \(port.id) is on the floating IP's own external network.")
        }
        guard let address = fixedIP ?? port.fixedIPs.first?.ipAddress else {
            throw Fault.make(.badRequest, "BadRequest", "Bad floatingip request: Port \(port.id) does not have any IP addresses.")
        }
        guard let fixed = port.fixedIPs.first(where: { $0.ipAddress == address }) else {
            throw Fault.make(.badRequest, "BadRequest", "Bad floatingip request: Port \(port.id) does not have fixed ip \(address).")
        }
        // Checked before the write; a router interface removed in between is
        // refused by its own check, which sees this floating IP once written.
        guard let router = try store.router(servingSubnet: fixed.subnetId, externalNetwork: floatingIP.floatingNetworkId) else {
            throw Fault.make(.notFound, "ExternalGatewayForFloatingIPNotFound",
                             "External network \(floatingIP.floatingNetworkId) is not reachable from subnet \(fixed.subnetId).  Therefore, cannot associate Port \(port.id) with a Floating IP.")
        }
        return AssociationTarget(port: port, address: address, router: router)
    }

    func modifiableFloatingIP(_ id: String, rule: String, _ auth: AuthContext) throws -> FloatingIP {
        let floatingIP = try self.floatingIP(id, auth)
        guard NetworkPolicy.mayModify(owner: floatingIP.projectId, auth) else {
            throw Fault.policy(rule, "floating IP \(floatingIP.id) belongs to another project")
        }
        return floatingIP
    }

    /// Tells the compute service that the servers behind these ports have new forwards.
    func announce(ports: [PortID?]) throws {
        let devices = try ports.compactMap { $0 }.compactMap { try store.port(id: $0)?.deviceId }
        accessChanges.changed(deviceIDs: devices)
    }

    // MARK: Port forwardings

    public func createPortForwarding(_ floatingIPID: String, _ draft: PortForwardingDraft, _ auth: AuthContext) throws -> PortForwarding {
        let floatingIP = try modifiableFloatingIP(floatingIPID, rule: "create_floatingip_port_forwarding", auth)
        guard let proto = ForwardProtocol(rawValue: draft.protocol.lowercased()) else {
            throw Fault.invalid("protocol", "\(draft.protocol) is not in [tcp, udp]")
        }
        for (value, name) in [(draft.internalPort, "internal_port"), (draft.externalPort, "external_port")] where !(1...65535).contains(value) {
            throw Fault.invalid(name, "\(value) is not a port number from 1 to 65535")
        }
        let target = try associationTarget(draft.internalPortId, fixedIP: draft.internalIpAddress, for: floatingIP, auth)
        let forwarding = PortForwarding(
            id: .generate(), floatingipId: floatingIP.id, internalPortId: target.port.id, internalIpAddress: target.address,
            internalPort: draft.internalPort, externalPort: draft.externalPort, protocol: proto,
            description: try Self.text(draft.description, "description"))
        let created = try store.insert(forwarding) { floatingIP, siblings, toSamePort in
            if let port = floatingIP.portId {
                throw Fault.make(.conflict, "FloatingIPPortAlreadyAssociated",
                                 "Floating IP \(floatingIP.floatingIpAddress) is associated with port \(port); a floating IP forwards either to one port or by port forwardings.")
            }
            if siblings.contains(where: { $0.externalPort == forwarding.externalPort && $0.protocol == forwarding.protocol }) {
                throw Fault.make(.badRequest, "BadRequest",
                                 "Bad port_forwarding request: A duplicate port forwarding entry with same attributes already exists, conflicting values are {'floatingip_id': '\(floatingIP.id)', 'external_port': \(forwarding.externalPort), 'protocol': '\(proto.rawValue)'}.")
            }
            if toSamePort.contains(where: {
                $0.internalIpAddress == forwarding.internalIpAddress && $0.internalPort == forwarding.internalPort
                    && $0.protocol == forwarding.protocol
            }) {
                throw Fault.make(.badRequest, "BadRequest",
                                 "Bad port_forwarding request: A duplicate port forwarding entry with same attributes already exists, conflicting values are {'internal_ip_address': '\(forwarding.internalIpAddress)', 'internal_port': \(forwarding.internalPort), 'protocol': '\(proto.rawValue)'}.")
            }
        }
        guard let created else { throw Fault.floatingIPNotFound(floatingIPID) }
        if floatingIP.routerId != target.router {
            _ = try store.updateFloatingIP(id: floatingIP.id) { floatingIP, _, _ in floatingIP.routerId = target.router }
        }
        logger.info("port forwarding created", metadata: [
            "floatingip.id": "\(floatingIP.id)", "external": "\(floatingIP.floatingIpAddress):\(created.externalPort)/\(proto.rawValue)",
            "internal": "\(created.internalIpAddress):\(created.internalPort)",
        ])
        try announce(ports: [created.internalPortId])
        return created
    }

    public func portForwardings(_ floatingIPID: String, _ query: ListQuery, _ auth: AuthContext) throws -> [PortForwarding] {
        let floatingIP = try self.floatingIP(floatingIPID, auth)
        return try query.apply(to: try store.portForwardings(floatingIPs: [floatingIP.id]), id: \.id.rawValue, Self.forwardingField)
    }

    /// The forwardings of floating IPs the caller already holds, in one read: for rendering them.
    public func portForwardings(of floatingIPs: [FloatingIP]) throws -> [FloatingIPID: [PortForwarding]] {
        guard !floatingIPs.isEmpty else { return [:] }
        return Dictionary(grouping: try store.portForwardings(floatingIPs: floatingIPs.map(\.id)), by: \.floatingipId)
    }

    public func portForwarding(_ floatingIPID: String, _ id: String, _ auth: AuthContext) throws -> PortForwarding {
        let floatingIP = try self.floatingIP(floatingIPID, auth)
        guard let found = try store.portForwardings(floatingIPs: [floatingIP.id]).first(where: { $0.id.rawValue == id }) else {
            throw Fault.portForwardingNotFound(id)
        }
        return found
    }

    public func deletePortForwarding(_ floatingIPID: String, _ id: String, _ auth: AuthContext) throws {
        let floatingIP = try modifiableFloatingIP(floatingIPID, rule: "delete_floatingip_port_forwarding", auth)
        guard let forwardingID = PortForwardingID.parse(id),
              let deleted = try store.deletePortForwarding(id: forwardingID, of: floatingIP.id)
        else { throw Fault.portForwardingNotFound(id) }
        try announce(ports: [deleted.internalPortId])
    }

    static func forwardingField(_ forwarding: PortForwarding, _ key: String) -> [String]? {
        switch key {
        case "id": [forwarding.id.rawValue]
        case "internal_port_id": [forwarding.internalPortId.rawValue]
        case "internal_ip_address": [forwarding.internalIpAddress]
        case "internal_port": ["\(forwarding.internalPort)"]
        case "external_port": ["\(forwarding.externalPort)"]
        case "protocol": [forwarding.protocol.rawValue]
        case "description": [forwarding.description]
        default: nil
        }
    }
}
