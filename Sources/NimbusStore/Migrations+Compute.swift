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
