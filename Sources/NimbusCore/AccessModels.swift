import Foundation

// Neutron's access resources: security groups and their rules, floating IPs
// and their port forwardings. Together they decide which of a server's ports
// the host can reach, and on which loopback address.

public struct SecurityGroupID: UUIDIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct SecurityGroupRuleID: UUIDIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct FloatingIPID: UUIDIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct PortForwardingID: UUIDIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A named set of rules attached to ports. Every project has one group
/// named `default`, made the first time the project needs it.
public struct SecurityGroup: Sendable, Codable, Equatable {
    public var id: SecurityGroupID
    public var projectId: ProjectID
    public var name: String
    public var description: String
    /// The project's `default` group: it cannot be renamed or deleted by its project.
    public var isDefault: Bool
    public var stateful: Bool
    public var revisionNumber: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: SecurityGroupID, projectId: ProjectID, name: String, description: String = "", isDefault: Bool = false, now: Date) {
        self.id = id
        self.projectId = projectId
        self.name = name
        self.description = description
        self.isDefault = isDefault
        self.stateful = true
        self.revisionNumber = 1
        self.createdAt = now
        self.updatedAt = now
    }
}

public enum RuleDirection: String, Sendable, Codable {
    case ingress, egress
}

/// One rule: traffic in one direction, of one protocol (nil: any), to a
/// port range, from an address prefix or from members of a group.
public struct SecurityGroupRule: Sendable, Codable, Equatable {
    public var id: SecurityGroupRuleID
    public var securityGroupId: SecurityGroupID
    public var projectId: ProjectID
    public var direction: RuleDirection
    /// `IPv4` or `IPv6`.
    public var ethertype: String
    /// A name (`tcp`, `udp`, `icmp`, …) or an IP protocol number as text; nil is any protocol.
    public var `protocol`: String?
    public var portRangeMin: Int?
    public var portRangeMax: Int?
    public var remoteIpPrefix: String?
    public var remoteGroupId: SecurityGroupID?
    public var description: String
    public var revisionNumber: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: SecurityGroupRuleID, securityGroupId: SecurityGroupID, projectId: ProjectID, direction: RuleDirection,
        ethertype: String = "IPv4", protocol: String? = nil, portRangeMin: Int? = nil, portRangeMax: Int? = nil,
        remoteIpPrefix: String? = nil, remoteGroupId: SecurityGroupID? = nil, description: String = "", now: Date
    ) {
        self.id = id
        self.securityGroupId = securityGroupId
        self.projectId = projectId
        self.direction = direction
        self.ethertype = ethertype
        self.protocol = `protocol`
        self.portRangeMin = portRangeMin
        self.portRangeMax = portRangeMax
        self.remoteIpPrefix = remoteIpPrefix
        self.remoteGroupId = remoteGroupId
        self.description = description
        self.revisionNumber = 1
        self.createdAt = now
        self.updatedAt = now
    }

    /// Two rules that let the same traffic through: Neutron refuses the second.
    public func duplicates(_ other: SecurityGroupRule) -> Bool {
        securityGroupId == other.securityGroupId && direction == other.direction && ethertype == other.ethertype
            && `protocol` == other.protocol && portRangeMin == other.portRangeMin && portRangeMax == other.portRangeMax
            && remoteIpPrefix == other.remoteIpPrefix && remoteGroupId == other.remoteGroupId
    }
}

/// An address on an external network that forwards to a port's fixed IP.
/// Nimbus's external network is in the loopback range, so a floating IP is
/// an address on the host's `lo`, reachable from the host with nothing set up.
public struct FloatingIP: Sendable, Codable, Equatable {
    public var id: FloatingIPID
    public var projectId: ProjectID
    public var floatingNetworkId: NetworkID
    public var floatingIpAddress: String
    /// The port it forwards to, with the fixed IP on that port; both nil when unassociated.
    public var portId: PortID?
    public var fixedIpAddress: String?
    /// The router that joins the port's subnet to the floating IP's network,
    /// set with an association or a port forwarding, as Neutron's `router_id`.
    public var routerId: RouterID?
    public var description: String
    public var revisionNumber: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: FloatingIPID, projectId: ProjectID, floatingNetworkId: NetworkID, floatingIpAddress: String,
        description: String = "", now: Date
    ) {
        self.id = id
        self.projectId = projectId
        self.floatingNetworkId = floatingNetworkId
        self.floatingIpAddress = floatingIpAddress
        self.description = description
        self.revisionNumber = 1
        self.createdAt = now
        self.updatedAt = now
    }
}

public enum ForwardProtocol: String, Sendable, Codable, CaseIterable {
    case tcp, udp
}

/// One external port of a floating IP forwarded to a port and address of a
/// server, as Neutron's floating IP port forwarding.
public struct PortForwarding: Sendable, Codable, Equatable {
    public var id: PortForwardingID
    public var floatingipId: FloatingIPID
    public var internalPortId: PortID
    public var internalIpAddress: String
    public var internalPort: Int
    public var externalPort: Int
    public var `protocol`: ForwardProtocol
    public var description: String

    public init(
        id: PortForwardingID, floatingipId: FloatingIPID, internalPortId: PortID, internalIpAddress: String,
        internalPort: Int, externalPort: Int, protocol: ForwardProtocol, description: String = ""
    ) {
        self.id = id
        self.floatingipId = floatingipId
        self.internalPortId = internalPortId
        self.internalIpAddress = internalIpAddress
        self.internalPort = internalPort
        self.externalPort = externalPort
        self.protocol = `protocol`
        self.description = description
    }
}

public struct RouterID: UUIDIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A Neutron router: what joins a project's subnets to an external network.
/// On Nimbus nothing is routed in the kernel (each server's NIC is QEMU's
/// user-mode network); a router records which subnets a floating IP of an
/// external network may reach, as Neutron's L3 model says, and its ports
/// hold the addresses a real router would.
///
/// Its gateway is a port on the external network owned by
/// `network:router_gateway`; its interfaces are ports owned by
/// `network:router_interface`, each holding its subnet's gateway address
/// when added by subnet. Both carry the router's id as their device id.
public struct NetworkRouter: Sendable, Codable, Equatable {
    public static let gatewayOwner = "network:router_gateway"
    public static let interfaceOwner = "network:router_interface"

    public var id: RouterID
    public var projectId: ProjectID
    public var name: String
    public var description: String
    public var adminStateUp: Bool
    /// The external network of the gateway; nil when the router has none.
    public var gatewayNetworkId: NetworkID?
    /// Neutron's `enable_snat`: recorded and shown (user-mode networking always translates).
    public var enableSnat: Bool
    public var revisionNumber: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: RouterID, projectId: ProjectID, name: String, description: String = "", adminStateUp: Bool = true, now: Date
    ) {
        self.id = id
        self.projectId = projectId
        self.name = name
        self.description = description
        self.adminStateUp = adminStateUp
        self.gatewayNetworkId = nil
        self.enableSnat = true
        self.revisionNumber = 1
        self.createdAt = now
        self.updatedAt = now
    }
}
