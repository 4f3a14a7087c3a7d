import Foundation
import Identity
import NimbusCore
import NimbusStore

/// Ports: a NIC's MAC and fixed IPs on a network.
extension NetworkService {
    public func createPort(_ draft: PortDraft, _ auth: AuthContext) throws -> NetworkPort {
        let owner = try NetworkPolicy.owner(requested: draft.projectId, auth)
        let network = try self.network(draft.networkId, auth)
        guard NetworkPolicy.mayCreatePort(on: network, auth) else {
            throw Fault.policy("create_port", "project \(auth.projectId?.rawValue ?? "-") is not allowed to create ports on network \(network.id)")
        }
        let ownsNetwork = NetworkPolicy.ownsNetwork(network, auth)
        var port = NetworkPort(
            id: .generate(), networkId: network.id, projectId: owner, name: try Self.text(draft.name, "name"),
            description: try Self.text(draft.description, "description"), macAddress: Self.randomMAC(),
            deviceId: try Self.text(draft.deviceId, "device_id"), deviceOwner: try Self.text(draft.deviceOwner, "device_owner"),
            adminStateUp: draft.adminStateUp, now: Date())
        try checkPortAttributes(
            deviceOwner: draft.deviceOwner, macAddress: draft.macAddress, bindingHostId: draft.bindingHostId,
            vnicType: draft.bindingVnicType, ownsNetwork: ownsNetwork, rule: "create_port", auth)
        let requestedMAC = try draft.macAddress.map(Self.mac)
        if let requestedMAC { port.macAddress = requestedMAC }
        if let host = draft.bindingHostId { port.bindingHostId = try Self.text(host, "binding:host_id") }
        if !(draft.deviceOwner.hasPrefix("network:") && draft.securityGroups == nil) {
            port.securityGroupIds = try securityGroupIds(draft.securityGroups, project: owner)
        }
        try checkQuota("port", project: owner)
        let created = try store.insertPort(port) { port, book in
            try Self.assignMAC(&port, requested: requestedMAC, book)
            var allocator = AddressAllocator(network: network.id, subnets: book.subnets, taken: book.taken, mayChooseAddresses: ownsNetwork)
            port.fixedIPs = try allocator.choose(draft.fixedIPs)
        }
        guard let created else { throw Fault.networkNotFound(draft.networkId) }
        logger.info("port created", metadata: [
            "port.id": "\(created.id)", "network.id": "\(network.id)", "ips": "\(created.fixedIPs.map(\.ipAddress))",
        ])
        return created
    }

    /// A port the caller can see; anything else is 404.
    public func port(_ id: String, _ auth: AuthContext) throws -> NetworkPort {
        _ = try Policy.requireProjectReader(auth)
        guard let portID = PortID.parse(id), let port = try store.port(id: portID),
              NetworkPolicy.mayRead(port, on: try store.network(id: port.networkId), auth)
        else { throw Fault.portNotFound(id) }
        return port
    }

    /// Ports the caller can see, filtered and paged in one query. Besides
    /// attribute filters, `fixed_ips` filters take `ip_address=A`,
    /// `subnet_id=S` or `ip_address_substr=P`, as Neutron's do; `ip_address`
    /// and `subnet_id` also work on their own. Filters on attributes a port
    /// does not have are ignored, as Neutron without filter validation does.
    public func ports(_ query: ListQuery, _ auth: AuthContext) throws -> [NetworkPort] {
        _ = try Policy.requireProjectReader(auth)
        var listing = PortListing(project: Policy.isAdmin(auth) ? nil : auth.projectId)
        var equal: [(column: String, values: [String])] = []
        var keys: [String] = []
        func add(_ value: String, to list: inout [String]?) { list = (list ?? []) + [value] }
        for (key, value) in query.filters {
            switch key {
            case "fixed_ips":
                let parts = value.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let wanted = parts.count > 1 ? parts[1] : ""
                switch parts[0] {
                case "ip_address": add(wanted, to: &listing.addresses)
                case "subnet_id": add(wanted, to: &listing.subnets)
                case "ip_address_substr": add(wanted, to: &listing.addressSubstrings)
                default: continue
                }
            case "ip_address": add(value, to: &listing.addresses)
            case "subnet_id": add(value, to: &listing.subnets)
            case "security_groups": add(value, to: &listing.securityGroups)
            default:
                guard let column = Self.portColumns[key] else { continue }
                let wanted = ListQuery.booleanKeys.contains(key) ? (try ListQuery.bool(value, key) ? "1" : "0") : value
                // Grouped by Neutron's name: project_id and tenant_id are two filters that must both hold.
                if let index = keys.firstIndex(of: key) {
                    equal[index].values.append(wanted)
                } else {
                    keys.append(key)
                    equal.append((column, [wanted]))
                }
            }
        }
        listing.equal = equal
        listing.limit = query.limit
        if let marker = query.marker {
            listing.marker = PortID.parse(marker)
            guard listing.marker != nil else { throw Self.markerNotFound(marker) }
        }
        guard let ports = try store.ports(listing) else { throw Self.markerNotFound(query.marker ?? "") }
        return ports
    }

    /// Neutron's port attributes that filter a list, and their columns.
    static let portColumns: [String: String] = [
        "id": "id", "name": "name", "description": "description", "network_id": "network_id", "project_id": "project_id",
        "tenant_id": "project_id", "mac_address": "mac_address", "device_id": "device_id", "device_owner": "device_owner",
        "status": "status", "admin_state_up": "admin_state_up", "binding:host_id": "binding_host_id",
        "binding:vnic_type": "binding_vnic_type", "revision_number": "revision_number",
    ]

    static func markerNotFound(_ marker: String) -> NimbusError {
        Fault.make(.badRequest, "HTTPBadRequest", "The marker \(marker) could not be found.")
    }

    public func updatePort(_ id: String, _ changes: PortChanges, _ auth: AuthContext) throws -> NetworkPort {
        let current = try port(id, auth)
        let network = try store.network(id: current.networkId)
        guard NetworkPolicy.mayModify(current, on: network, auth) else {
            throw Fault.policy("update_port", "port \(current.id) belongs to another project")
        }
        let ownsNetwork = network.map { NetworkPolicy.ownsNetwork($0, auth) } ?? Policy.isAdmin(auth)
        try checkPortAttributes(
            deviceOwner: changes.deviceOwner ?? "", macAddress: nil, bindingHostId: changes.bindingHostId,
            vnicType: changes.bindingVnicType, ownsNetwork: ownsNetwork, rule: "update_port", auth)
        if changes.macAddress != nil {
            try NetworkPolicy.requireAdmin("update_port:mac_address", "only admins may change a MAC address", auth)
        }
        let requestedMAC = try changes.macAddress.map(Self.mac)
        let name = try changes.name.map { try Self.text($0, "name") }
        let description = try changes.description.map { try Self.text($0, "description") }
        let deviceId = try changes.deviceId.map { try Self.text($0, "device_id") }
        let deviceOwner = try changes.deviceOwner.map { try Self.text($0, "device_owner") }
        let host = try changes.bindingHostId.map { try Self.text($0, "binding:host_id") }
        let groups = try changes.securityGroups.map { try securityGroupIds($0, project: current.projectId) }
        let updated = try store.updatePort(id: current.id) { port, book in
            if let requestedMAC, requestedMAC != port.macAddress {
                guard port.deviceId.isEmpty else {
                    throw Fault.make(.conflict, "PortBound",
                                     "Unable to complete operation on port \(port.id): the MAC of a port in use by \(port.deviceId) cannot change.")
                }
                try Self.assignMAC(&port, requested: requestedMAC, book)
            }
            if let requests = changes.fixedIPs {
                var allocator = AddressAllocator(network: port.networkId, subnets: book.subnets, taken: book.taken, mayChooseAddresses: ownsNetwork)
                port.fixedIPs = try allocator.choose(requests, current: port.fixedIPs)
            }
            if let name { port.name = name }
            if let description { port.description = description }
            if let up = changes.adminStateUp { port.adminStateUp = up }
            if let deviceId { port.deviceId = deviceId }
            if let deviceOwner { port.deviceOwner = deviceOwner }
            if let host { port.bindingHostId = host }
            if let groups { port.securityGroupIds = groups }
            port.revisionNumber += 1
            port.updatedAt = Date()
        }
        guard let updated else { throw Fault.portNotFound(id) }
        if updated.securityGroupIds != current.securityGroupIds || updated.fixedIPs != current.fixedIPs
            || updated.deviceId != current.deviceId {
            accessChanges.changed(deviceIDs: [current.deviceId, updated.deviceId])
        }
        return updated
    }

    public func deletePort(_ id: String, _ auth: AuthContext) throws {
        let current = try port(id, auth)
        guard NetworkPolicy.mayModify(current, on: try store.network(id: current.networkId), auth) else {
            throw Fault.policy("delete_port", "port \(current.id) belongs to another project")
        }
        if [NetworkRouter.gatewayOwner, NetworkRouter.interfaceOwner].contains(current.deviceOwner),
           let router = RouterID.parse(current.deviceId), try store.router(id: router) != nil {
            throw Fault.make(.conflict, "L3PortInUse",
                             "Port \(current.id) cannot be deleted directly via the port API: has device owner \(current.deviceOwner).")
        }
        guard try store.deletePort(id: current.id) else { throw Fault.portNotFound(id) }
        logger.info("port deleted", metadata: ["port.id": "\(current.id)"])
        // Its floating IP and forwardings went with it (the keys' actions).
        accessChanges.changed(deviceIDs: [current.deviceId])
    }

    // MARK: Rules

    /// The attributes Neutron reserves: `network:` owners and chosen MACs to
    /// the network's owner, bindings to admins, and only the `normal` VNIC type.
    func checkPortAttributes(
        deviceOwner: String, macAddress: String?, bindingHostId: String?, vnicType: String?, ownsNetwork: Bool,
        rule: String, _ auth: AuthContext
    ) throws {
        if deviceOwner.hasPrefix("network:"), !ownsNetwork {
            throw Fault.policy("\(rule):device_owner", "only the network's project may create network-owned ports")
        }
        if macAddress != nil, !ownsNetwork {
            throw Fault.policy("\(rule):mac_address", "only the network's project or an admin may choose a MAC address")
        }
        if bindingHostId != nil {
            try NetworkPolicy.requireAdmin("\(rule):binding:host_id", "only admins may bind a port to a host", auth)
        }
        if let vnicType, vnicType != "normal" {
            throw Fault.invalid("binding:vnic_type", "'\(vnicType)' is not supported; Nimbus ports are 'normal'")
        }
    }

    /// Checks and canonicalises a MAC: six hex pairs, unicast, not all zero.
    static func mac(_ text: String) throws -> String {
        let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }),
              let first = UInt8(parts[0], radix: 16), first & 1 == 0, parts.contains(where: { $0 != "00" })
        else { throw Fault.invalid("mac_address", "'\(text)' is not a valid unicast MAC address") }
        return parts.joined(separator: ":")
    }

    /// OpenStack's prefix fa:16:3e and three random bytes.
    static func randomMAC() -> String {
        "fa:16:3e:" + Hex.string((0..<3).map { _ in UInt8.random(in: 0...255) }, separator: ":")
    }

    /// A requested MAC must be free; a generated one is drawn again until it is.
    static func assignMAC(_ port: inout NetworkPort, requested: String?, _ book: AddressBook) throws {
        if let requested {
            guard try !book.macInUse(requested) else { throw Fault.macInUse(requested, port.networkId) }
            port.macAddress = requested
            return
        }
        while try book.macInUse(port.macAddress) { port.macAddress = randomMAC() }
    }
}
