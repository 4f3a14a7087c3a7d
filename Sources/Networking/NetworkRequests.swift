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
        public init() {}
    }
}
