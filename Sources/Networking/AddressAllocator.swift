import NimbusCore

/// Chooses a port's fixed IPs from what the store's `AddressBook` shows inside
/// the write transaction. Pure: the same book and request give the same answer.
struct AddressAllocator {
    /// Neutron's `max_fixed_ips_per_port`.
    static let maximumPerPort = 5

    let network: NetworkID
    let subnets: [Subnet]
    /// Addresses other ports hold; grows as this allocation chooses.
    var taken: Set<String>
    /// Whether the caller may name precise addresses (admin or network owner, as in Neutron).
    let mayChooseAddresses: Bool

    /// The addresses for `requests`. nil asks for one address from the first
    /// subnet that has a free one (Neutron's default for IPv4); addresses in
    /// `current` are kept when a request names them again, or names only their subnet.
    mutating func choose(_ requests: [NetworkService.FixedIPRequest]?, current: [FixedIP] = []) throws -> [FixedIP] {
        guard let requests else {
            guard !subnets.isEmpty else { return [] }
            for subnet in subnets {
                if let address = firstFree(in: subnet) { return [claim(address, on: subnet)] }
            }
            throw Fault.addressesExhausted(network)
        }
        guard requests.count <= Self.maximumPerPort else {
            throw Fault.invalid("fixed_ips", "exceeded the maximum of \(Self.maximumPerPort) fixed IPs per port")
        }
        var keepable = current
        var chosen = [FixedIP?](repeating: nil, count: requests.count)
        // Precise addresses first, so "any address on S" cannot take one asked for by name.
        for (index, request) in requests.enumerated() where request.ipAddress != nil {
            chosen[index] = try precise(request, keepable: &keepable)
        }
        for (index, request) in requests.enumerated() where request.ipAddress == nil {
            guard let subnetText = request.subnetId else {
                throw Fault.invalid("fixed_ips", "each entry needs a subnet_id or an ip_address")
            }
            let subnet = try self.subnet(subnetText)
            if let kept = keepable.firstIndex(where: { $0.subnetId == subnet.id }) {
                chosen[index] = keepable.remove(at: kept)
                continue
            }
            guard let address = firstFree(in: subnet) else { throw Fault.addressesExhausted(network) }
            chosen[index] = claim(address, on: subnet)
        }
        let result = chosen.compactMap { $0 }
        guard Set(result).count == result.count else {
            throw Fault.invalid("fixed_ips", "the same address is requested twice")
        }
        return result
    }

    private mutating func precise(_ request: NetworkService.FixedIPRequest, keepable: inout [FixedIP]) throws -> FixedIP {
        let text = request.ipAddress ?? ""
        guard let address = IPv4Address(text) else { throw Fault.invalid("fixed_ips", "'\(text)' is not a valid IP address") }
        let subnet: Subnet
        if let subnetText = request.subnetId {
            subnet = try self.subnet(subnetText)
            guard Self.range(of: subnet)?.contains(address) == true else {
                throw Fault.invalidInput("IP address \(address) is not a valid IP for the specified subnet")
            }
        } else {
            guard let found = subnets.first(where: { Self.range(of: $0)?.contains(address) == true }) else {
                throw Fault.invalidInput("IP address \(address) is not a valid IP for any of the subnets on the specified network")
            }
            subnet = found
        }
        let fixed = FixedIP(subnetId: subnet.id, ipAddress: "\(address)")
        if let index = keepable.firstIndex(of: fixed) {
            return keepable.remove(at: index)
        }
        guard mayChooseAddresses else {
            throw Fault.policy("create_port:fixed_ips:ip_address", "only the network's project or an admin may choose an address")
        }
        if subnet.gatewayIP == fixed.ipAddress {
            throw Fault.make(.conflict, "IpAddressInUse", "IP address \(address) is the gateway of subnet \(subnet.id).")
        }
        guard !taken.contains(fixed.ipAddress) else { throw Fault.addressInUse(fixed.ipAddress, subnet.id) }
        return claim(address, on: subnet)
    }

    private func subnet(_ text: String) throws -> Subnet {
        guard let id = SubnetID.parse(text), let subnet = subnets.first(where: { $0.id == id }) else {
            throw Fault.invalidInput("Failed to create port on network \(network), because fixed_ips included invalid subnet \(text)")
        }
        return subnet
    }

    private mutating func claim(_ address: IPv4Address, on subnet: Subnet) -> FixedIP {
        taken.insert("\(address)")
        return FixedIP(subnetId: subnet.id, ipAddress: "\(address)")
    }

    /// The lowest free address of the subnet's pools. Allocations fill pools
    /// from the bottom, so the walk passes the taken addresses once at most.
    func firstFree(in subnet: Subnet) -> IPv4Address? {
        for pool in subnet.allocationPools {
            guard let start = IPv4Address(pool.start), let end = IPv4Address(pool.end), start <= end else { continue }
            var value = start.value
            while true {
                let text = "\(IPv4Address(value))"
                if !taken.contains(text), text != subnet.gatewayIP { return IPv4Address(value) }
                if value == end.value { break }
                value += 1
            }
        }
        return nil
    }

    /// The addresses a port may have on a subnet: its hosts, network and broadcast excluded.
    static func range(of subnet: Subnet) -> ClosedRange<IPv4Address>? {
        IPv4Subnet(subnet.cidr)?.hosts
    }
}
