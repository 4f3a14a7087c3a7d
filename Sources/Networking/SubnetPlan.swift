import NimbusCore

/// The rules for a subnet's addresses, as pure functions: which CIDRs are
/// accepted, where the gateway goes, which pools are handed out. Checked here
/// once for the API and for the bootstrap alike.
enum SubnetPlan {
    /// A /8 already holds 16 million addresses; a /30 is the smallest range with two hosts.
    static let prefixLengths = 8...30
    static let maximumNameservers = 5
    static let maximumHostRoutes = 20

    static func cidr(_ text: String, ipVersion: Int) throws -> IPv4Subnet {
        guard ipVersion != 6, !text.contains(":") else {
            throw Fault.invalid("ip_version", "IPv6 subnets are not supported yet; Nimbus networks are IPv4 only (ip_version 4)")
        }
        guard ipVersion == 4 else { throw Fault.invalid("ip_version", "\(ipVersion) is not a valid IP version; use 4") }
        guard let subnet = IPv4Subnet(text) else {
            if let loose = IPv4Subnet(text, strict: false) {
                throw Fault.invalid("cidr", "'\(text)' isn't a recognized IP subnet cidr, '\(loose)' is recommended")
            }
            throw Fault.invalid("cidr", "'\(text)' is not a valid IP subnet")
        }
        guard prefixLengths.contains(subnet.prefixLength) else {
            throw Fault.invalid("cidr", "the prefix length of '\(text)' must be between /\(prefixLengths.lowerBound) and /\(prefixLengths.upperBound)")
        }
        return subnet
    }

    static func address(_ text: String, _ attribute: String) throws -> IPv4Address {
        guard let address = IPv4Address(text) else { throw Fault.invalid(attribute, "'\(text)' is not a valid IP address") }
        return address
    }

    /// The gateway: the first host by default, nil for none, else an address
    /// that a host of the subnet could have.
    static func gateway(_ request: NetworkService.GatewayRequest, in subnet: IPv4Subnet) throws -> IPv4Address? {
        switch request {
        case .none:
            return nil
        case .firstHost:
            return subnet.hosts?.lowerBound
        case .address(let text):
            let address = try address(text, "gateway_ip")
            guard subnet.contains(address) else {
                throw Fault.invalidInput("Gateway IP \(address) is not in subnet \(subnet)")
            }
            guard let hosts = subnet.hosts, hosts.contains(address) else {
                throw Fault.invalidInput("Gateway IP \(address) is the network or broadcast address of subnet \(subnet)")
            }
            return address
        }
    }

    /// Every host address but the gateway, as one or two pools.
    static func defaultPools(in subnet: IPv4Subnet, gateway: IPv4Address?) -> [ClosedRange<IPv4Address>] {
        guard let hosts = subnet.hosts else { return [] }
        guard let gateway, hosts.contains(gateway) else { return [hosts] }
        var pools: [ClosedRange<IPv4Address>] = []
        if gateway > hosts.lowerBound { pools.append(hosts.lowerBound...IPv4Address(gateway.value - 1)) }
        if gateway < hosts.upperBound { pools.append(IPv4Address(gateway.value + 1)...hosts.upperBound) }
        return pools
    }

    /// Checks requested pools: inside the subnet's host range, start before
    /// end, no overlaps, and clear of the gateway (409, as in Neutron).
    static func pools(_ requested: [AllocationPool]?, in subnet: IPv4Subnet, gateway: IPv4Address?) throws -> [AllocationPool] {
        guard let requested else {
            return defaultPools(in: subnet, gateway: gateway).map { AllocationPool(start: "\($0.lowerBound)", end: "\($0.upperBound)") }
        }
        var ranges: [ClosedRange<IPv4Address>] = []
        for pool in requested {
            let start = try address(pool.start, "allocation_pools")
            let end = try address(pool.end, "allocation_pools")
            guard start <= end else {
                throw Fault.make(.badRequest, "InvalidAllocationPool", "The allocation pool \(pool.start)-\(pool.end) is not valid: its start is after its end.")
            }
            guard let hosts = subnet.hosts, hosts.contains(start), hosts.contains(end) else {
                throw Fault.make(.badRequest, "OutOfBoundsAllocationPool",
                                 "The allocation pool \(pool.start)-\(pool.end) spans beyond the subnet cidr \(subnet).")
            }
            if let clash = ranges.first(where: { $0.overlaps(start...end) }) {
                throw Fault.make(.badRequest, "OverlappingAllocationPools",
                                 "Found overlapping allocation pools: \(clash.lowerBound)-\(clash.upperBound) and \(start)-\(end) for subnet \(subnet).")
            }
            ranges.append(start...end)
        }
        let canonical = ranges.map { AllocationPool(start: "\($0.lowerBound)", end: "\($0.upperBound)") }
        try checkGateway(gateway, clearOf: canonical)
        return canonical
    }

    static func checkGateway(_ gateway: IPv4Address?, clearOf pools: [AllocationPool]) throws {
        guard let gateway else { return }
        for pool in pools {
            if let start = IPv4Address(pool.start), let end = IPv4Address(pool.end), (start...end).contains(gateway) {
                throw Fault.gatewayConflict("\(gateway)", pool)
            }
        }
    }

    static func nameservers(_ requested: [String]) throws -> [String] {
        guard requested.count <= maximumNameservers else {
            throw Fault.invalid("dns_nameservers", "a subnet has at most \(maximumNameservers) DNS nameservers")
        }
        let canonical = try requested.map { "\(try address($0, "dns_nameservers"))" }
        guard Set(canonical).count == canonical.count else {
            throw Fault.invalid("dns_nameservers", "duplicate nameserver in \(requested)")
        }
        return canonical
    }

    static func hostRoutes(_ requested: [HostRoute]) throws -> [HostRoute] {
        guard requested.count <= maximumHostRoutes else {
            throw Fault.invalid("host_routes", "a subnet has at most \(maximumHostRoutes) host routes")
        }
        return try requested.map { route in
            guard let destination = IPv4Subnet(route.destination) else {
                throw Fault.invalid("host_routes", "'\(route.destination)' is not a valid destination CIDR")
            }
            return HostRoute(destination: "\(destination)", nexthop: "\(try address(route.nexthop, "host_routes"))")
        }
    }
}
