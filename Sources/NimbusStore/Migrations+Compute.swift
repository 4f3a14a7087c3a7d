import GRDB

extension Store {
    /// Flavors and their access lists; servers come in their own migration.
    static func registerComputeMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-flavors") { db in
            try db.create(table: "flavor") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull().unique()
                t.column("vcpus", .integer).notNull().check { $0 > 0 }
                t.column("ram", .integer).notNull().check { $0 > 0 }
                t.column("disk", .integer).notNull().check { $0 >= 0 }
                t.column("ephemeral", .integer).notNull().check { $0 >= 0 }
                t.column("swap", .integer).notNull().check { $0 >= 0 }
                t.column("rxtx_factor", .double).notNull()
                t.column("is_public", .boolean).notNull()
                t.column("disabled", .boolean).notNull()
                t.column("description", .text)
                t.column("extra_specs", .jsonText).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "flavorAccess") { t in
                t.column("flavor_id", .text).notNull().references("flavor", onDelete: .cascade)
                t.column("project_id", .text).notNull()
                t.primaryKey(["flavor_id", "project_id"])
            }
        }
    }
}

extension Store {
    static func registerServerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-servers") { db in
            try db.create(table: "server") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("project_id", .text).notNull().indexed()
                t.column("user_id", .text).notNull()
                t.column("image_id", .text)
                t.column("flavor_id", .text).notNull()
                t.column("flavor_name", .text).notNull()
                t.column("vcpus", .integer).notNull()
                t.column("ram", .integer).notNull()
                t.column("disk", .integer).notNull()
                t.column("vm_state", .text).notNull()
                t.column("task_state", .text)
                t.column("power_state", .integer).notNull()
                t.column("fault", .jsonText)
                t.column("metadata", .jsonText).notNull()
                t.column("key_name", .text)
                t.column("user_data", .text)
                t.column("config_drive", .boolean).notNull()
                t.column("cdrom_image_id", .text)
                t.column("locked", .boolean).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.column("launched_at", .datetime)
            }
        }
        migrator.registerMigration("v2-servers-rescue") { db in
            try db.alter(table: "server") { t in
                t.add(column: "rescue_image_id", .text)
            }
        }
        migrator.registerMigration("v3-servers-preserved-ports") { db in
            try db.alter(table: "server") { t in
                t.add(column: "preserved_port_ids", .jsonText).notNull().defaults(to: "[]")
            }
        }
        migrator.registerMigration("v4-servers-key-data") { db in
            try db.alter(table: "server") { t in
                t.add(column: "key_data", .text)
            }
        }
    }
}

extension Store {
    static func registerQuotaMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-quotas") { db in
            try db.create(table: "quotaOverride") { t in
                t.column("service", .text).notNull()
                t.column("project_id", .text).notNull()
                t.column("resource", .text).notNull()
                t.column("hard_limit", .integer).notNull().check { $0 >= -1 }
                t.primaryKey(["service", "project_id", "resource"])
            }
        }
    }
}

extension Store {
    static func registerKeypairMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-keypairs") { db in
            try db.create(table: "keypair") { t in
                t.column("user_id", .text).notNull().references("user", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("type", .text).notNull()
                t.column("public_key", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.primaryKey(["user_id", "name"])
            }
        }
    }
}

extension Store {
    /// Registered last: migrations added after others shipped come after them.
    static func registerDriveMigrations(_ migrator: inout DatabaseMigrator) {
        // CD drives as a list kept with the server, so media changes are
        // written with the lifecycle's one write. A server built from an ISO
        // keeps its installer drive, with the ISO unless it was ejected;
        // cdrom_image_id is no longer read.
        migrator.registerMigration("v5-servers-drives") { db in
            try db.alter(table: "server") { t in
                t.add(column: "drives", .jsonText).notNull().defaults(to: "[]")
            }
            try db.execute(sql: """
                UPDATE server SET drives = json_array(json_object('id', 'cd0', 'imageId', cdrom_image_id))
                WHERE cdrom_image_id IS NOT NULL
                   OR image_id IN (SELECT id FROM image WHERE disk_format = 'iso')
                """)
        }
        // The flavor's extra specs kept with the server, as its sizes are,
        // and the image properties chosen for it at creation.
        migrator.registerMigration("v6-servers-hardware") { db in
            try db.alter(table: "server") { t in
                t.add(column: "flavor_extra_specs", .jsonText).notNull().defaults(to: "{}")
                t.add(column: "image_overrides", .jsonText).notNull().defaults(to: "{}")
            }
            try db.execute(sql: """
                UPDATE server SET flavor_extra_specs = (SELECT extra_specs FROM flavor WHERE flavor.id = server.flavor_id)
                WHERE EXISTS (SELECT 1 FROM flavor WHERE flavor.id = server.flavor_id)
                """)
        }
        migrator.registerMigration("v7-servers-access-ips") { db in
            try db.alter(table: "server") { t in
                t.add(column: "access_ipv4", .text).notNull().defaults(to: "")
                t.add(column: "access_ipv6", .text).notNull().defaults(to: "")
            }
        }
        // A server is in at most one group and leaves it when deleted.
        migrator.registerMigration("v1-server-groups") { db in
            try db.create(table: "serverGroup") { t in
                t.primaryKey("id", .text)
                t.column("project_id", .text).notNull().indexed()
                t.column("user_id", .text).notNull()
                t.column("name", .text).notNull()
                t.column("policy", .text).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "serverGroupMember") { t in
                t.column("group_id", .text).notNull().indexed().references("serverGroup", onDelete: .cascade)
                t.column("server_id", .text).notNull().unique().references("server", onDelete: .cascade)
            }
        }
        migrator.registerMigration("v1-instance-actions") { db in
            try db.create(table: "instanceAction") { t in
                t.column("server_id", .text).notNull().indexed().references("server", onDelete: .cascade)
                t.column("request_id", .text).notNull()
                t.column("action", .text).notNull()
                t.column("user_id", .text).notNull()
                t.column("project_id", .text).notNull()
                t.column("start_time", .datetime).notNull()
                t.column("message", .text)
                t.primaryKey(["server_id", "request_id"])
            }
        }
        // What later compute microversions show: description, tags, lock
        // reason, the creating request, the flavor's ephemeral and swap.
        migrator.registerMigration("v8-servers-microversion-fields") { db in
            try db.alter(table: "server") { t in
                t.add(column: "description", .text)
                t.add(column: "tags", .jsonText).notNull().defaults(to: "[]")
                t.add(column: "locked_reason", .text)
                t.add(column: "reservation_id", .text).notNull().defaults(to: "")
                t.add(column: "launch_index", .integer).notNull().defaults(to: 0)
                t.add(column: "ephemeral", .integer).notNull().defaults(to: 0)
                t.add(column: "swap", .integer).notNull().defaults(to: 0)
            }
            try db.execute(sql: "UPDATE server SET reservation_id = 'r-' || substr(id, 1, 8)")
            try db.execute(sql: """
                UPDATE server SET ephemeral = (SELECT ephemeral FROM flavor WHERE flavor.id = server.flavor_id),
                                  swap = (SELECT swap FROM flavor WHERE flavor.id = server.flavor_id)
                WHERE EXISTS (SELECT 1 FROM flavor WHERE flavor.id = server.flavor_id)
                """)
        }
        // Nova 2.64's rules on server groups.
        migrator.registerMigration("v2-server-groups-rules") { db in
            try db.alter(table: "serverGroup") { t in t.add(column: "max_server_per_host", .integer) }
        }
        // Nova 2.21: a deleted server's actions can still be read, so they
        // no longer go with it (the table is rebuilt without the cascade).
        migrator.registerMigration("v2-instance-actions-outlive-servers") { db in
            try db.create(table: "instanceActionKept") { t in
                t.column("server_id", .text).notNull().indexed()
                t.column("request_id", .text).notNull()
                t.column("action", .text).notNull()
                t.column("user_id", .text).notNull()
                t.column("project_id", .text).notNull()
                t.column("start_time", .datetime).notNull()
                t.column("message", .text)
                t.primaryKey(["server_id", "request_id"])
            }
            try db.execute(sql: "INSERT INTO instanceActionKept SELECT server_id, request_id, action, user_id, project_id, start_time, message FROM instanceAction")
            try db.drop(table: "instanceAction")
            try db.rename(table: "instanceActionKept", to: "instanceAction")
        }
    }
}
