import Foundation
import Identity
import NimbusCore
import NimbusStore

/// What the compute service calls to give servers their NICs.
///
/// The sequence for `server create --nic net-id=N[,v4-fixed-ip=A]` is:
/// `usableNetwork(N, auth)` while checking the request (the caller's rights
/// are checked there, once), then `allocatePort(network:fixedIP:deviceID:…)`
/// per NIC; for `--nic port-id=P` it is `attachPort(P, deviceID:, auth)`.
/// When a server is deleted, `releasePorts(deviceID:project:preserving:)`
/// deletes the ports Nimbus made and unbinds the ones the user brought. These
/// calls take no `AuthContext` where the caller already checked, as Nova
/// calls Neutron with its own service credentials.
///
/// A server's ports are the ports with its id as `device_id` *in its
/// project*: anyone may write any `device_id` on their own port, so without
/// the project another project could slip a NIC, a floating IP or its
/// security groups into a server (Nova filters by tenant for the same reason).
extension NetworkService {
    /// The network a server of the caller may have a NIC on: its project's, a
    /// shared one, or any for an admin. By id or by name, as `--nic net-id=` and `--network` take.
    public func usableNetwork(_ idOrName: String, _ auth: AuthContext) throws -> Network {
        _ = try Policy.requireProjectMember(auth)
        let network: Network
        if NetworkID.parse(idOrName) != nil {
            network = try self.network(idOrName, auth)
        } else {
            let named = try store.networks().filter { $0.name == idOrName && NetworkPolicy.mayRead($0, auth) }
            guard named.count <= 1 else {
                throw Fault.make(.conflict, "NetworkAmbiguous", "Multiple networks are named \(idOrName); use the network id.")
            }
            guard let only = named.first else { throw Fault.networkNotFound(idOrName) }
            network = only
        }
        guard NetworkPolicy.mayCreatePort(on: network, auth) else {
            throw Fault.policy("create_port", "network \(network.id) is not usable by project \(auth.projectId?.rawValue ?? "-")")
        }
        return network
    }

    /// Creates a server's port on `network`, bound to `deviceID`, with an
    /// address from the first subnet that has one (or exactly `fixedIP`).
    /// Throws 409 IpAddressGenerationFailure when the pools are exhausted and
    /// IpAddressAlreadyAllocated when `fixedIP` is taken. The caller has checked
    /// the user's rights with `usableNetwork`.
    public func allocatePort(
        network: NetworkID, fixedIP: String? = nil, deviceID: String, deviceOwner: String = NetworkPort.computeOwner,
        securityGroups: [SecurityGroupID]? = nil, project: ProjectID
    ) throws -> NetworkPort {
        let requests = fixedIP.map { [FixedIPRequest(ipAddress: $0)] }
        var port = NetworkPort(
            id: .generate(), networkId: network, projectId: project, macAddress: Self.randomMAC(), deviceId: deviceID,
            deviceOwner: deviceOwner, now: Date())
        port.securityGroupIds = try securityGroups ?? [defaultSecurityGroup(of: project).id]
        try checkQuota("port", project: project)
        let created = try store.insertPort(port) { port, book in
            try Self.assignMAC(&port, requested: nil, book)
            var allocator = AddressAllocator(network: network, subnets: book.subnets, taken: book.taken, mayChooseAddresses: true)
            port.fixedIPs = try allocator.choose(requests)
        }
        guard let created else { throw Fault.networkNotFound(network.rawValue) }
        logger.info("port allocated", metadata: [
            "port.id": "\(created.id)", "device.id": "\(deviceID)", "ips": "\(created.fixedIPs.map(\.ipAddress))",
        ])
        return created
    }

    /// Binds a port the user created to a server (`--nic port-id=`). The port
    /// must be the caller's to change and not in use by another device (409 PortInUse).
    public func attachPort(
        _ id: String, deviceID: String, deviceOwner: String = NetworkPort.computeOwner, _ auth: AuthContext
    ) throws -> NetworkPort {
        let current = try port(id, auth)
        guard NetworkPolicy.mayModify(current, on: try store.network(id: current.networkId), auth) else {
            throw Fault.policy("update_port", "port \(current.id) belongs to another project")
        }
        let updated = try store.updatePort(id: current.id) { port, _ in
            guard port.deviceId.isEmpty || port.deviceId == deviceID else {
                throw Fault.make(.conflict, "PortInUse",
                                 "Unable to complete operation on port \(port.id) for network \(port.networkId). Port already has an attached device \(port.deviceId).")
            }
            port.deviceId = deviceID
            port.deviceOwner = deviceOwner
            port.revisionNumber += 1
            port.updatedAt = Date()
        }
        guard let updated else { throw Fault.portNotFound(id) }
        return updated
    }

    /// Undoes a server's NICs in one transaction: deletes its ports, except
    /// those in `preserving` (the ones the user brought with `--nic port-id=`),
    /// which lose their device and go DOWN. Returns the ports deleted.
    @discardableResult
    public func releasePorts(deviceID: String, project: ProjectID, preserving: Set<PortID> = []) throws -> [NetworkPort] {
        guard !deviceID.isEmpty else { return [] }
        let released = try store.releasePorts(deviceID: deviceID, project: project, preserving: preserving) { port in
            port.deviceId = ""
            port.deviceOwner = ""
            port.bindingHostId = ""
            port.status = .down
            port.revisionNumber += 1
            port.updatedAt = Date()
        }
        if !released.deleted.isEmpty || !released.unbound.isEmpty {
            logger.info("ports released", metadata: [
                "device.id": "\(deviceID)", "deleted": "\(released.deleted.count)", "unbound": "\(released.unbound.count)",
            ])
        }
        return released.deleted
    }

    /// ACTIVE while the server runs, DOWN otherwise; `hostID` records where (binding:host_id).
    public func setPortStatus(deviceID: String, project: ProjectID, _ status: PortStatus, hostID: String? = nil) throws {
        guard !deviceID.isEmpty else { return }
        _ = try store.updatePorts(deviceID: deviceID, project: project) { port in
            guard port.status != status || (hostID != nil && port.bindingHostId != hostID) else { return }
            port.status = status
            if let hostID { port.bindingHostId = hostID }
            port.revisionNumber += 1
            port.updatedAt = Date()
        }
    }

    /// A device's ports, oldest first: a server's NICs in the order they were made.
    public func ports(deviceID: String, project: ProjectID) throws -> [NetworkPort] {
        guard !deviceID.isEmpty else { return [] }
        return try store.ports(deviceID: deviceID, project: project)
    }

    /// What a page of devices shows of their networking, read together.
    public struct Devices: Sendable {
        /// Each device's ports (of the device's own project), oldest first.
        public var ports: [String: [NetworkPort]] = [:]
        public var floatingIPs: [PortID: [FloatingIP]] = [:]
        public var networkNames: [NetworkID: String] = [:]
        public var securityGroups: [SecurityGroupID: SecurityGroup] = [:]
    }

    /// The ports of these devices with their floating IPs, networks' names
    /// and security groups, in a fixed number of queries.
    public func devices(_ devices: [(id: String, project: ProjectID)]) throws -> Devices {
        let projects = Dictionary(devices.filter { !$0.id.isEmpty }.map { ($0.id, $0.project) }, uniquingKeysWith: { first, _ in first })
        let ports = try store.ports(deviceIDs: Array(projects.keys)).filter { projects[$0.deviceId] == $0.projectId }
        var result = Devices()
        result.ports = Dictionary(grouping: ports, by: \.deviceId)
        for floating in try floatingIPs(ports: ports) {
            if let port = floating.portId { result.floatingIPs[port, default: []].append(floating) }
        }
        result.networkNames = try store.networkNames(ids: Set(ports.map(\.networkId)))
        result.securityGroups = try store.securityGroups(ids: Set(ports.flatMap(\.securityGroupIds)))
        return result
    }

    /// Every fixed address of a server's ports, with the server's id: of one
    /// project's servers, or of all when nil.
    public func serverAddresses(project: ProjectID?) throws -> [(serverID: String, address: String)] {
        try store.serverAddresses(project: project)
    }

    /// A subnet by id, without policy: its CIDR, gateway and DNS configure a NIC.
    public func subnet(id: SubnetID) throws -> Subnet? {
        try store.subnet(id: id)
    }
}
