import Networking
import NimbusCore

/// Neutron bodies into network service commands: which attributes each
/// operation takes, and what null means for the few that accept it.
extension NeutronBody {
    func networkDraft() throws -> NetworkService.NetworkDraft {
        try check(allowed: ["name", "description", "admin_state_up", "shared", "router:external", "mtu", "project_id", "tenant_id"])
        var draft = NetworkService.NetworkDraft()
        if let name = try string("name") { draft.name = name }
        if let description = try string("description") { draft.description = description }
        if let up = try bool("admin_state_up") { draft.adminStateUp = up }
        if let shared = try bool("shared") { draft.shared = shared }
        if let external = try bool("router:external") { draft.external = external }
        draft.mtu = try int("mtu")
        draft.projectId = try project()
        return draft
    }

    func networkChanges() throws -> NetworkService.NetworkChanges {
        try check(allowed: ["name", "description", "admin_state_up", "shared", "router:external", "mtu"])
        var changes = NetworkService.NetworkChanges()
        changes.name = try string("name")
        changes.description = try string("description")
        changes.adminStateUp = try bool("admin_state_up")
        changes.shared = try bool("shared")
        changes.external = try bool("router:external")
        changes.mtu = try int("mtu")
        return changes
    }

    func subnetDraft() throws -> NetworkService.SubnetDraft {
        try check(allowed: [
            "name", "description", "network_id", "cidr", "ip_version", "gateway_ip", "allocation_pools", "enable_dhcp",
            "dns_nameservers", "host_routes", "project_id", "tenant_id", "ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id",
        ])
        guard let network = try string("network_id") else {
            throw NimbusError.badRequest("Failed to parse request. Required attribute 'network_id' not specified")
        }
        let version = try int("ip_version") ?? 4
        for key in ["ipv6_ra_mode", "ipv6_address_mode"] where attributes[key] != nil && attributes[key] != .null {
            throw NimbusError.badRequest("Invalid input for \(key). Reason: IPv6 modes need an IPv6 subnet, and Nimbus subnets are IPv4 only.")
        }
        if let pool = attributes["subnetpool_id"], pool != .null {
            throw NimbusError.badRequest("Invalid input for subnetpool_id. Reason: subnet pools are not supported; give a cidr.")
        }
        guard let cidr = try string("cidr") else {
            if version == 6 {
                throw NimbusError.badRequest("Invalid input for ip_version. Reason: IPv6 subnets are not supported yet; Nimbus networks are IPv4 only (ip_version 4).")
            }
            throw NimbusError.badRequest("Failed to parse request. Required attribute 'cidr' not specified")
        }
        var draft = NetworkService.SubnetDraft(networkId: network, cidr: cidr)
        draft.ipVersion = version
        if let name = try string("name") { draft.name = name }
        if let description = try string("description") { draft.description = description }
        if let gateway = try gateway() { draft.gateway = gateway }
        draft.allocationPools = try pools()
        if let dhcp = try bool("enable_dhcp") { draft.enableDHCP = dhcp }
        if let servers = try strings("dns_nameservers") { draft.dnsNameservers = servers }
        if let routes = try routes() { draft.hostRoutes = routes }
        draft.projectId = try project()
        return draft
    }

    func subnetChanges() throws -> NetworkService.SubnetChanges {
        try check(allowed: ["name", "description", "gateway_ip", "allocation_pools", "enable_dhcp", "dns_nameservers", "host_routes"])
        var changes = NetworkService.SubnetChanges()
        changes.name = try string("name")
        changes.description = try string("description")
        changes.gateway = try gateway()
        changes.allocationPools = try pools()
        changes.enableDHCP = try bool("enable_dhcp")
        changes.dnsNameservers = try strings("dns_nameservers")
        changes.hostRoutes = try routes()
        return changes
    }

    func portDraft() throws -> NetworkService.PortDraft {
        try check(allowed: [
            "name", "description", "network_id", "admin_state_up", "mac_address", "fixed_ips", "device_id", "device_owner",
            "project_id", "tenant_id", "binding:host_id", "binding:vnic_type", "security_groups", "port_security_enabled",
        ])
        try requirePortSecurity()
        guard let network = try string("network_id") else {
            throw NimbusError.badRequest("Failed to parse request. Required attribute 'network_id' not specified")
        }
        var draft = NetworkService.PortDraft(networkId: network)
        if let name = try string("name") { draft.name = name }
        if let description = try string("description") { draft.description = description }
        if let up = try bool("admin_state_up") { draft.adminStateUp = up }
        draft.macAddress = try string("mac_address")
        draft.fixedIPs = try fixedIPs()
        if let device = try string("device_id") { draft.deviceId = device }
        if let owner = try string("device_owner") { draft.deviceOwner = owner }
        draft.bindingHostId = try string("binding:host_id")
        draft.bindingVnicType = try string("binding:vnic_type")
        draft.securityGroups = try attributes["security_groups"] == .null ? [] : strings("security_groups")
        draft.projectId = try project()
        return draft
    }

    func portChanges() throws -> NetworkService.PortChanges {
        try check(allowed: [
            "name", "description", "admin_state_up", "mac_address", "fixed_ips", "device_id", "device_owner",
            "binding:host_id", "binding:vnic_type", "security_groups", "port_security_enabled",
        ])
        try requirePortSecurity()
        var changes = NetworkService.PortChanges()
        changes.name = try string("name")
        changes.description = try string("description")
        changes.adminStateUp = try bool("admin_state_up")
        changes.macAddress = try string("mac_address")
        changes.fixedIPs = try fixedIPs()
        changes.deviceId = try string("device_id")
        changes.deviceOwner = try string("device_owner")
        changes.bindingHostId = try string("binding:host_id")
        changes.bindingVnicType = try string("binding:vnic_type")
        changes.securityGroups = try strings("security_groups")
        return changes
    }

    /// Every Nimbus port is filtered by its security groups; turning that off is not offered.
    func requirePortSecurity() throws {
        if try bool("port_security_enabled") == false {
            throw NimbusError.badRequest("Invalid input for port_security_enabled. Reason: Nimbus ports always apply their security groups.")
        }
    }

    func securityGroupDraft() throws -> NetworkService.SecurityGroupDraft {
        try check(allowed: ["name", "description", "stateful", "project_id", "tenant_id"])
        var draft = NetworkService.SecurityGroupDraft()
        if let name = try string("name") { draft.name = name }
        if let description = try string("description") { draft.description = description }
        if let stateful = try bool("stateful") { draft.stateful = stateful }
        draft.projectId = try project()
        return draft
    }

    func securityGroupChanges() throws -> NetworkService.SecurityGroupChanges {
        try check(allowed: ["name", "description"])
        var changes = NetworkService.SecurityGroupChanges()
        changes.name = try string("name")
        changes.description = try string("description")
        return changes
    }

    func securityGroupRuleDraft() throws -> NetworkService.SecurityGroupRuleDraft {
        try check(allowed: [
            "security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
            "remote_ip_prefix", "remote_group_id", "remote_address_group_id", "description", "project_id", "tenant_id",
        ])
        guard let group = try string("security_group_id") else {
            throw NimbusError.badRequest("Failed to parse request. Required attribute 'security_group_id' not specified")
        }
        guard let direction = try string("direction") else {
            throw NimbusError.badRequest("Failed to parse request. Required attribute 'direction' not specified")
        }
        if let addressGroup = attributes["remote_address_group_id"], addressGroup != .null {
            throw NimbusError.badRequest("Invalid input for remote_address_group_id. Reason: address groups are not supported.")
        }
        var draft = NetworkService.SecurityGroupRuleDraft(securityGroupId: group, direction: direction)
        if let ethertype = try string("ethertype") { draft.ethertype = ethertype }
        draft.protocol = try attributes["protocol"] == .null ? nil : protocolText()
        draft.portRangeMin = try attributes["port_range_min"] == .null ? nil : int("port_range_min")
        draft.portRangeMax = try attributes["port_range_max"] == .null ? nil : int("port_range_max")
        draft.remoteIpPrefix = try attributes["remote_ip_prefix"] == .null ? nil : string("remote_ip_prefix")
        draft.remoteGroupId = try attributes["remote_group_id"] == .null ? nil : string("remote_group_id")
        if let description = try string("description") { draft.description = description }
        draft.projectId = try project()
        return draft
    }

    /// `protocol` is a name or a number, and clients send numbers either way.
    func protocolText() throws -> String? {
        switch attributes["protocol"] {
        case .number(let number)?: return String(Int(number))
        default: return try string("protocol")
        }
    }

    func floatingIPDraft() throws -> NetworkService.FloatingIPDraft {
        try check(allowed: [
            "floating_network_id", "floating_ip_address", "port_id", "fixed_ip_address", "description", "project_id",
            "tenant_id", "subnet_id",
        ])
        guard let network = try string("floating_network_id") else {
            throw NimbusError.badRequest("Failed to parse request. Required attribute 'floating_network_id' not specified")
        }
        var draft = NetworkService.FloatingIPDraft(floatingNetworkId: network)
        draft.floatingIpAddress = try attributes["floating_ip_address"] == .null ? nil : string("floating_ip_address")
        draft.portId = try attributes["port_id"] == .null ? nil : string("port_id")
        draft.fixedIpAddress = try attributes["fixed_ip_address"] == .null ? nil : string("fixed_ip_address")
        if let description = try string("description") { draft.description = description }
        draft.projectId = try project()
        return draft
    }

    /// `port_id` null disassociates; a port id associates; absent leaves the association.
    func floatingIPChanges() throws -> NetworkService.FloatingIPChanges {
        try check(allowed: ["port_id", "fixed_ip_address", "description"])
        var changes = NetworkService.FloatingIPChanges()
        switch attributes["port_id"] {
        case nil:
            if attributes["fixed_ip_address"] != nil {
                throw NimbusError.badRequest("Invalid input for fixed_ip_address. Reason: a fixed IP is given together with a port_id.")
            }
        case .null?: changes.association = .some(nil)
        default:
            let port = try string("port_id") ?? ""
            let fixed = try attributes["fixed_ip_address"] == .null ? nil : string("fixed_ip_address")
            changes.association = .some((port, fixed))
        }
        changes.description = try string("description")
        return changes
    }

    func portForwardingDraft() throws -> NetworkService.PortForwardingDraft {
        try check(allowed: ["internal_port_id", "internal_ip_address", "internal_port", "external_port", "protocol", "description"])
        func required<T>(_ key: String, _ read: (String) throws -> T?) throws -> T {
            guard let value = try read(key) else {
                throw NimbusError.badRequest("Failed to parse request. Required attribute '\(key)' not specified")
            }
            return value
        }
        var draft = NetworkService.PortForwardingDraft(
            internalPortId: try required("internal_port_id", string), internalIpAddress: try required("internal_ip_address", string),
            internalPort: try required("internal_port", int), externalPort: try required("external_port", int),
            protocol: try required("protocol", string))
        if let description = try string("description") { draft.description = description }
        return draft
    }

    // MARK: Attributes with structure

    /// `gateway_ip`: null is "no gateway"; absent leaves the default.
    func gateway() throws -> NetworkService.GatewayRequest? {
        switch attributes["gateway_ip"] {
        case nil: return nil
        case .null?: return NetworkService.GatewayRequest.none
        case .string(let text)?: return .address(text)
        case let other?: throw invalid("gateway_ip", other, "is not a valid IP address")
        }
    }

    func pools() throws -> [AllocationPool]? {
        try objects("allocation_pools", keys: ["start", "end"], required: ["start", "end"])?.map { pool in
            AllocationPool(start: pool["start"] ?? "", end: pool["end"] ?? "")
        }
    }

    func routes() throws -> [HostRoute]? {
        if attributes["host_routes"] == .null { return [] }
        return try objects("host_routes", keys: ["destination", "nexthop"], required: ["destination", "nexthop"])?.map { route in
            HostRoute(destination: route["destination"] ?? "", nexthop: route["nexthop"] ?? "")
        }
    }

    func fixedIPs() throws -> [NetworkService.FixedIPRequest]? {
        if attributes["fixed_ips"] == .null { throw invalid("fixed_ips", .null, "is not a list") }
        return try objects("fixed_ips", keys: ["subnet_id", "ip_address"], required: [])?.map { entry in
            NetworkService.FixedIPRequest(subnetId: entry["subnet_id"], ipAddress: entry["ip_address"])
        }
    }
}
