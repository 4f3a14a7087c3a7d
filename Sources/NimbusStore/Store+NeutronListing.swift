import GRDB
import NimbusCore

/// One page of a Neutron list (networks, subnets, routers, security groups, floating IPs),
/// asked of the database as one query: who sees what, the filters and the
/// page happen in SQL. Filters are Neutron's attribute names with the values
/// one of which must match, compared as Neutron's text forms ("true",
/// "3", "" for none); attributes a resource does not have are ignored, as
/// Neutron without filter validation ignores them.
public struct NeutronListing: Sendable {
    /// The project asking; nil for an admin, who sees every row.
    public var project: ProjectID?
    public var filters: [(key: String, values: [String])] = []
    /// Start after this row, which must be one the project sees and the filters keep.
    public var marker: String?
    public var limit: Int?

    public init(project: ProjectID?) {
        self.project = project
    }
}

extension Store {
    /// Networks the listing's project sees (its own, shared and external ones), oldest first.
    public func networks(_ listing: NeutronListing) throws -> [Network]? {
        try read { db in
            try Self.page(Network.self, NeutronTable.network, listing, db).map { networks in
                let subnets = try Self.subnetIds(of: networks.map(\.id), db)
                return networks.map { network in
                    var network = network
                    network.subnetIds = subnets[network.id] ?? []
                    return network
                }
            }
        }
    }

    /// Subnets the listing's project sees (its own, and those on networks it
    /// owns or that are shared or external), oldest first.
    public func subnets(_ listing: NeutronListing) throws -> [Subnet]? {
        try read { db in try Self.page(Subnet.self, NeutronTable.subnet, listing, db) }
    }

    /// Routers of the listing's project, oldest first.
    public func routers(_ listing: NeutronListing) throws -> [NetworkRouter]? {
        try read { db in try Self.page(NetworkRouter.self, NeutronTable.router, listing, db) }
    }

    /// Security groups of the listing's project, oldest first.
    public func securityGroups(_ listing: NeutronListing) throws -> [SecurityGroup]? {
        try read { db in try Self.page(SecurityGroup.self, NeutronTable.securityGroup, listing, db) }
    }

    /// Floating IPs of the listing's project, oldest first.
    public func floatingIPs(_ listing: NeutronListing) throws -> [FloatingIP]? {
        try read { db in try Self.page(FloatingIP.self, NeutronTable.floatingIP, listing, db) }
    }

    private static func page<Record: FetchableRecord>(
        _ type: Record.Type, _ table: NeutronTable, _ listing: NeutronListing, _ db: Database
    ) throws -> [Record]? {
        var conditions = SQLBuilder()
        if let project = listing.project {
            conditions.add(table.visible, Array(repeating: project.rawValue, count: table.visible.filter { $0 == "?" }.count))
        }
        for (key, values) in listing.filters {
            if let expression = table.attributes[key] {
                try conditions.add(expression, in: values)
            } else if let membership = table.lists[key] {
                conditions.add(membership, [try JSONColumn.encode(values)])
            }
        }
        if let marker = listing.marker {
            let sql = "SELECT rowid FROM \(table.name) WHERE id = ? AND \(conditions.sql)"
            guard let position = try Int64.fetchOne(
                db, sql: sql, arguments: StatementArguments([marker] as [(any DatabaseValueConvertible)?] + conditions.arguments))
            else { return nil }
            conditions.add("rowid > ?", [position])
        }
        var sql = "SELECT * FROM \(table.name) WHERE \(conditions.sql) ORDER BY rowid"
        var arguments = conditions.arguments
        if let limit = listing.limit {
            sql += " LIMIT ?"
            arguments.append(limit)
        }
        return try Record.fetchAll(SQLBuilder.statement(db, sql), arguments: StatementArguments(arguments))
    }

    private static func subnetIds(of networks: [NetworkID], _ db: Database) throws -> [NetworkID: [SubnetID]] {
        guard !networks.isEmpty else { return [:] }
        var result: [NetworkID: [SubnetID]] = [:]
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT id, network_id FROM subnet WHERE network_id IN (SELECT value FROM json_each(?)) ORDER BY rowid"),
            arguments: [try JSONColumn.encode(networks.map(\.rawValue))])
        while let row = try rows.next() {
            result[row[1], default: []].append(row[0])
        }
        return result
    }
}

/// How one Neutron resource is listed: its table, who sees a row (each `?`
/// is the asking project), and each filterable attribute as an SQL
/// expression giving Neutron's text form. Only these strings reach the SQL text.
struct NeutronTable: Sendable {
    let name: String
    let visible: String
    let attributes: [String: String]
    /// Attributes that are lists (a network's subnets): the condition that
    /// one member is among the values, given as one JSON array argument.
    var lists: [String: String] = [:]

    private static func flag(_ column: String) -> String { "CASE WHEN \(column) THEN 'true' ELSE 'false' END" }
    private static func number(_ column: String) -> String { "CAST(\(column) AS TEXT)" }

    static let network = NeutronTable(
        name: "network", visible: "(project_id = ? OR shared OR router_external)",
        attributes: [
            "id": "id", "name": "name", "description": "description", "status": "status", "project_id": "project_id",
            "tenant_id": "project_id", "admin_state_up": flag("admin_state_up"), "shared": flag("shared"),
            "router:external": flag("router_external"), "mtu": number("mtu"), "revision_number": number("revision_number"),
        ],
        lists: ["subnets": "EXISTS (SELECT 1 FROM subnet WHERE subnet.network_id = network.id AND subnet.id IN (SELECT value FROM json_each(?)))"])

    static let subnet = NeutronTable(
        name: "subnet",
        visible: "(project_id = ? OR network_id IN (SELECT id FROM network WHERE project_id = ? OR shared OR router_external))",
        attributes: [
            "id": "id", "name": "name", "description": "description", "network_id": "network_id", "project_id": "project_id",
            "tenant_id": "project_id", "cidr": "cidr", "ip_version": number("ip_version"), "gateway_ip": "COALESCE(gateway_ip, '')",
            "enable_dhcp": flag("enable_dhcp"), "revision_number": number("revision_number"),
        ])

    static let router = NeutronTable(
        name: "router", visible: "project_id = ?",
        attributes: [
            "id": "id", "name": "name", "description": "description", "project_id": "project_id", "tenant_id": "project_id",
            "admin_state_up": flag("admin_state_up"), "status": "'ACTIVE'", "revision_number": number("revision_number"),
        ])

    static let securityGroup = NeutronTable(
        name: "securityGroup", visible: "project_id = ?",
        attributes: [
            "id": "id", "name": "name", "description": "description", "project_id": "project_id", "tenant_id": "project_id",
            "stateful": flag("stateful"), "revision_number": number("revision_number"),
        ])

    static let floatingIP = NeutronTable(
        name: "floatingIP", visible: "project_id = ?",
        attributes: [
            "id": "id", "floating_ip_address": "floating_ip_address", "floating_network_id": "floating_network_id",
            "port_id": "COALESCE(port_id, '')", "fixed_ip_address": "COALESCE(fixed_ip_address, '')",
            "project_id": "project_id", "tenant_id": "project_id",
            "status": "CASE WHEN port_id IS NULL THEN 'DOWN' ELSE 'ACTIVE' END", "description": "description",
            "router_id": "COALESCE(router_id, '')", "revision_number": number("revision_number"),
        ])
}
