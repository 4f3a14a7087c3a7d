import NimbusCore

// The commands the API layer builds from Neutron request bodies. Types are
// already checked (a boolean is a Bool); values are checked by the service,
// which is where the rules live for every caller, not only HTTP.

extension NetworkService {
    /// POST /networks.
    public struct NetworkDraft: Sendable {
        public var name = ""
        public var description = ""
        public var adminStateUp = true
        public var shared = false
        public var external = false
        public var mtu: Int?
        /// Another project than the caller's; admins only.
        public var projectId: String?
        public init() {}
    }

    /// PUT /networks/{id}: nil leaves a field as it is.
    public struct NetworkChanges: Sendable {
        public var name: String?
        public var description: String?
        public var adminStateUp: Bool?
        public var shared: Bool?
        public var external: Bool?
        public var mtu: Int?
        public init() {}
    }

    /// A subnet's `gateway_ip`: absent (the first host), null (no gateway), or an address.
    public enum GatewayRequest: Sendable, Equatable {
        case firstHost
        case none
        case address(String)
    }

    /// POST /subnets.
    public struct SubnetDraft: Sendable {
        public var networkId: String
        public var cidr: String
        public var ipVersion = 4
        public var name = ""
        public var description = ""
        public var gateway = GatewayRequest.firstHost
        /// nil: the whole range minus the gateway, network and broadcast addresses.
        public var allocationPools: [AllocationPool]?
        public var enableDHCP = true
        public var dnsNameservers: [String] = []
        public var hostRoutes: [HostRoute] = []
        public var projectId: String?
        public init(networkId: String, cidr: String) {
            self.networkId = networkId
            self.cidr = cidr
        }
    }

    /// PUT /subnets/{id}: nil leaves a field as it is.
    public struct SubnetChanges: Sendable {
        public var name: String?
        public var description: String?
        public var gateway: GatewayRequest?
        public var allocationPools: [AllocationPool]?
        public var enableDHCP: Bool?
        public var dnsNameservers: [String]?
        public var hostRoutes: [HostRoute]?
        public init() {}
    }

    /// One entry of a port's `fixed_ips`: a subnet to take any address from,
    /// a precise address, or both.
    public struct FixedIPRequest: Sendable, Equatable {
        public var subnetId: String?
        public var ipAddress: String?
        public init(subnetId: String? = nil, ipAddress: String? = nil) {
            self.subnetId = subnetId
            self.ipAddress = ipAddress
        }
    }

    /// POST /ports.
    public struct PortDraft: Sendable {
        public var networkId: String
        public var name = ""
        public var description = ""
        public var adminStateUp = true
        public var macAddress: String?
        /// nil: one address from the first subnet with a free one; []: no address.
        public var fixedIPs: [FixedIPRequest]?
        public var deviceId = ""
        public var deviceOwner = ""
        public var bindingHostId: String?
        public var bindingVnicType: String?
        /// nil: the project's default group (none for `network:` owners).
        public var securityGroups: [String]?
        public var projectId: String?
        public init(networkId: String) {
            self.networkId = networkId
        }
    }

    /// PUT /ports/{id}: nil leaves a field as it is; `fixedIPs` replaces the
    /// whole list, keeping the addresses it names again.
    public struct PortChanges: Sendable {
        public var name: String?
        public var description: String?
        public var adminStateUp: Bool?
        public var macAddress: String?
        public var fixedIPs: [FixedIPRequest]?
        public var deviceId: String?
        public var deviceOwner: String?
        public var bindingHostId: String?
        public var bindingVnicType: String?
        /// Replaces the port's groups.
        public var securityGroups: [String]?
        public init() {}
    }
}

extension NetworkService {
    /// POST /security-groups.
    public struct SecurityGroupDraft: Sendable {
        public var name = ""
        public var description = ""
        public var stateful = true
        public var projectId: String?
        public init() {}
    }

    /// PUT /security-groups/{id}: nil leaves a field as it is.
    public struct SecurityGroupChanges: Sendable {
        public var name: String?
        public var description: String?
        public init() {}
    }

    /// POST /security-group-rules. Text as the client sent it; the service checks it.
    public struct SecurityGroupRuleDraft: Sendable {
        public var securityGroupId: String
        public var direction: String
        public var ethertype = "IPv4"
        public var `protocol`: String?
        public var portRangeMin: Int?
        public var portRangeMax: Int?
        public var remoteIpPrefix: String?
        public var remoteGroupId: String?
        public var description = ""
        public var projectId: String?
        public init(securityGroupId: String, direction: String) {
            self.securityGroupId = securityGroupId
            self.direction = direction
        }
    }

    /// POST /floatingips.
    public struct FloatingIPDraft: Sendable {
        public var floatingNetworkId: String
        public var floatingIpAddress: String?
        public var portId: String?
        public var fixedIpAddress: String?
        public var description = ""
        public var projectId: String?
        public init(floatingNetworkId: String) {
            self.floatingNetworkId = floatingNetworkId
        }
    }

    /// PUT /floatingips/{id}. `association` is nil when the body leaves the
    /// port alone, `.some(nil)` to disassociate, `.some(port)` to associate.
    public struct FloatingIPChanges: Sendable {
        public var association: (portId: String, fixedIpAddress: String?)??
        public var description: String?
        public init() {}
    }

    /// POST /floatingips/{id}/port_forwardings.
    public struct PortForwardingDraft: Sendable {
        public var internalPortId: String
        public var internalIpAddress: String
        public var internalPort: Int
        public var externalPort: Int
        public var `protocol`: String
        public var description = ""
        public init(internalPortId: String, internalIpAddress: String, internalPort: Int, externalPort: Int, protocol: String) {
            self.internalPortId = internalPortId
            self.internalIpAddress = internalIpAddress
            self.internalPort = internalPort
            self.externalPort = externalPort
            self.protocol = `protocol`
        }
    }
}

extension NetworkService {
    /// A router's `external_gateway_info`: the external network, and what only admins may set.
    public struct GatewayInfo: Sendable {
        public var networkId: String
        /// nil: Neutron's default (true) on a new gateway, unchanged on the same one.
        public var enableSnat: Bool?
        /// nil: one address from the network's first subnet with a free one.
        public var externalFixedIPs: [FixedIPRequest]?
        public init(networkId: String) {
            self.networkId = networkId
        }
    }

    /// POST /routers.
    public struct RouterDraft: Sendable {
        public var name = ""
        public var description = ""
        public var adminStateUp = true
        public var gateway: GatewayInfo?
        public var projectId: String?
        public init() {}
    }

    /// PUT /routers/{id}: nil leaves a field as it is; `gateway` is `.some(nil)` to clear it.
    public struct RouterChanges: Sendable {
        public var name: String?
        public var description: String?
        public var adminStateUp: Bool?
        public var gateway: GatewayInfo??
        public init() {}
    }

    /// The body of add_router_interface and remove_router_interface.
    public struct RouterInterfaceRequest: Sendable {
        public var subnetId: String?
        public var portId: String?
        public init(subnetId: String? = nil, portId: String? = nil) {
            self.subnetId = subnetId
            self.portId = portId
        }
    }

    /// What add/remove_router_interface answer: the router, the port and its subnets.
    public struct RouterInterface: Sendable {
        public var router: NetworkRouter
        public var port: NetworkPort
    }
}
