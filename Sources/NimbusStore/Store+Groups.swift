import Foundation
import GRDB
import NimbusCore

extension Group: SnakeCaseRecord { public static let databaseTableName = "userGroup" }
extension GroupRoleAssignment: SnakeCaseRecord { public static let databaseTableName = "groupRoleAssignment" }
extension GroupID: DatabaseValueConvertible {}

struct GroupMemberRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "groupMember"
    var groupId: GroupID
    var userId: UserID
    enum CodingKeys: String, CodingKey {
        case groupId = "group_id"
        case userId = "user_id"
    }
}

extension Store {
    /// Groups, their members, and the roles they hold on projects. Members
    /// and assignments go with their group, user, project or role (cascade).
    static func registerGroupMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3-identity-groups") { db in
            try db.create(table: "userGroup") { t in
                t.primaryKey("id", .text)
                t.column("domain_id", .text).notNull().indexed().references("domain", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("description", .text).notNull().defaults(to: "")
                t.uniqueKey(["domain_id", "name"])
            }
            try db.create(table: "groupMember") { t in
                t.column("group_id", .text).notNull().references("userGroup", onDelete: .cascade)
                t.column("user_id", .text).notNull().indexed().references("user", onDelete: .cascade)
                t.primaryKey(["group_id", "user_id"])
            }
            try db.create(table: "groupRoleAssignment") { t in
                t.column("group_id", .text).notNull().references("userGroup", onDelete: .cascade)
                t.column("project_id", .text).notNull().indexed().references("project", onDelete: .cascade)
                t.column("role_id", .text).notNull().references("role", onDelete: .cascade)
                t.primaryKey(["group_id", "project_id", "role_id"])
            }
        }
    }

    public func insert(_ group: Group) throws {
        try write { try group.insert($0) }
    }

    public func group(id: GroupID) throws -> Group? {
        try read { try Group.fetchOne($0, key: id.rawValue) }
    }

    public func group(named name: String, in domain: DomainID) throws -> Group? {
        try read { try Group.filter(Column("name") == name && Column("domain_id") == domain).fetchOne($0) }
    }

    public func groups() throws -> [Group] {
        try read { try Group.order(Column("name")).fetchAll($0) }
    }

    public func update(_ group: Group) throws {
        try write { try group.update($0) }
    }

    public func deleteGroup(id: GroupID) throws -> Bool {
        try write { try Group.deleteOne($0, key: id.rawValue) }
    }

    // MARK: Members

    /// Adds a member; adding one twice is not an error, as in Keystone.
    public func addMember(_ user: UserID, to group: GroupID) throws {
        try write { try GroupMemberRecord(groupId: group, userId: user).insert($0, onConflict: .ignore) }
    }

    public func removeMember(_ user: UserID, from group: GroupID) throws -> Bool {
        try write { try GroupMemberRecord.filter(Column("group_id") == group && Column("user_id") == user).deleteAll($0) > 0 }
    }

    public func members(of group: GroupID) throws -> [User] {
        try read { db in
            try User.fetchAll(db, sql: """
                SELECT user.* FROM user JOIN groupMember ON groupMember.user_id = user.id
                WHERE groupMember.group_id = ? ORDER BY user.name
                """, arguments: [group])
        }
    }

    public func groups(of user: UserID) throws -> [Group] {
        try read { db in
            try Group.fetchAll(db, sql: """
                SELECT userGroup.* FROM userGroup JOIN groupMember ON groupMember.group_id = userGroup.id
                WHERE groupMember.user_id = ? ORDER BY userGroup.name
                """, arguments: [user])
        }
    }

    // MARK: Group role assignments

    public func grant(_ assignment: GroupRoleAssignment) throws {
        try write { try assignment.insert($0, onConflict: .ignore) }
    }

    public func revoke(_ assignment: GroupRoleAssignment) throws -> Bool {
        try write { try assignment.delete($0) }
    }

    public func groupRoleAssignments(group: GroupID? = nil, project: ProjectID? = nil, role: RoleID? = nil) throws -> [GroupRoleAssignment] {
        try read { db in
            var request = GroupRoleAssignment.all()
            if let group { request = request.filter(Column("group_id") == group) }
            if let project { request = request.filter(Column("project_id") == project) }
            if let role { request = request.filter(Column("role_id") == role) }
            return try request.fetchAll(db)
        }
    }
}

extension RoleInference: SnakeCaseRecord { public static let databaseTableName = "roleInference" }

extension Store {
    static func registerRoleInferenceMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-identity-implied-roles") { db in
            try db.create(table: "roleInference") { t in
                t.column("prior_role_id", .text).notNull().references("role", onDelete: .cascade)
                t.column("implied_role_id", .text).notNull().references("role", onDelete: .cascade)
                t.primaryKey(["prior_role_id", "implied_role_id"])
            }
        }
    }

    public func insert(_ inference: RoleInference) throws {
        try write { try inference.insert($0, onConflict: .ignore) }
    }

    public func delete(_ inference: RoleInference) throws -> Bool {
        try write { try inference.delete($0) }
    }

    public func roleInferences(prior: RoleID? = nil) throws -> [RoleInference] {
        try read { db in
            var request = RoleInference.all()
            if let prior { request = request.filter(Column("prior_role_id") == prior) }
            return try request.fetchAll(db)
        }
    }
}
