import Foundation
import GRDB
import NimbusCore

extension Store {
    /// Roles on domains (for users and groups) and groups' roles on the
    /// system, beside the older per-kind tables; a token may be domain-scoped.
    static func registerGrantMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-identity-domain-grants") { db in
            try db.create(table: "domainRoleAssignment") { t in
                t.column("user_id", .text).notNull().references("user", onDelete: .cascade)
                t.column("domain_id", .text).notNull().indexed().references("domain", onDelete: .cascade)
                t.column("role_id", .text).notNull().references("role", onDelete: .cascade)
                t.primaryKey(["user_id", "domain_id", "role_id"])
            }
            try db.create(table: "groupDomainRoleAssignment") { t in
                t.column("group_id", .text).notNull().references("userGroup", onDelete: .cascade)
                t.column("domain_id", .text).notNull().indexed().references("domain", onDelete: .cascade)
                t.column("role_id", .text).notNull().references("role", onDelete: .cascade)
                t.primaryKey(["group_id", "domain_id", "role_id"])
            }
            try db.create(table: "groupSystemRoleAssignment") { t in
                t.column("group_id", .text).notNull().references("userGroup", onDelete: .cascade)
                t.column("role_id", .text).notNull().references("role", onDelete: .cascade)
                t.primaryKey(["group_id", "role_id"])
            }
            try db.alter(table: "token") { t in
                t.add(column: "domain_id", .text).references("domain", onDelete: .cascade)
            }
        }
    }

    /// The table a grant lives in, with its actor and target columns.
    private static func table(for grant: RoleGrant) -> (name: String, columns: [String], values: [any DatabaseValueConvertible]) {
        switch (grant.actor, grant.target) {
        case (.user(let user), .project(let project)): ("roleAssignment", ["user_id", "project_id"], [user, project])
        case (.group(let group), .project(let project)): ("groupRoleAssignment", ["group_id", "project_id"], [group, project])
        case (.user(let user), .domain(let domain)): ("domainRoleAssignment", ["user_id", "domain_id"], [user, domain])
        case (.group(let group), .domain(let domain)): ("groupDomainRoleAssignment", ["group_id", "domain_id"], [group, domain])
        case (.user(let user), .system): ("systemRoleAssignment", ["user_id"], [user])
        case (.group(let group), .system): ("groupSystemRoleAssignment", ["group_id"], [group])
        }
    }

    /// Records a grant; granting twice is not an error.
    public func insert(_ grant: RoleGrant) throws {
        let table = Self.table(for: grant)
        let columns = table.columns + ["role_id"]
        try write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO \(table.name) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))",
                arguments: StatementArguments(table.values + [grant.roleId]))
        }
    }

    public func delete(_ grant: RoleGrant) throws -> Bool {
        let table = Self.table(for: grant)
        let conditions = (table.columns + ["role_id"]).map { "\($0) = ?" }.joined(separator: " AND ")
        return try write { db in
            try db.execute(sql: "DELETE FROM \(table.name) WHERE \(conditions)", arguments: StatementArguments(table.values + [grant.roleId]))
            return db.changesCount > 0
        }
    }

    /// Every grant in the cloud, of every kind (assignments are few; callers filter).
    public func grants() throws -> [RoleGrant] {
        try read { db in
            var grants: [RoleGrant] = []
            for row in try Row.fetchAll(db, sql: "SELECT user_id, project_id, role_id FROM roleAssignment") {
                grants.append(RoleGrant(.user(UserID(rawValue: row[0])), .project(ProjectID(rawValue: row[1])), RoleID(rawValue: row[2])))
            }
            for row in try Row.fetchAll(db, sql: "SELECT group_id, project_id, role_id FROM groupRoleAssignment") {
                grants.append(RoleGrant(.group(GroupID(rawValue: row[0])), .project(ProjectID(rawValue: row[1])), RoleID(rawValue: row[2])))
            }
            for row in try Row.fetchAll(db, sql: "SELECT user_id, domain_id, role_id FROM domainRoleAssignment") {
                grants.append(RoleGrant(.user(UserID(rawValue: row[0])), .domain(DomainID(rawValue: row[1])), RoleID(rawValue: row[2])))
            }
            for row in try Row.fetchAll(db, sql: "SELECT group_id, domain_id, role_id FROM groupDomainRoleAssignment") {
                grants.append(RoleGrant(.group(GroupID(rawValue: row[0])), .domain(DomainID(rawValue: row[1])), RoleID(rawValue: row[2])))
            }
            for row in try Row.fetchAll(db, sql: "SELECT user_id, role_id FROM systemRoleAssignment") {
                grants.append(RoleGrant(.user(UserID(rawValue: row[0])), .system, RoleID(rawValue: row[1])))
            }
            for row in try Row.fetchAll(db, sql: "SELECT group_id, role_id FROM groupSystemRoleAssignment") {
                grants.append(RoleGrant(.group(GroupID(rawValue: row[0])), .system, RoleID(rawValue: row[1])))
            }
            return grants
        }
    }

    /// A user's roles on a domain, directly or through a group.
    public func roles(of user: UserID, onDomain domain: DomainID) throws -> [Role] {
        try read { db in
            try Role.fetchAll(db, sql: """
                SELECT role.* FROM role WHERE role.id IN (
                    SELECT role_id FROM domainRoleAssignment WHERE user_id = ? AND domain_id = ?
                    UNION
                    SELECT groupDomainRoleAssignment.role_id FROM groupDomainRoleAssignment
                    JOIN groupMember ON groupMember.group_id = groupDomainRoleAssignment.group_id
                    WHERE groupMember.user_id = ? AND groupDomainRoleAssignment.domain_id = ?)
                ORDER BY role.name
                """, arguments: [user, domain, user, domain])
        }
    }

    /// The domains a user holds a role on, directly or through a group.
    public func domains(of user: UserID) throws -> [Domain] {
        try read { db in
            try Domain.fetchAll(db, sql: """
                SELECT domain.* FROM domain WHERE domain.id IN (
                    SELECT domain_id FROM domainRoleAssignment WHERE user_id = ?
                    UNION
                    SELECT groupDomainRoleAssignment.domain_id FROM groupDomainRoleAssignment
                    JOIN groupMember ON groupMember.group_id = groupDomainRoleAssignment.group_id WHERE groupMember.user_id = ?)
                ORDER BY domain.name
                """, arguments: [user, user])
        }
    }
}
