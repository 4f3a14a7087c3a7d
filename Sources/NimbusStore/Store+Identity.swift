import Foundation
import GRDB
import NimbusCore

extension Store {
    // MARK: Domains

    public func domain(id: DomainID) throws -> Domain? {
        try read { try Domain.fetchOne($0, key: id.rawValue) }
    }

    public func domain(named name: String) throws -> Domain? {
        try read { try Domain.filter(Column("name") == name).fetchOne($0) }
    }

    public func insertDomain(_ domain: Domain) throws {
        try write { try domain.insert($0) }
    }

    public func domains() throws -> [Domain] {
        try read { try Domain.order(Column("name")).fetchAll($0) }
    }

    /// Read-modify-write of a domain; nil when it is gone.
    public func updateDomain(id: DomainID, _ change: (inout Domain) throws -> Void) throws -> Domain? {
        try write { db in
            guard var domain = try Domain.fetchOne(db, key: id.rawValue) else { return nil }
            try change(&domain)
            try domain.update(db)
            return domain
        }
    }

    /// Deletes a domain with its projects and users (and, by their keys,
    /// their role assignments and tokens), after `check` saw it, in one transaction.
    public func deleteDomain(id: DomainID, check: (Domain) throws -> Void) throws -> Domain? {
        try write { db in
            guard let domain = try Domain.fetchOne(db, key: id.rawValue) else { return nil }
            try check(domain)
            try User.filter(Column("domain_id") == id).deleteAll(db)
            try Project.filter(Column("domain_id") == id).deleteAll(db)
            try domain.delete(db)
            return domain
        }
    }

    // MARK: Projects

    public func insert(_ project: Project) throws {
        try write { try project.insert($0) }
    }

    public func update(_ project: Project) throws {
        try write { try project.update($0) }
    }

    public func project(id: ProjectID) throws -> Project? {
        try read { try Project.fetchOne($0, key: id.rawValue) }
    }

    public func project(named name: String, in domain: DomainID) throws -> Project? {
        try read { try Project.filter(Column("name") == name && Column("domain_id") == domain).fetchOne($0) }
    }

    public func projects() throws -> [Project] {
        try read { try Project.order(Column("name")).fetchAll($0) }
    }

    /// Deletes a project with its role assignments and tokens.
    public func deleteProject(id: ProjectID) throws -> Bool {
        try write { try Project.deleteOne($0, key: id.rawValue) }
    }

    // MARK: Users

    public func insert(_ user: User) throws {
        try write { try user.insert($0) }
    }

    public func update(_ user: User) throws {
        try write { try user.update($0) }
    }

    public func user(id: UserID) throws -> User? {
        try read { try User.fetchOne($0, key: id.rawValue) }
    }

    public func user(named name: String, in domain: DomainID) throws -> User? {
        try read { try User.filter(Column("name") == name && Column("domain_id") == domain).fetchOne($0) }
    }

    public func users() throws -> [User] {
        try read { try User.order(Column("name")).fetchAll($0) }
    }

    public func deleteUser(id: UserID) throws -> Bool {
        try write { try User.deleteOne($0, key: id.rawValue) }
    }

    // MARK: Roles

    public func insert(_ role: Role) throws {
        try write { try role.insert($0) }
    }

    public func role(id: RoleID) throws -> Role? {
        try read { try Role.fetchOne($0, key: id.rawValue) }
    }

    public func role(named name: String) throws -> Role? {
        try read { try Role.filter(Column("name") == name).fetchOne($0) }
    }

    public func roles() throws -> [Role] {
        try read { try Role.order(Column("name")).fetchAll($0) }
    }

    public func update(_ role: Role) throws {
        try write { try role.update($0) }
    }

    public func deleteRole(id: RoleID) throws -> Bool {
        try write { try Role.deleteOne($0, key: id.rawValue) }
    }

    // MARK: Role assignments

    /// Grants a role; granting it twice is not an error, as in Keystone.
    public func grant(_ assignment: RoleAssignment) throws {
        try write { try assignment.insert($0, onConflict: .ignore) }
    }

    public func revoke(_ assignment: RoleAssignment) throws -> Bool {
        try write { try assignment.delete($0) }
    }

    public func roleAssignments(user: UserID? = nil, project: ProjectID? = nil, role: RoleID? = nil) throws -> [RoleAssignment] {
        try read { db in
            var request = RoleAssignment.all()
            if let user { request = request.filter(Column("user_id") == user) }
            if let project { request = request.filter(Column("project_id") == project) }
            if let role { request = request.filter(Column("role_id") == role) }
            return try request.fetchAll(db)
        }
    }

    /// The roles a user holds on a project.
    /// The user's effective roles on the project: their own and their groups'.
    public func roles(of user: UserID, on project: ProjectID) throws -> [Role] {
        try read { db in
            try Role.fetchAll(db, sql: """
                SELECT role.* FROM role WHERE role.id IN (
                    SELECT role_id FROM roleAssignment WHERE user_id = ? AND project_id = ?
                    UNION
                    SELECT groupRoleAssignment.role_id FROM groupRoleAssignment
                    JOIN groupMember ON groupMember.group_id = groupRoleAssignment.group_id
                    WHERE groupMember.user_id = ? AND groupRoleAssignment.project_id = ?)
                ORDER BY role.name
                """, arguments: [user, project, user, project])
        }
    }

    /// The projects where a user holds any role.
    /// The projects the user holds a role on, directly or through a group.
    public func projects(of user: UserID) throws -> [Project] {
        try read { db in
            try Project.fetchAll(db, sql: """
                SELECT project.* FROM project WHERE project.id IN (
                    SELECT project_id FROM roleAssignment WHERE user_id = ?
                    UNION
                    SELECT groupRoleAssignment.project_id FROM groupRoleAssignment
                    JOIN groupMember ON groupMember.group_id = groupRoleAssignment.group_id WHERE groupMember.user_id = ?)
                ORDER BY project.name
                """, arguments: [user, user])
        }
    }

    // MARK: Tokens

    public func insert(_ token: TokenRecord) throws {
        try write { db in
            try token.insert(db)
            // Expired tokens are useless; sweep them while we hold the write lock anyway.
            try TokenRecord.filter(Column("expires_at") < token.issuedAt).deleteAll(db)
        }
    }

    public func token(hash: String) throws -> TokenRecord? {
        try read { try TokenRecord.fetchOne($0, key: hash) }
    }

    public func deleteToken(hash: String) throws -> Bool {
        try write { try TokenRecord.deleteOne($0, key: hash) }
    }

    public func deleteTokens(of user: UserID) throws {
        _ = try write { try TokenRecord.filter(Column("user_id") == user).deleteAll($0) }
    }
}

extension Store {
    /// What Keystone keeps beside the basics: a token's methods, a user's
    /// extra attributes, a project's parent and tags.
    static func registerIdentityAttributeMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v7-identity-attributes") { db in
            try db.alter(table: "token") { t in
                t.add(column: "methods", .jsonText).notNull().defaults(to: "[\"password\"]")
            }
            try db.alter(table: "user") { t in
                t.add(column: "extra", .jsonText).notNull().defaults(to: "{}")
            }
            try db.alter(table: "role") { t in
                t.add(column: "domain_id", .text).references("domain", onDelete: .cascade)
            }
            try db.alter(table: "project") { t in
                t.add(column: "parent_id", .text).indexed().references("project", onDelete: .cascade)
                t.add(column: "tags", .jsonText).notNull().defaults(to: "[]")
            }
        }
    }
}

extension SystemRoleAssignment: SnakeCaseRecord { public static let databaseTableName = "systemRoleAssignment" }

extension Store {
    /// Roles on the system, and tokens scoped to it.
    static func registerSystemScopeMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-identity-system-scope") { db in
            try db.create(table: "systemRoleAssignment") { t in
                t.column("user_id", .text).notNull().references("user", onDelete: .cascade)
                t.column("role_id", .text).notNull().references("role", onDelete: .cascade)
                t.primaryKey(["user_id", "role_id"])
            }
            try db.alter(table: "token") { t in
                t.add(column: "system", .boolean).notNull().defaults(to: false)
            }
        }
    }

    /// Grants a role on the system; granting it twice is not an error.
    public func grant(_ assignment: SystemRoleAssignment) throws {
        try write { try assignment.insert($0, onConflict: .ignore) }
    }

    public func revoke(_ assignment: SystemRoleAssignment) throws -> Bool {
        try write { try assignment.delete($0) }
    }

    public func systemRoleAssignments(user: UserID? = nil, role: RoleID? = nil) throws -> [SystemRoleAssignment] {
        try read { db in
            var request = SystemRoleAssignment.all()
            if let user { request = request.filter(Column("user_id") == user) }
            if let role { request = request.filter(Column("role_id") == role) }
            return try request.fetchAll(db)
        }
    }

    /// The user's roles on the system, by name.
    public func systemRoles(of user: UserID) throws -> [Role] {
        try read { db in
            try Role.fetchAll(db, sql: """
                SELECT role.* FROM role WHERE role.id IN (
                    SELECT role_id FROM systemRoleAssignment WHERE user_id = ?
                    UNION
                    SELECT groupSystemRoleAssignment.role_id FROM groupSystemRoleAssignment
                    JOIN groupMember ON groupMember.group_id = groupSystemRoleAssignment.group_id WHERE groupMember.user_id = ?)
                ORDER BY role.name
                """, arguments: [user, user])
        }
    }
}
