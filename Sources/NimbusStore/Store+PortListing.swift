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
            for (column, values) in listing.equal { try conditions.add("port.\(column)", in: values) }
            if let groups = listing.securityGroups {
                var bound = SQLBuilder()
                bound.add("binding.port_id = port.id")
                try bound.add("binding.security_group_id", in: groups)
                conditions.add("EXISTS (SELECT 1 FROM portSecurityGroup AS binding WHERE \(bound.sql))", bound.arguments)
            }
            if listing.addresses != nil || listing.subnets != nil || listing.addressSubstrings != nil {
                var address = SQLBuilder()
                address.add("allocation.port_id = port.id")
                if let values = listing.addresses { try address.add("allocation.ip_address", in: values) }
                if let values = listing.subnets { try address.add("allocation.subnet_id", in: values) }
                if let values = listing.addressSubstrings {
                    address.add(
                        "EXISTS (SELECT 1 FROM json_each(?) AS part WHERE instr(allocation.ip_address, part.value) > 0)",
                        [try JSONColumn.encode(values)])
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
            let page = try NetworkPort.fetchAll(SQLBuilder.statement(db, sql), arguments: StatementArguments(arguments))
            return try Self.withAddressesAndGroups(page, db)
        }
    }
}
