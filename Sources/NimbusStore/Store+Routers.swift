import Foundation
import GRDB
import NimbusCore

extension NetworkRouter: SnakeCaseRecord { public static let databaseTableName = "router" }
extension RouterID: DatabaseValueConvertible {}

/// What a change to a router may read and write, inside the one write
/// transaction that also stores the router: its ports, and the floating IPs
/// that reach their ports through it. Nothing another writer does can come
/// between what the service checks here and what it writes.
public struct RouterEditor {
    let db: Database
    let routerId: RouterID

    /// The router's ports (gateway and interfaces), oldest first.
    public func ports() throws -> [NetworkPort] {
        try Store.ports(db, NetworkPort.filter(Column("device_id") == routerId.rawValue))
    }

    /// The router's interfaces, oldest first.
    public func interfaces() throws -> [NetworkPort] {
        try ports().filter { $0.deviceOwner == NetworkRouter.interfaceOwner }
    }

    public func port(id: PortID) throws -> NetworkPort? {
        try Store.ports(db, NetworkPort.filter(key: id.rawValue)).first
    }

    public func subnet(id: SubnetID) throws -> Subnet? {
        try Subnet.fetchOne(db, key: id.rawValue)
    }

    /// Floating IPs associated, or forwarding, through this router, with the
    /// fixed addresses they reach (the association's and its forwardings').
    public func floatingIPs() throws -> [(floatingIP: FloatingIP, addresses: [String])] {
        let floatingIPs = try FloatingIP.filter(Column("router_id") == routerId).fetchAll(db)
        return try floatingIPs.map { floatingIP in
            let forwarded = try String.fetchAll(db, PortForwarding.select(Column("internal_ip_address"))
                .filter(Column("floatingip_id") == floatingIP.id))
            return (floatingIP, (floatingIP.fixedIpAddress.map { [$0] } ?? []) + forwarded)
        }
    }

    /// Inserts a port for the router with the addresses `allocate` chooses from the network's book.
    public func insertPort(_ port: NetworkPort, _ allocate: (inout NetworkPort, AddressBook) throws -> Void) throws -> NetworkPort? {
        guard let book = try Store.addressBook(db, network: port.networkId, excluding: port.id) else { return nil }
        var port = port
        try allocate(&port, book)
        try port.insert(db)
        try Store.writeAllocations(of: port, db)
        try Store.writeSecurityGroups(of: port, db)
        return port
    }

    /// Writes a port's own columns (not its addresses or groups).
    public func savePort(_ port: NetworkPort) throws {
        try port.update(db)
    }

    public func deletePort(id: PortID) throws {
        _ = try NetworkPort.deleteOne(db, key: id.rawValue)
    }
}

extension Store {
    /// Inserts a router; `prepare` may add its gateway port through the editor.
    public func insert(_ router: NetworkRouter, prepare: (RouterEditor) throws -> Void) throws {
        try write { db in
            try router.insert(db)
            try prepare(RouterEditor(db: db, routerId: router.id))
        }
    }

    public func router(id: RouterID) throws -> NetworkRouter? {
        try read { try NetworkRouter.fetchOne($0, key: id.rawValue) }
    }

    /// Every router, oldest first; the service filters by visibility.
    public func routers() throws -> [NetworkRouter] {
        try read { try NetworkRouter.order(Column.rowID).fetchAll($0) }
    }

    /// The ports of these routers, by router: to show gateways and interfaces.
    public func routerPorts(_ routers: [RouterID]) throws -> [RouterID: [NetworkPort]] {
        guard !routers.isEmpty else { return [:] }
        let ports = try read { db in
            try Self.ports(db, NetworkPort.filter(routers.map(\.rawValue).contains(Column("device_id")))
                .filter([NetworkRouter.gatewayOwner, NetworkRouter.interfaceOwner].contains(Column("device_owner"))))
        }
        return Dictionary(grouping: ports) { RouterID(rawValue: $0.deviceId) }
    }

    /// Read-modify-write of a router and its ports in one transaction; the
    /// router's row is written after `change`. nil when it is gone.
    public func editRouter<T>(id: RouterID, _ change: (inout NetworkRouter, RouterEditor) throws -> T) throws -> (router: NetworkRouter, result: T)? {
        try write { db in
            guard var router = try NetworkRouter.fetchOne(db, key: id.rawValue) else { return nil }
            let result = try change(&router, RouterEditor(db: db, routerId: id))
            try router.update(db)
            return (router, result)
        }
    }

    /// Deletes a router and its gateway port after `check` saw its ports, in one transaction.
    public func deleteRouter(id: RouterID, check: (NetworkRouter, [NetworkPort]) throws -> Void) throws -> NetworkRouter? {
        try write { db in
            guard let router = try NetworkRouter.fetchOne(db, key: id.rawValue) else { return nil }
            let editor = RouterEditor(db: db, routerId: id)
            let ports = try editor.ports()
            try check(router, ports)
            for port in ports where port.deviceOwner == NetworkRouter.gatewayOwner { try editor.deletePort(id: port.id) }
            try router.delete(db)
            return router
        }
    }

    /// The first router with an interface on `subnet` and its gateway on
    /// `externalNetwork`: the one a floating IP reaches that subnet through.
    public func router(servingSubnet subnet: SubnetID, externalNetwork: NetworkID) throws -> RouterID? {
        try read { db in
            try RouterID.fetchOne(db, sql: """
                SELECT router.id FROM router
                JOIN port ON port.device_id = router.id AND port.device_owner = ?
                JOIN ipAllocation ON ipAllocation.port_id = port.id
                WHERE ipAllocation.subnet_id = ? AND router.gateway_network_id = ?
                ORDER BY router.rowid LIMIT 1
                """, arguments: [NetworkRouter.interfaceOwner, subnet, externalNetwork])
        }
    }
}
