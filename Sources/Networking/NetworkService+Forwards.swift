import NimbusCore

/// One address and port of the host forwarded to a guest's address and port.
public struct AccessForward: Sendable, Hashable, CustomStringConvertible {
    public var `protocol`: ForwardProtocol
    public var hostAddress: String
    public var hostPort: Int
    public var guestAddress: String
    public var guestPort: Int

    public init(protocol: ForwardProtocol, hostAddress: String, hostPort: Int, guestAddress: String, guestPort: Int) {
        self.protocol = `protocol`
        self.hostAddress = hostAddress
        self.hostPort = hostPort
        self.guestAddress = guestAddress
        self.guestPort = guestPort
    }

    public var description: String { "\(`protocol`.rawValue):\(hostAddress):\(hostPort)-\(guestAddress):\(guestPort)" }
}

extension NetworkService {
    /// What the host must forward to a device's ports, by port: each
    /// associated floating IP's TCP ports that the port's security groups
    /// admit from the host (see `SecurityGroupRules.forwardedTCPPorts`), and
    /// each port forwarding whose internal port the groups admit.
    public func forwards(deviceID: String, project: ProjectID) throws -> [PortID: [AccessForward]] {
        let ports = try self.ports(deviceID: deviceID, project: project)
        guard !ports.isEmpty else { return [:] }
        let ids = ports.map(\.id)
        let floatingIPs = try store.floatingIPs(ports: ids)
        let forwardings = try store.portForwardings(ports: ids)
        var addresses: [FloatingIPID: String] = [:]
        for id in Set(forwardings.map(\.floatingipId)) { addresses[id] = try store.floatingIP(id: id)?.floatingIpAddress }
        var result: [PortID: [AccessForward]] = [:]
        for port in ports {
            let rules = try store.securityGroupRules(groups: port.securityGroupIds)
            var forwards: [AccessForward] = []
            for floatingIP in floatingIPs where floatingIP.portId == port.id {
                guard let guest = floatingIP.fixedIpAddress else { continue }
                forwards += SecurityGroupRules.forwardedTCPPorts(rules).map { number in
                    AccessForward(protocol: .tcp, hostAddress: floatingIP.floatingIpAddress, hostPort: number, guestAddress: guest, guestPort: number)
                }
            }
            for forwarding in forwardings where forwarding.internalPortId == port.id {
                guard let host = addresses[forwarding.floatingipId],
                      SecurityGroupRules.admit(rules, protocol: forwarding.protocol, port: forwarding.internalPort)
                else { continue }
                forwards.append(AccessForward(
                    protocol: forwarding.protocol, hostAddress: host, hostPort: forwarding.externalPort,
                    guestAddress: forwarding.internalIpAddress, guestPort: forwarding.internalPort))
            }
            result[port.id] = forwards
        }
        return result
    }

    /// The floating IPs associated with these ports, for the addresses of a server.
    public func floatingIPs(ports: [NetworkPort]) throws -> [FloatingIP] {
        ports.isEmpty ? [] : try store.floatingIPs(ports: ports.map(\.id))
    }
}
