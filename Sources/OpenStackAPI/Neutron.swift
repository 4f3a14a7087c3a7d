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

    public static func subnet(_ subnet: Subnet) -> [String: JSONValue] {
        [
            "id": .string(subnet.id.rawValue),
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

    /// A port. `security_groups` is always empty until security groups exist;
    /// `binding:vif_type` says whether a host has bound the port.
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
            "security_groups": [],
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
    ]

    public static func `extension`(_ entry: (alias: String, name: String, description: String)) -> [String: JSONValue] {
        [
            "alias": .string(entry.alias), "name": .string(entry.name), "description": .string(entry.description),
            "links": [], "updated": "2024-01-01T00:00:00-00:00",
        ]
    }
}
