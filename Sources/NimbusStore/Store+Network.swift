import Foundation
import GRDB
import NimbusCore

/// What a port's address allocation may look at, inside the write transaction
/// that stores its result: no other writer runs until the transaction ends, so
/// an address seen free here is still free when the port is written.
public struct AddressBook {
    /// The network's subnets, oldest first: the order Neutron tries them in.
    public let subnets: [Subnet]
    /// Addresses on the network held by ports other than the one being written.
    public let taken: Set<String>
    let portId: PortID
    let db: Database

    /// Whether a port other than the one being written has this MAC.
    public func macInUse(_ mac: String) throws -> Bool {
        try NetworkPort.filter(Column("mac_address") == mac && Column("id") != portId).fetchCount(db) > 0
    }
}

extension Store {
    // MARK: Networks

    /// Inserts a network with its first subnets in one transaction, so a
    /// bootstrap interrupted half-way never leaves a network without its subnet.
    public func insertNetwork(_ network: Network, subnets: [Subnet] = []) throws {
        try write { db in
            try network.insert(db)
            for subnet in subnets { try subnet.insert(db) }
        }
    }

    public func network(id: NetworkID) throws -> Network? {
        try read { db in try Network.fetchOne(db, key: id.rawValue).map { try Self.withSubnetIds($0, db) } }
    }

    /// Every network, oldest first; the service filters by visibility.
    public func networks() throws -> [Network] {
        try read { db in
            let subnets = try Self.subnetIdsByNetwork(db)
            return try Network.order(Column.rowID).fetchAll(db).map { network in
                var network = network
                network.subnetIds = subnets[network.id] ?? []
                return network
            }
        }
    }

    /// Read-modify-write of one network in one transaction. nil when it is gone.
    public func updateNetwork(id: NetworkID, _ change: (inout Network) throws -> Void) throws -> Network? {
        try write { db in
            guard var network = try Network.fetchOne(db, key: id.rawValue) else { return nil }
            try change(&network)
            try network.update(db)
            return try Self.withSubnetIds(network, db)
        }
    }

    /// Deletes a network with its subnets and ports, after `check` saw the ports
    /// still on it inside the same transaction (so none can be added in between).
    /// Floating IPs drawn from it go too, when `check` lets them (Neutron
    /// deletes an external network's unused floating IPs with it); `check`
    /// sees each with whether it forwards anything (an association or port forwardings).
    public func deleteNetwork(
        id: NetworkID, check: (Network, [NetworkPort], _ floatingIPs: [(floatingIP: FloatingIP, inUse: Bool)]) throws -> Void
    ) throws -> Network? {
        try write { db in
            guard let network = try Network.fetchOne(db, key: id.rawValue) else { return nil }
            let floatingIPs = try FloatingIP.filter(Column("floating_network_id") == id).fetchAll(db)
            let forwarding = try FloatingIPID.fetchSet(db, PortForwarding.select(Column("floatingip_id"))
                .filter(floatingIPs.map(\.id).contains(Column("floatingip_id"))))
            try check(network, try Self.ports(db, NetworkPort.filter(Column("network_id") == id)),
                      floatingIPs.map { ($0, $0.portId != nil || forwarding.contains($0.id)) })
            for floatingIP in floatingIPs { try floatingIP.delete(db) }
            for floatingIP in floatingIPs { try floatingIP.delete(db) }
            try network.delete(db)
            return network
        }
    }

    // MARK: Subnets

    /// Inserts a subnet after `check` saw its network and the network's other
    /// subnets in the same transaction: two overlapping subnets created at once
    /// cannot both pass. nil when the network is gone.
    public func insertSubnet(_ subnet: Subnet, check: (Network, [Subnet]) throws -> Void) throws -> Subnet? {
        try write { db in
            guard let network = try Network.fetchOne(db, key: subnet.networkId.rawValue) else { return nil }
            let siblings = try Subnet.filter(Column("network_id") == subnet.networkId).order(Column.rowID).fetchAll(db)
            try check(network, siblings)
            try subnet.insert(db)
            return subnet
        }
    }

    public func subnet(id: SubnetID) throws -> Subnet? {
        try read { try Subnet.fetchOne($0, key: id.rawValue) }
    }

    /// Subnets, oldest first, of one network or of all.
    public func subnets(network: NetworkID? = nil) throws -> [Subnet] {
        try read { db in
            var request = Subnet.order(Column.rowID)
            if let network { request = request.filter(Column("network_id") == network) }
            return try request.fetchAll(db)
        }
    }

    /// Read-modify-write of one subnet; `change` also sees the addresses allocated on it.
    public func updateSubnet(id: SubnetID, _ change: (inout Subnet, _ allocated: Set<String>) throws -> Void) throws -> Subnet? {
        try write { db in
            guard var subnet = try Subnet.fetchOne(db, key: id.rawValue) else { return nil }
            let allocated = try String.fetchSet(db, IPAllocationRecord.select(Column("ip_address")).filter(Column("subnet_id") == id))
            try change(&subnet, allocated)
            try subnet.update(db)
            return subnet
        }
    }

    /// Deletes a subnet after `check` saw the ports holding addresses on it; the
    /// addresses of ports the check let through are released with it.
    public func deleteSubnet(id: SubnetID, check: (Subnet, [NetworkPort]) throws -> Void) throws -> Subnet? {
        try write { db in
            guard let subnet = try Subnet.fetchOne(db, key: id.rawValue) else { return nil }
            let holders = try Self.ports(db, NetworkPort.filter(sql: "id IN (SELECT port_id FROM ipAllocation WHERE subnet_id = ?)", arguments: [id]))
            try check(subnet, holders)
            try IPAllocationRecord.filter(Column("subnet_id") == id).deleteAll(db)
            try subnet.delete(db)
            return subnet
        }
    }

    // MARK: Ports

    /// Inserts a port with the addresses `allocate` chooses. Allocation runs
    /// inside the write transaction that stores it, so concurrent creates never
    /// pick the same address (and UNIQUE(network_id, ip_address) would refuse
    /// it if one did). nil when the network is gone.
    public func insertPort(_ port: NetworkPort, _ allocate: (inout NetworkPort, AddressBook) throws -> Void) throws -> NetworkPort? {
        try write { db in
            guard let book = try Self.addressBook(db, network: port.networkId, excluding: port.id) else { return nil }
            var port = port
            try allocate(&port, book)
            try port.insert(db)
            try Self.writeAllocations(of: port, db)
            try Self.writeSecurityGroups(of: port, db)
            return port
        }
    }

    public func port(id: PortID) throws -> NetworkPort? {
        try read { db in try Self.ports(db, NetworkPort.filter(key: id.rawValue)).first }
    }

    /// Ports, oldest first, optionally only those on one network, of one
    /// device, or of one project.
    public func ports(network: NetworkID? = nil, deviceID: String? = nil, project: ProjectID? = nil) throws -> [NetworkPort] {
        try read { db in
            var request = NetworkPort.all()
            if let network { request = request.filter(Column("network_id") == network) }
            if let deviceID { request = request.filter(Column("device_id") == deviceID) }
            if let project { request = request.filter(Column("project_id") == project) }
            return try Self.ports(db, request)
        }
    }

    /// The ports of these devices, in creation order, in a fixed number of
    /// queries however many devices are asked about: a page of servers' NICs.
    public func ports(deviceIDs: [String]) throws -> [NetworkPort] {
        guard !deviceIDs.isEmpty else { return [] }
        let ids = try JSONColumn.encode(deviceIDs)
        return try read { db in
            let statement = try db.cachedStatement(sql: "SELECT * FROM port WHERE device_id IN (SELECT value FROM json_each(?)) ORDER BY rowid")
            return try Self.withAddressesAndGroups(try NetworkPort.fetchAll(statement, arguments: [ids]), db)
        }
    }

    /// Every fixed address held by a server's port (a port of the server's
    /// own project bound to it), with the server's id; of one project's
    /// servers, or of all: what Nova's ip filter searches.
    public func serverAddresses(project: ProjectID?) throws -> [(serverID: String, address: String)] {
        try read { db in
            var sql = """
                SELECT port.device_id, ipAllocation.ip_address FROM ipAllocation JOIN port ON port.id = ipAllocation.port_id \
                JOIN server ON server.id = port.device_id AND server.project_id = port.project_id WHERE 1
                """
            var arguments: StatementArguments = []
            if let project {
                sql += " AND port.project_id = ?"
                arguments += [project.rawValue]
            }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { ($0[0], $0[1]) }
        }
    }

    /// The names of these networks, by id.
    public func networkNames(ids: Set<NetworkID>) throws -> [NetworkID: String] {
        guard !ids.isEmpty else { return [:] }
        let list = try JSONColumn.encode(ids.map(\.rawValue))
        return try read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT id, name FROM network WHERE id IN (SELECT value FROM json_each(?))"), arguments: [list])
            return Dictionary(rows.map { (NetworkID(rawValue: $0[0]), $0[1]) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Read-modify-write of one port and its addresses in one transaction;
    /// `change` may replace `fixedIPs`, choosing with the same guarantees as `insertPort`.
    public func updatePort(id: PortID, _ change: (inout NetworkPort, AddressBook) throws -> Void) throws -> NetworkPort? {
        try write { db in
            guard var port = try Self.ports(db, NetworkPort.filter(key: id.rawValue)).first,
                  let book = try Self.addressBook(db, network: port.networkId, excluding: port.id)
            else { return nil }
            let before = port
            try change(&port, book)
            try port.update(db)
            if port.fixedIPs != before.fixedIPs {
                try IPAllocationRecord.filter(Column("port_id") == id).deleteAll(db)
                try Self.writeAllocations(of: port, db)
            }
            if port.securityGroupIds != before.securityGroupIds {
                try PortSecurityGroupRecord.filter(Column("port_id") == id).deleteAll(db)
                try Self.writeSecurityGroups(of: port, db)
            }
            return port
        }
    }

    /// Applies `change` to every port of a device in a project, in one transaction.
    public func updatePorts(deviceID: String, project: ProjectID, _ change: (inout NetworkPort) throws -> Void) throws -> [NetworkPort] {
        try write { db in
            try Self.ports(db, NetworkPort.filter(Column("device_id") == deviceID && Column("project_id") == project)).map { port in
                var port = port
                try change(&port)
                try port.update(db)
                return port
            }
        }
    }

    /// Deletes a port and, by cascade, its addresses. false when it was already gone.
    public func deletePort(id: PortID) throws -> Bool {
        try write { try NetworkPort.deleteOne($0, key: id.rawValue) }
    }

    /// Deletes the device's ports except `preserving`, whose rows `unbind`
    /// changes instead: one transaction, so a server's NICs go all at once.
    public func releasePorts(
        deviceID: String, project: ProjectID, preserving: Set<PortID>, unbind: (inout NetworkPort) -> Void
    ) throws -> (deleted: [NetworkPort], unbound: [NetworkPort]) {
        try write { db in
            var deleted: [NetworkPort] = []
            var unbound: [NetworkPort] = []
            for port in try Self.ports(db, NetworkPort.filter(Column("device_id") == deviceID && Column("project_id") == project)) {
                if preserving.contains(port.id) {
                    var port = port
                    unbind(&port)
                    try port.update(db)
                    unbound.append(port)
                } else {
                    try port.delete(db)
                    deleted.append(port)
                }
            }
            return (deleted, unbound)
        }
    }

    // MARK: Helpers (inside a transaction)

    static func addressBook(_ db: Database, network id: NetworkID, excluding port: PortID) throws -> AddressBook? {
        guard try Network.exists(db, key: id.rawValue) else { return nil }
        let subnets = try Subnet.filter(Column("network_id") == id).order(Column.rowID).fetchAll(db)
        // A floating IP's address is reserved on its network as a port's is.
        let taken = try String.fetchSet(db, IPAllocationRecord.select(Column("ip_address"))
            .filter(Column("network_id") == id && Column("port_id") != port))
            .union(String.fetchSet(db, FloatingIP.select(Column("floating_ip_address")).filter(Column("floating_network_id") == id)))
        return AddressBook(subnets: subnets, taken: taken, portId: port, db: db)
    }

    static func writeAllocations(of port: NetworkPort, _ db: Database) throws {
        for fixed in port.fixedIPs {
            try IPAllocationRecord(networkId: port.networkId, portId: port.id, subnetId: fixed.subnetId, ipAddress: fixed.ipAddress)
                .insert(db)
        }
    }

    static func writeSecurityGroups(of port: NetworkPort, _ db: Database) throws {
        for (position, group) in port.securityGroupIds.enumerated() {
            try PortSecurityGroupRecord(portId: port.id, securityGroupId: group, position: position).insert(db)
        }
    }

    /// Ports with their fixed IPs and security groups, in creation order (and each port's addresses in the order they were given).
    static func ports(_ db: Database, _ request: QueryInterfaceRequest<NetworkPort>) throws -> [NetworkPort] {
        try withAddressesAndGroups(try request.order(Column.rowID).fetchAll(db), db)
    }

    /// Ports as read from their table, given their fixed IPs and security groups.
    static func withAddressesAndGroups(_ ports: [NetworkPort], _ db: Database) throws -> [NetworkPort] {
        guard !ports.isEmpty else { return [] }
        // The ids as one JSON array argument: the same SQL text for every page, so the statements are prepared once.
        let ids = try JSONColumn.encode(ports.map(\.id.rawValue))
        var addresses: [PortID: [FixedIP]] = [:]
        let allocations = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT port_id, subnet_id, ip_address FROM ipAllocation WHERE port_id IN (SELECT value FROM json_each(?)) ORDER BY rowid
            """), arguments: [ids])
        while let row = try allocations.next() {
            addresses[row[0], default: []].append(FixedIP(subnetId: row[1], ipAddress: row[2]))
        }
        var groups: [PortID: [SecurityGroupID]] = [:]
        let bindings = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT port_id, security_group_id FROM portSecurityGroup WHERE port_id IN (SELECT value FROM json_each(?)) \
            ORDER BY position
            """), arguments: [ids])
        while let row = try bindings.next() {
            groups[row[0], default: []].append(row[1])
        }
        return ports.map { port in
            var port = port
            port.fixedIPs = addresses[port.id] ?? []
            port.securityGroupIds = groups[port.id] ?? []
            return port
        }
    }

    static func withSubnetIds(_ network: Network, _ db: Database) throws -> Network {
        var network = network
        network.subnetIds = try SubnetID.fetchAll(db, Subnet.select(Column("id")).filter(Column("network_id") == network.id).order(Column.rowID))
        return network
    }

    static func subnetIdsByNetwork(_ db: Database) throws -> [NetworkID: [SubnetID]] {
        var result: [NetworkID: [SubnetID]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, network_id FROM subnet ORDER BY rowid") {
            let network: NetworkID = try row.decode(forColumn: "network_id")
            result[network, default: []].append(try row.decode(forColumn: "id"))
        }
        return result
    }
}
