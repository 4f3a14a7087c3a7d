import Foundation

// Neutron's resources as stored. Addresses and CIDRs are kept in their
// canonical text form (checked by the Network service with `IPv4Address` and
// `IPv4Subnet`), so the values read the same in the database, the logs and on the wire.

/// Neutron network ids: a lowercase UUID with dashes.
public struct NetworkID: UUIDIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct SubnetID: UUIDIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

public struct PortID: UUIDIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Neutron's network statuses. Nimbus networks need no agent to come up, so they are ACTIVE.
public enum NetworkStatus: String, Sendable, Codable {
    case active = "ACTIVE", down = "DOWN", build = "BUILD", error = "ERROR"
}

/// Neutron's port statuses: DOWN until a running server uses the port, then ACTIVE.
public enum PortStatus: String, Sendable, Codable {
    case active = "ACTIVE", down = "DOWN", build = "BUILD", error = "ERROR"
}

/// An L2 network. `external` is Neutron's `router:external`: the network
/// floating IPs come from.
public struct Network: Sendable, Equatable {
    /// The MTU of every Nimbus network: QEMU's user-mode NIC is an Ethernet of 1500 bytes.
    public static let defaultMTU = 1500

    public var id: NetworkID
    public var projectId: ProjectID
    public var name: String
    public var description: String
    public var adminStateUp: Bool
    public var shared: Bool
    public var external: Bool
    public var mtu: Int
    public var status: NetworkStatus
    /// The network's subnets, oldest first. Derived from the subnets themselves
    /// when read from the store; never written with the network.
    public var subnetIds: [SubnetID]
    /// Neutron's `revision_number`: bumped on every change, for clients' compare-and-swap.
    public var revisionNumber: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: NetworkID, projectId: ProjectID, name: String, description: String = "", adminStateUp: Bool = true,
        shared: Bool = false, external: Bool = false, mtu: Int = Network.defaultMTU, now: Date
    ) {
        self.id = id
        self.projectId = projectId
        self.name = name
        self.description = description
        self.adminStateUp = adminStateUp
        self.shared = shared
        self.external = external
        self.mtu = mtu
        self.status = .active
        self.subnetIds = []
        self.revisionNumber = 1
        self.createdAt = now
        self.updatedAt = now
    }
}

/// A range of addresses a subnet hands out, both ends included.
public struct AllocationPool: Sendable, Codable, Equatable, Hashable {
    public var start: String
    public var end: String
    public init(start: String, end: String) {
        self.start = start
        self.end = end
    }
}

/// A static route a subnet's DHCP server announces.
public struct HostRoute: Sendable, Codable, Equatable, Hashable {
    public var destination: String
    public var nexthop: String
    public init(destination: String, nexthop: String) {
        self.destination = destination
        self.nexthop = nexthop
    }
}

/// An IP range on a network, with the pools ports get their addresses from.
public struct Subnet: Sendable, Equatable {
    public var id: SubnetID
    public var networkId: NetworkID
    public var projectId: ProjectID
    public var name: String
    public var description: String
    /// Canonical CIDR, such as `10.0.0.0/24`.
    public var cidr: String
    /// Always 4 for now; the column and the wire form are ready for 6.
    public var ipVersion: Int
    /// nil when the subnet has no gateway (`--gateway none`).
    public var gatewayIP: String?
    public var allocationPools: [AllocationPool]
    public var enableDHCP: Bool
    public var dnsNameservers: [String]
    public var hostRoutes: [HostRoute]
    public var revisionNumber: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: SubnetID, networkId: NetworkID, projectId: ProjectID, name: String, description: String = "",
        cidr: String, gatewayIP: String?, allocationPools: [AllocationPool], enableDHCP: Bool = true,
        dnsNameservers: [String] = [], hostRoutes: [HostRoute] = [], now: Date
    ) {
        self.id = id
        self.networkId = networkId
        self.projectId = projectId
        self.name = name
        self.description = description
        self.cidr = cidr
        self.ipVersion = 4
        self.gatewayIP = gatewayIP
        self.allocationPools = allocationPools
        self.enableDHCP = enableDHCP
        self.dnsNameservers = dnsNameservers
        self.hostRoutes = hostRoutes
        self.revisionNumber = 1
        self.createdAt = now
        self.updatedAt = now
    }
}

/// One address of a port, on one subnet of the port's network.
public struct FixedIP: Sendable, Codable, Equatable, Hashable {
    public var subnetId: SubnetID
    public var ipAddress: String
    public init(subnetId: SubnetID, ipAddress: String) {
        self.subnetId = subnetId
        self.ipAddress = ipAddress
    }
}

/// Neutron's port: a virtual NIC's place on a network, its MAC and its fixed
/// IPs. A server's NIC is a port whose `deviceId` is the server id. Named
/// `NetworkPort` because Foundation already has a `Port` class, and a bare
/// `Port` would be ambiguous in every file that imports Foundation.
public struct NetworkPort: Sendable, Equatable {
    /// The `device_owner` of ports the compute service creates for servers, as Nova spells it.
    public static let computeOwner = "compute:nova"

    public var id: PortID
    public var networkId: NetworkID
    public var projectId: ProjectID
    public var name: String
    public var description: String
    /// `fa:16:3e:xx:xx:xx`, unique across the cloud.
    public var macAddress: String
    /// Derived from the address allocations when read from the store; written with them.
    public var fixedIPs: [FixedIP]
    /// The security groups that decide what reaches the port, in the order
    /// they were given. Derived from the bindings when read from the store; written with them.
    public var securityGroupIds: [SecurityGroupID]
    /// The server (or other device) using the port; "" when unbound.
    public var deviceId: String
    public var deviceOwner: String
    public var adminStateUp: Bool
    public var status: PortStatus
    /// Neutron's `binding:host_id`: the host running the device; "" when unbound.
    public var bindingHostId: String
    /// Neutron's `binding:vnic_type`; only `normal` exists in Nimbus.
    public var bindingVnicType: String
    public var revisionNumber: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: PortID, networkId: NetworkID, projectId: ProjectID, name: String = "", description: String = "",
        macAddress: String, deviceId: String = "", deviceOwner: String = "", adminStateUp: Bool = true, now: Date
    ) {
        self.id = id
        self.networkId = networkId
        self.projectId = projectId
        self.name = name
        self.description = description
        self.macAddress = macAddress
        self.fixedIPs = []
        self.securityGroupIds = []
        self.deviceId = deviceId
        self.deviceOwner = deviceOwner
        self.adminStateUp = adminStateUp
        self.status = .down
        self.bindingHostId = ""
        self.bindingVnicType = "normal"
        self.revisionNumber = 1
        self.createdAt = now
        self.updatedAt = now
    }
}
