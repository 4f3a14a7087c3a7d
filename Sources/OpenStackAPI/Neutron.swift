import NimbusCore

/// Neutron v2.0 wire forms: the attribute spellings clients expect
/// (`tenant_id` beside `project_id`, `router:external`, `binding:*`).
public enum Neutron {
    public static func network(_ network: Network) -> [String: JSONValue] {
        [
            "id": .string(network.id.rawValue),
            "name": .string(network.name),
            "description": .string(network.description),
            "tenant_id": .string(network.projectId.rawValue),
            "project_id": .string(network.projectId.rawValue),
            "admin_state_up": .bool(network.adminStateUp),
            "status": .string(network.status.rawValue),
            "shared": .bool(network.shared),
            "router:external": .bool(network.external),
            "mtu": .number(Double(network.mtu)),
            "subnets": .array(network.subnetIds.map { .string($0.rawValue) }),
            "tags": [],
            "revision_number": .number(Double(network.revisionNumber)),
            "created_at": .string(Timestamps.iso8601(network.createdAt)),
            "updated_at": .string(Timestamps.iso8601(network.updatedAt)),
        ]
    }

    /// A subnet; `external` is its network's `router:external` (the subnet-external-network extension).
    public static func subnet(_ subnet: Subnet, external: Bool) -> [String: JSONValue] {
        [
            "id": .string(subnet.id.rawValue),
            "router:external": .bool(external),
            "name": .string(subnet.name),
            "description": .string(subnet.description),
            "network_id": .string(subnet.networkId.rawValue),
            "tenant_id": .string(subnet.projectId.rawValue),
            "project_id": .string(subnet.projectId.rawValue),
            "cidr": .string(subnet.cidr),
            "ip_version": .number(Double(subnet.ipVersion)),
            "gateway_ip": subnet.gatewayIP.map(JSONValue.string) ?? .null,
            "allocation_pools": .array(subnet.allocationPools.map { ["start": .string($0.start), "end": .string($0.end)] }),
            "enable_dhcp": .bool(subnet.enableDHCP),
            "dns_nameservers": .array(subnet.dnsNameservers.map(JSONValue.string)),
            "host_routes": .array(subnet.hostRoutes.map { ["destination": .string($0.destination), "nexthop": .string($0.nexthop)] }),
            "ipv6_ra_mode": .null,
            "ipv6_address_mode": .null,
            "subnetpool_id": .null,
            "tags": [],
            "revision_number": .number(Double(subnet.revisionNumber)),
            "created_at": .string(Timestamps.iso8601(subnet.createdAt)),
            "updated_at": .string(Timestamps.iso8601(subnet.updatedAt)),
        ]
    }

    /// A port. `binding:vif_type` says whether a host has bound the port.
    public static func port(_ port: NetworkPort) -> [String: JSONValue] {
        [
            "id": .string(port.id.rawValue),
            "name": .string(port.name),
            "description": .string(port.description),
            "network_id": .string(port.networkId.rawValue),
            "tenant_id": .string(port.projectId.rawValue),
            "project_id": .string(port.projectId.rawValue),
            "mac_address": .string(port.macAddress),
            "fixed_ips": .array(port.fixedIPs.map { ["subnet_id": .string($0.subnetId.rawValue), "ip_address": .string($0.ipAddress)] }),
            "device_id": .string(port.deviceId),
            "device_owner": .string(port.deviceOwner),
            "admin_state_up": .bool(port.adminStateUp),
            "status": .string(port.status.rawValue),
            "security_groups": .array(port.securityGroupIds.map { .string($0.rawValue) }),
            "port_security_enabled": true,
            "binding:host_id": .string(port.bindingHostId),
            "binding:vnic_type": .string(port.bindingVnicType),
            "binding:vif_type": .string(port.bindingHostId.isEmpty ? "unbound" : "other"),
            "binding:vif_details": [:],
            "binding:profile": [:],
            "tags": [],
            "revision_number": .number(Double(port.revisionNumber)),
            "created_at": .string(Timestamps.iso8601(port.createdAt)),
            "updated_at": .string(Timestamps.iso8601(port.updatedAt)),
        ]
    }

    /// A security group with its rules, as Neutron shows it.
    public static func securityGroup(_ group: SecurityGroup, rules: [SecurityGroupRule]) -> [String: JSONValue] {
        [
            "id": .string(group.id.rawValue),
            "name": .string(group.name),
            "description": .string(group.description),
            "tenant_id": .string(group.projectId.rawValue),
            "project_id": .string(group.projectId.rawValue),
            "stateful": .bool(group.stateful),
            "shared": false,
            "security_group_rules": .array(rules.map { .object(securityGroupRule($0)) }),
            "tags": [],
            "revision_number": JSONValue(group.revisionNumber),
            "created_at": .string(Timestamps.iso8601(group.createdAt)),
            "updated_at": .string(Timestamps.iso8601(group.updatedAt)),
        ]
    }

    public static func securityGroupRule(_ rule: SecurityGroupRule) -> [String: JSONValue] {
        let optional: (String?) -> JSONValue = { $0.map(JSONValue.string) ?? .null }
        let number: (Int?) -> JSONValue = { $0.map { JSONValue($0) } ?? .null }
        return [
            "id": .string(rule.id.rawValue),
            "security_group_id": .string(rule.securityGroupId.rawValue),
            "tenant_id": .string(rule.projectId.rawValue),
            "project_id": .string(rule.projectId.rawValue),
            "direction": .string(rule.direction.rawValue),
            "ethertype": .string(rule.ethertype),
            "protocol": optional(rule.protocol),
            "port_range_min": number(rule.portRangeMin),
            "port_range_max": number(rule.portRangeMax),
            "remote_ip_prefix": optional(rule.remoteIpPrefix),
            "remote_group_id": optional(rule.remoteGroupId?.rawValue),
            "remote_address_group_id": .null,
            "normalized_cidr": optional(rule.remoteIpPrefix),
            "description": .string(rule.description),
            "tags": [],
            "revision_number": JSONValue(rule.revisionNumber),
            "created_at": .string(Timestamps.iso8601(rule.createdAt)),
            "updated_at": .string(Timestamps.iso8601(rule.updatedAt)),
        ]
    }

    /// A floating IP: ACTIVE while associated with a port, DOWN otherwise.
    public static func floatingIP(_ floatingIP: FloatingIP, forwardings: [PortForwarding] = []) -> [String: JSONValue] {
        [
            "id": .string(floatingIP.id.rawValue),
            "floating_ip_address": .string(floatingIP.floatingIpAddress),
            "floating_network_id": .string(floatingIP.floatingNetworkId.rawValue),
            "router_id": floatingIP.routerId.map { JSONValue.string($0.rawValue) } ?? JSONValue.null,
            "port_id": floatingIP.portId.map { JSONValue.string($0.rawValue) } ?? JSONValue.null,
            "fixed_ip_address": floatingIP.fixedIpAddress.map { JSONValue.string($0) } ?? JSONValue.null,
            "status": .string(floatingIP.portId == nil ? "DOWN" : "ACTIVE"),
            "tenant_id": .string(floatingIP.projectId.rawValue),
            "project_id": .string(floatingIP.projectId.rawValue),
            "description": .string(floatingIP.description),
            "port_forwardings": .array(forwardings.map { .object(portForwarding($0)) }),
            "qos_policy_id": .null,
            "tags": [],
            "revision_number": JSONValue(floatingIP.revisionNumber),
            "created_at": .string(Timestamps.iso8601(floatingIP.createdAt)),
            "updated_at": .string(Timestamps.iso8601(floatingIP.updatedAt)),
        ]
    }

    /// A router with its gateway; `ports` are its ports (the gateway's give `external_fixed_ips`).
    public static func router(_ router: NetworkRouter, ports: [NetworkPort]) -> [String: JSONValue] {
        var gateway = JSONValue.null
        if let network = router.gatewayNetworkId {
            let addresses = ports.filter { $0.deviceOwner == NetworkRouter.gatewayOwner }.flatMap(\.fixedIPs)
            gateway = [
                "network_id": .string(network.rawValue),
                "enable_snat": .bool(router.enableSnat),
                "external_fixed_ips": .array(addresses.map { ["subnet_id": .string($0.subnetId.rawValue), "ip_address": .string($0.ipAddress)] }),
            ]
        }
        return [
            "id": .string(router.id.rawValue),
            "name": .string(router.name),
            "description": .string(router.description),
            "tenant_id": .string(router.projectId.rawValue),
            "project_id": .string(router.projectId.rawValue),
            "admin_state_up": .bool(router.adminStateUp),
            "status": "ACTIVE",
            "external_gateway_info": gateway,
            "routes": [],
            "tags": [],
            "revision_number": JSONValue(router.revisionNumber),
            "created_at": .string(Timestamps.iso8601(router.createdAt)),
            "updated_at": .string(Timestamps.iso8601(router.updatedAt)),
        ]
    }

    /// The answer to add_router_interface and remove_router_interface.
    public static func routerInterface(router: NetworkRouter, port: NetworkPort) -> [String: JSONValue] {
        [
            "id": .string(router.id.rawValue),
            "tenant_id": .string(router.projectId.rawValue),
            "project_id": .string(router.projectId.rawValue),
            "port_id": .string(port.id.rawValue),
            "network_id": .string(port.networkId.rawValue),
            "subnet_id": port.fixedIPs.first.map { JSONValue.string($0.subnetId.rawValue) } ?? .null,
            "subnet_ids": .array(port.fixedIPs.map { .string($0.subnetId.rawValue) }),
        ]
    }

    public static func portForwarding(_ forwarding: PortForwarding) -> [String: JSONValue] {
        [
            "id": .string(forwarding.id.rawValue),
            "floatingip_id": .string(forwarding.floatingipId.rawValue),
            "internal_port_id": .string(forwarding.internalPortId.rawValue),
            "internal_ip_address": .string(forwarding.internalIpAddress),
            "internal_port": JSONValue(forwarding.internalPort),
            "external_port": JSONValue(forwarding.externalPort),
            "protocol": .string(forwarding.protocol.rawValue),
            "description": .string(forwarding.description),
        ]
    }

    /// The extensions Nimbus honours. Clients (openstacksdk, OSC) ask for them
    /// before using optional attributes, so only what really works is listed.
    public static let extensions: [(alias: String, name: String, description: String)] = [
        ("external-net", "Neutron external network", "Adds external network attribute to network resource."),
        ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
        ("project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled."),
        ("standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes."),
        ("standard-attr-revisions", "Resource revision numbers", "This extension will display the revision number of neutron resources."),
        ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."),
        ("binding", "Port Binding", "Expose port bindings of a virtual port to external application."),
        ("pagination", "Pagination support", "Extension that indicates that pagination is enabled."),
        ("quotas", "Quota management support", "Expose functions for quotas management per project."),
        ("quota_details", "Quota details management support", "Expose functions for quotas usage statistics per project."),
        ("security-group", "security-group", "The security groups extension."),
        ("port-security", "Port Security", "Provides port security."),
        ("stateful-security-group", "Stateful security group", "Indicates if the security group is stateful or not."),
        ("floating-ip-port-forwarding", "Floating IP Port Forwarding",
         "Allows forwarding of a floating IP's ports to internal ports of a port's fixed IP."),
        ("expose-port-forwarding-in-fip", "Expose port forwardings in a floating IP",
         "Exposes the port forwardings of a floating IP in its representation."),
        ("router", "Neutron L3 NetworkRouter",
         "NetworkRouter abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway."),
        ("ext-gw-mode", "Neutron L3 Configurable external gateway mode",
         "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway"),
        ("subnet-external-network", "Subnet External Network",
         "Informs if the subnet is associated to an external network."),
    ]

    public static func `extension`(_ entry: (alias: String, name: String, description: String)) -> [String: JSONValue] {
        [
            "alias": .string(entry.alias), "name": .string(entry.name), "description": .string(entry.description),
            "links": [], "updated": "2024-01-01T00:00:00-00:00",
        ]
    }
}
