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

    /// Ports the caller can see. Besides attribute filters, `fixed_ips`
    /// filters take `ip_address=A`, `subnet_id=S` or `ip_address_substr=P`,
    /// as Neutron's do; `ip_address` and `subnet_id` also work on their own.
    public func ports(_ query: ListQuery, _ auth: AuthContext) throws -> [NetworkPort] {
        _ = try Policy.requireProjectReader(auth)
        let networks = Dictionary(try store.networks().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var query = query
        var addressFilters: [(key: String, value: String)] = []
        query.filters.removeAll { filter in
            switch filter.key {
            case "fixed_ips":
                let parts = filter.value.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                addressFilters.append((parts[0], parts.count > 1 ? parts[1] : ""))
                return true
            case "ip_address", "subnet_id":
                addressFilters.append(filter)
                return true
            default:
                return false
            }
        }
        let visible = try store.ports().filter { port in
            NetworkPolicy.mayRead(port, on: networks[port.networkId], auth) && Self.matches(port.fixedIPs, addressFilters)
        }
        return try query.apply(to: visible, id: \.id.rawValue, Self.portField)
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

    static func matches(_ fixedIPs: [FixedIP], _ filters: [(key: String, value: String)]) -> Bool {
        guard !filters.isEmpty else { return true }
        let grouped = Dictionary(grouping: filters, by: \.key).mapValues { Set($0.map(\.value)) }
        return fixedIPs.contains { fixed in
            grouped.allSatisfy { key, values in
                switch key {
                case "ip_address": values.contains(fixed.ipAddress)
                case "subnet_id": values.contains(fixed.subnetId.rawValue)
                case "ip_address_substr": values.contains { fixed.ipAddress.contains($0) }
                default: true
                }
            }
        }
    }

    static func portField(_ port: NetworkPort, _ key: String) -> [String]? {
        switch key {
        case "id": [port.id.rawValue]
        case "name": [port.name]
        case "description": [port.description]
        case "network_id": [port.networkId.rawValue]
        case "project_id", "tenant_id": [port.projectId.rawValue]
        case "mac_address": [port.macAddress]
        case "device_id": [port.deviceId]
        case "device_owner": [port.deviceOwner]
        case "status": [port.status.rawValue]
        case "admin_state_up": ["\(port.adminStateUp)"]
        case "binding:host_id": [port.bindingHostId]
        case "binding:vnic_type": [port.bindingVnicType]
        case "revision_number": ["\(port.revisionNumber)"]
        case "security_groups": port.securityGroupIds.map(\.rawValue)
        default: nil
        }
    }
}
