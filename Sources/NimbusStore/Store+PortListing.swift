import GRDB
import NimbusCore

/// One page of Neutron's port list, asked of the database as one query
/// (plus one each for the page's addresses and security groups): who sees
/// which port, the filters and the page happen in SQL.
public struct PortListing: Sendable {
    /// The project asking; nil for an admin, who sees every port. A project
    /// sees its own ports and every port on a network it owns.
    public var project: ProjectID?
    /// Columns with the values one of which they must equal (Neutron's
    /// repeated filter means "any of these"); the names come from `columns`.
    public var equal: [(column: String, values: [String])] = []
    /// Ports in any of these security groups.
    public var securityGroups: [String]?
    /// Neutron's fixed_ips filters: one address of the port must match every
    /// kind given, each kind by any of its values.
    public var addresses: [String]?
    public var subnets: [String]?
    public var addressSubstrings: [String]?
    /// Start after this port, which must be one the project sees and the filters keep.
    public var marker: PortID?
    public var limit: Int?

    /// Columns a list may filter by: the only names that reach the SQL text.
    public static let columns: Set<String> = [
        "id", "name", "description", "network_id", "project_id", "mac_address", "device_id", "device_owner", "status",
        "admin_state_up", "binding_host_id", "binding_vnic_type", "revision_number",
    ]

    public init(project: ProjectID?) {
        self.project = project
    }
}

extension Store {
    /// The listing's ports in creation order. nil when the marker is not among them.
    public func ports(_ listing: PortListing) throws -> [NetworkPort]? {
        precondition(listing.equal.allSatisfy { PortListing.columns.contains($0.column) })
        return try read { db -> [NetworkPort]? in
            var conditions = SQLBuilder()
            if let project = listing.project {
                conditions.add(
                    "(port.project_id = ? OR port.network_id IN (SELECT id FROM network WHERE project_id = ?))",
                    [project.rawValue, project.rawValue])
            }
            for (column, values) in listing.equal {
                conditions.add("port.\(column) IN (\(Self.placeholders(values.count)))", values)
            }
            if let groups = listing.securityGroups {
                conditions.add("""
                    EXISTS (SELECT 1 FROM portSecurityGroup AS binding WHERE binding.port_id = port.id \
                    AND binding.security_group_id IN (\(Self.placeholders(groups.count))))
                    """, groups)
            }
            if listing.addresses != nil || listing.subnets != nil || listing.addressSubstrings != nil {
                var address = SQLBuilder()
                address.add("allocation.port_id = port.id")
                if let values = listing.addresses { address.add("allocation.ip_address IN (\(Self.placeholders(values.count)))", values) }
                if let values = listing.subnets { address.add("allocation.subnet_id IN (\(Self.placeholders(values.count)))", values) }
                if let values = listing.addressSubstrings {
                    address.add("(" + values.map { _ in "instr(allocation.ip_address, ?) > 0" }.joined(separator: " OR ") + ")", values)
                }
                conditions.add("EXISTS (SELECT 1 FROM ipAllocation AS allocation WHERE \(address.sql))", address.arguments)
            }
            if let marker = listing.marker {
                let sql = "SELECT port.rowid FROM port WHERE port.id = ? AND \(conditions.sql)"
                guard let position = try Int64.fetchOne(
                    db, sql: sql, arguments: StatementArguments([marker.rawValue] as [(any DatabaseValueConvertible)?] + conditions.arguments))
                else { return nil }
                conditions.add("port.rowid > ?", [position])
            }
            var sql = "SELECT port.* FROM port WHERE \(conditions.sql) ORDER BY port.rowid"
            var arguments = conditions.arguments
            if let limit = listing.limit {
                sql += " LIMIT ?"
                arguments.append(limit)
            }
            let page = try NetworkPort.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
            return try Self.withAddressesAndGroups(page, db)
        }
    }

    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}
