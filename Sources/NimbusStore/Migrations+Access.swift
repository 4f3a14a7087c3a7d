import GRDB

extension Store {
    /// Security groups and rules, floating IPs and their port forwardings.
    ///
    /// As with networks, the invariants live in the schema: one `default`
    /// group per project (a partial unique index); a group a port still uses
    /// cannot be deleted (the binding's key has no cascade: Neutron's
    /// SecurityGroupInUse); an address is a floating IP once; a fixed IP has
    /// at most one floating IP; an external port of a floating IP is forwarded
    /// once per protocol.
    static func registerAccessMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-security-groups") { db in
            try db.create(table: "securityGroup") { t in
                t.primaryKey("id", .text)
                t.column("project_id", .text).notNull().indexed()
                t.column("name", .text).notNull()
                t.column("description", .text).notNull()
                t.column("is_default", .boolean).notNull()
                t.column("stateful", .boolean).notNull()
                t.column("revision_number", .integer).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(index: "securityGroup_one_default", on: "securityGroup", columns: ["project_id"],
                          unique: true, condition: Column("is_default"))
            try db.create(table: "securityGroupRule") { t in
                t.primaryKey("id", .text)
                t.column("security_group_id", .text).notNull().indexed().references("securityGroup", onDelete: .cascade)
                t.column("project_id", .text).notNull().indexed()
                t.column("direction", .text).notNull().check { ["ingress", "egress"].contains($0) }
                t.column("ethertype", .text).notNull().check { ["IPv4", "IPv6"].contains($0) }
                t.column("protocol", .text)
                t.column("port_range_min", .integer)
                t.column("port_range_max", .integer)
                t.column("remote_ip_prefix", .text)
                t.column("remote_group_id", .text).indexed().references("securityGroup", onDelete: .cascade)
                t.column("description", .text).notNull()
                t.column("revision_number", .integer).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "portSecurityGroup") { t in
                t.column("port_id", .text).notNull().references("port", onDelete: .cascade)
                // No cascade: a group in use cannot be deleted.
                t.column("security_group_id", .text).notNull().indexed().references("securityGroup")
                t.column("position", .integer).notNull()
                t.primaryKey(["port_id", "security_group_id"])
            }
        }
        migrator.registerMigration("v1-floating-ips") { db in
            try db.create(table: "floatingIP") { t in
                t.primaryKey("id", .text)
                t.column("project_id", .text).notNull().indexed()
                t.column("floating_network_id", .text).notNull().references("network")
                t.column("floating_ip_address", .text).notNull().unique()
                // A port going away takes its association with it.
                t.column("port_id", .text).indexed().references("port", onDelete: .setNull)
                t.column("fixed_ip_address", .text)
                t.column("description", .text).notNull()
                t.column("revision_number", .integer).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.uniqueKey(["port_id", "fixed_ip_address"])
            }
            // A deleted port nulls port_id (the key's action); the fixed IP goes with it.
            try db.execute(sql: """
                CREATE TRIGGER floatingIP_disassociated AFTER UPDATE OF port_id ON floatingIP
                WHEN NEW.port_id IS NULL AND NEW.fixed_ip_address IS NOT NULL
                BEGIN UPDATE floatingIP SET fixed_ip_address = NULL WHERE id = NEW.id; END
                """)
            try db.create(table: "portForwarding") { t in
                t.primaryKey("id", .text)
                t.column("floatingip_id", .text).notNull().indexed().references("floatingIP", onDelete: .cascade)
                t.column("internal_port_id", .text).notNull().indexed().references("port", onDelete: .cascade)
                t.column("internal_ip_address", .text).notNull()
                t.column("internal_port", .integer).notNull().check { $0 >= 1 && $0 <= 65535 }
                t.column("external_port", .integer).notNull().check { $0 >= 1 && $0 <= 65535 }
                t.column("protocol", .text).notNull().check { ["tcp", "udp"].contains($0) }
                t.column("description", .text).notNull()
                t.uniqueKey(["floatingip_id", "external_port", "protocol"])
                t.uniqueKey(["internal_port_id", "internal_ip_address", "internal_port", "protocol"])
            }
        }
    }
}

extension Store {
    /// Routers, and the router a floating IP reaches its port through.
    ///
    /// A router's ports are ordinary ports (device id = router id), so the
    /// network and subnet rules already hold: a network or subnet with a
    /// router interface on it is in use. A router's gateway network cannot be
    /// deleted from under it (no cascade). A floating IP loses its router with
    /// its last reason to have one: its port going away, or its last port
    /// forwarding.
    static func registerRouterMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-routers") { db in
            try db.create(table: "router") { t in
                t.primaryKey("id", .text)
                t.column("project_id", .text).notNull().indexed()
                t.column("name", .text).notNull()
                t.column("description", .text).notNull()
                t.column("admin_state_up", .boolean).notNull()
                t.column("gateway_network_id", .text).indexed().references("network")
                t.column("enable_snat", .boolean).notNull()
                t.column("revision_number", .integer).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.alter(table: "floatingIP") { t in
                t.add(column: "router_id", .text).references("router", onDelete: .setNull)
            }
            try db.create(index: "floatingIP_router", on: "floatingIP", columns: ["router_id"])
            try db.execute(sql: """
                CREATE TRIGGER floatingIP_unrouted_by_port AFTER UPDATE OF port_id ON floatingIP
                WHEN NEW.port_id IS NULL AND NEW.router_id IS NOT NULL
                     AND NOT EXISTS (SELECT 1 FROM portForwarding WHERE floatingip_id = NEW.id)
                BEGIN UPDATE floatingIP SET router_id = NULL WHERE id = NEW.id; END;
                CREATE TRIGGER floatingIP_unrouted_by_forwarding AFTER DELETE ON portForwarding
                WHEN NOT EXISTS (SELECT 1 FROM portForwarding WHERE floatingip_id = OLD.floatingip_id)
                BEGIN UPDATE floatingIP SET router_id = NULL WHERE id = OLD.floatingip_id AND port_id IS NULL; END;
                """)
        }
    }
}
