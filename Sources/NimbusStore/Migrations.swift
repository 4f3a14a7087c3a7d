import GRDB

extension Store {
    /// Named migrations; once shipped, a migration is frozen and changes come as new ones.
    /// Each service's tables are registered by its own function, in dependency order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        registerIdentityAndImageMigrations(&migrator)
        registerNetworkMigrations(&migrator)
        registerComputeMigrations(&migrator)
        registerServerMigrations(&migrator)
        registerQuotaMigrations(&migrator)
        registerKeypairMigrations(&migrator)
        registerAccessMigrations(&migrator)
        registerDriveMigrations(&migrator)
        registerRouterMigrations(&migrator)
        registerSystemScopeMigrations(&migrator)
        registerGroupMigrations(&migrator)
        registerApplicationCredentialMigrations(&migrator)
        registerRoleInferenceMigrations(&migrator)
        registerCatalogMigrations(&migrator)
        registerIdentityAttributeMigrations(&migrator)
        registerCredentialMigrations(&migrator)
        registerGrantMigrations(&migrator)
        registerListingMigrations(&migrator)
        registerLoginFailureMigrations(&migrator)
        return migrator
    }

    static func registerIdentityAndImageMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1-identity") { db in
            try db.create(table: "domain") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull().unique()
                t.column("description", .text).notNull().defaults(to: "")
                t.column("enabled", .boolean).notNull().defaults(to: true)
            }
            try db.create(table: "project") { t in
                t.primaryKey("id", .text)
                t.column("domain_id", .text).notNull().indexed().references("domain", onDelete: .restrict)
                t.column("name", .text).notNull()
                t.column("description", .text).notNull().defaults(to: "")
                t.column("enabled", .boolean).notNull().defaults(to: true)
                t.uniqueKey(["domain_id", "name"])
            }
            try db.create(table: "user") { t in
                t.primaryKey("id", .text)
                t.column("domain_id", .text).notNull().indexed().references("domain", onDelete: .restrict)
                t.column("name", .text).notNull()
                t.column("password_hash", .text)
                t.column("email", .text)
                t.column("description", .text).notNull().defaults(to: "")
                t.column("enabled", .boolean).notNull().defaults(to: true)
                t.column("default_project_id", .text).references("project", onDelete: .setNull)
                t.column("password_expires_at", .datetime)
                t.uniqueKey(["domain_id", "name"])
            }
            try db.create(table: "role") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull().unique()
                t.column("description", .text).notNull().defaults(to: "")
            }
            try db.create(table: "roleAssignment") { t in
                t.column("user_id", .text).notNull().references("user", onDelete: .cascade)
                t.column("project_id", .text).notNull().references("project", onDelete: .cascade)
                t.column("role_id", .text).notNull().references("role", onDelete: .cascade)
                t.primaryKey(["user_id", "project_id", "role_id"])
            }
            try db.create(table: "token") { t in
                t.primaryKey("hash", .text)
                t.column("user_id", .text).notNull().references("user", onDelete: .cascade)
                t.column("project_id", .text).references("project", onDelete: .cascade)
                t.column("issued_at", .datetime).notNull()
                t.column("expires_at", .datetime).notNull().indexed()
                t.column("audit_id", .text).notNull()
            }
        }
        migrator.registerMigration("v1-images") { db in
            try db.create(table: "image") { t in
                t.primaryKey("id", .text)
                t.column("name", .text)
                t.column("owner", .text).indexed()
                t.column("status", .text).notNull()
                t.column("visibility", .text).notNull()
                    .check { ["public", "private", "shared", "community"].contains($0) }
                t.column("protected", .boolean).notNull()
                t.column("os_hidden", .boolean).notNull()
                t.column("disk_format", .text)
                t.column("container_format", .text)
                t.column("min_disk", .integer).notNull().check { $0 >= 0 }
                t.column("min_ram", .integer).notNull().check { $0 >= 0 }
                t.column("size", .integer)
                t.column("virtual_size", .integer)
                t.column("checksum", .text)
                t.column("os_hash_algo", .text)
                t.column("os_hash_value", .text)
                t.column("blob", .text).indexed()
                t.column("properties", .jsonText).notNull()
                t.column("tags", .jsonText).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "imageMember") { t in
                t.column("image_id", .text).notNull().references("image", onDelete: .cascade)
                t.column("member_id", .text).notNull().indexed()
                t.column("status", .text).notNull().check { ["pending", "accepted", "rejected"].contains($0) }
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.primaryKey(["image_id", "member_id"])
            }
        }
    }
}

extension Store {
    /// Indexes in the order lists are read by default, so a page is a walk of
    /// the index that stops after the page, not a sort of every row.
    static func registerListingMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v10-images-listing-order") { db in
            try db.execute(sql: "CREATE INDEX image_listing_order ON image(created_at DESC, id)")
        }
        migrator.registerMigration("v11-servers-listing-order") { db in
            try db.execute(sql: "CREATE INDEX server_listing_order ON server(project_id, created_at DESC, id)")
            try db.execute(sql: "CREATE INDEX server_listing_order_all ON server(created_at DESC, id)")
        }
    }
}
