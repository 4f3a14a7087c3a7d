import GRDB

extension Store {
    /// Networks, subnets and ports.
    ///
    /// The invariants live in the schema, so no code path can break them:
    /// subnets and ports go with their network (cascade); an address row names
    /// its port and subnet *together with the network*, and the composite keys
    /// make both belong to that same network; UNIQUE(network_id, ip_address)
    /// means two ports never get one address, whatever a service does; a MAC is
    /// unique across the cloud. A subnet whose addresses are still allocated
    /// cannot be deleted (the subnet key has no cascade), which is Neutron's
    /// SubnetInUse.
    static func registerNetworkMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-network") { db in
            try db.create(table: "network") { t in
                t.primaryKey("id", .text)
                t.column("project_id", .text).notNull().indexed()
                t.column("name", .text).notNull()
                t.column("description", .text).notNull().defaults(to: "")
                t.column("admin_state_up", .boolean).notNull()
                t.column("shared", .boolean).notNull()
                t.column("router_external", .boolean).notNull()
                t.column("mtu", .integer).notNull().check { $0 >= 68 }
                t.column("status", .text).notNull()
                t.column("revision_number", .integer).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "subnet") { t in
                t.primaryKey("id", .text)
                t.column("network_id", .text).notNull().indexed().references("network", onDelete: .cascade)
                t.column("project_id", .text).notNull().indexed()
                t.column("name", .text).notNull()
                t.column("description", .text).notNull().defaults(to: "")
                t.column("cidr", .text).notNull()
                t.column("ip_version", .integer).notNull().check { [4, 6].contains($0) }
                t.column("gateway_ip", .text)
                t.column("allocation_pools", .jsonText).notNull()
                t.column("enable_dhcp", .boolean).notNull()
                t.column("dns_nameservers", .jsonText).notNull()
                t.column("host_routes", .jsonText).notNull()
                t.column("revision_number", .integer).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.uniqueKey(["id", "network_id"])
            }
            try db.create(table: "port") { t in
                t.primaryKey("id", .text)
                t.column("network_id", .text).notNull().indexed().references("network", onDelete: .cascade)
                t.column("project_id", .text).notNull().indexed()
                t.column("name", .text).notNull()
                t.column("description", .text).notNull().defaults(to: "")
                t.column("mac_address", .text).notNull().unique()
                t.column("device_id", .text).notNull().indexed()
                t.column("device_owner", .text).notNull()
                t.column("admin_state_up", .boolean).notNull()
                t.column("status", .text).notNull()
                t.column("binding_host_id", .text).notNull()
                t.column("binding_vnic_type", .text).notNull()
                t.column("revision_number", .integer).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.uniqueKey(["id", "network_id"])
            }
            try db.create(table: "ipAllocation") { t in
                t.column("network_id", .text).notNull()
                t.column("port_id", .text).notNull().indexed()
                t.column("subnet_id", .text).notNull().indexed()
                t.column("ip_address", .text).notNull()
                t.uniqueKey(["network_id", "ip_address"])
                t.foreignKey(["port_id", "network_id"], references: "port", columns: ["id", "network_id"], onDelete: .cascade)
                // No cascade: deleting a subnet that still has addresses in use fails.
                t.foreignKey(["subnet_id", "network_id"], references: "subnet", columns: ["id", "network_id"])
            }
        }
    }
}
