import NimbusCore

/// Neutron's name for a failure (`NetworkNotFound`, `IpAddressGenerationFailure`, …).
///
/// It travels as the `cause` of a `NimbusError`, so the service stays free of
/// HTTP while the API can still answer with the `type` Neutron would: clients
/// and scripts match on it, and the message stays written for people.
public struct NeutronFault: Error, Sendable, CustomStringConvertible {
    public let type: String
    public init(_ type: String) { self.type = type }
    public var description: String { type }
}

/// The failures of the network service, in Neutron's words.
enum Fault {
    static func make(_ code: NimbusError.Code, _ type: String, _ message: String) -> NimbusError {
        NimbusError(code, message, cause: NeutronFault(type))
    }

    static func networkNotFound(_ id: String) -> NimbusError {
        make(.notFound, "NetworkNotFound", "Network \(id) could not be found.")
    }

    static func subnetNotFound(_ id: String) -> NimbusError {
        make(.notFound, "SubnetNotFound", "Subnet \(id) could not be found.")
    }

    static func portNotFound(_ id: String) -> NimbusError {
        make(.notFound, "PortNotFound", "Port \(id) could not be found.")
    }

    static func securityGroupNotFound(_ id: String) -> NimbusError {
        make(.notFound, "SecurityGroupNotFound", "Security group \(id) does not exist")
    }

    static func securityGroupRuleNotFound(_ id: String) -> NimbusError {
        make(.notFound, "SecurityGroupRuleNotFound", "Security group rule \(id) does not exist")
    }

    static func floatingIPNotFound(_ id: String) -> NimbusError {
        make(.notFound, "FloatingIPNotFound", "Floating IP \(id) could not be found")
    }

    static func routerNotFound(_ id: String) -> NimbusError {
        make(.notFound, "RouterNotFound", "Router \(id) could not be found")
    }

    static func portForwardingNotFound(_ id: String) -> NimbusError {
        make(.notFound, "PortForwardingNotFound", "Port Forwarding \(id) could not be found.")
    }

    /// A value Neutron's attribute validation would refuse.
    static func invalid(_ attribute: String, _ reason: String) -> NimbusError {
        make(.badRequest, "HTTPBadRequest", "Invalid input for \(attribute). Reason: \(reason).")
    }

    /// A request that is well formed but makes no sense for the resources it names.
    static func invalidInput(_ reason: String) -> NimbusError {
        make(.badRequest, "InvalidInput", "Invalid input for operation: \(reason).")
    }

    /// Neutron words refusals after the policy rule that refused.
    static func policy(_ rule: String, _ why: String) -> NimbusError {
        make(.forbidden, "PolicyNotAuthorized", "(rule:\(rule)) is disallowed by policy: \(why).")
    }

    static func networkInUse(_ id: NetworkID) -> NimbusError {
        make(.conflict, "NetworkInUse",
             "Unable to complete operation on network \(id). There are one or more ports still in use on the network.")
    }

    static func subnetInUse(_ id: SubnetID) -> NimbusError {
        make(.conflict, "SubnetInUse",
             "Unable to complete operation on subnet \(id): One or more ports have an IP allocation from this subnet.")
    }

    static func addressesExhausted(_ network: NetworkID) -> NimbusError {
        make(.conflict, "IpAddressGenerationFailure", "No more IP addresses available on network \(network).")
    }

    static func addressInUse(_ address: String, _ subnet: SubnetID) -> NimbusError {
        make(.conflict, "IpAddressAlreadyAllocated", "IP address \(address) already allocated in subnet \(subnet).")
    }

    static func macInUse(_ mac: String, _ network: NetworkID) -> NimbusError {
        make(.conflict, "MacAddressInUse",
             "Unable to complete operation for network \(network). The mac address \(mac) is in use.")
    }

    static func gatewayConflict(_ gateway: String, _ pool: AllocationPool) -> NimbusError {
        make(.conflict, "GatewayConflictWithAllocationPools",
             "Gateway ip \(gateway) conflicts with allocation pool \(pool.start)-\(pool.end).")
    }
}
