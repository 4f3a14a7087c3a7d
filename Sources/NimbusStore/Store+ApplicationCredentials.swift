import Foundation
import GRDB
import NimbusCore

extension ApplicationCredentialID: DatabaseValueConvertible {}

extension ApplicationCredential: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "applicationCredential"

    public init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"), userId: try row.decode(forColumn: "user_id"),
            projectId: try row.decode(forColumn: "project_id"), name: try row.decode(forColumn: "name"),
            description: try row.decode(forColumn: "description"), secretHash: try row.decode(forColumn: "secret_hash"),
            expiresAt: Self.expiry(row["expires_at"]), unrestricted: try row.decode(forColumn: "unrestricted"),
            roleIds: try JSONColumn.decode([RoleID].self, row, "role_ids"))
    }

    /// An expiry as stored: a double, or date text from before doubles were used.
    static func expiry(_ value: DatabaseValue) -> Date? {
        if let seconds = Double.fromDatabaseValue(value), case .double = value.storage { return Date(timeIntervalSince1970: seconds) }
        return Date.fromDatabaseValue(value)
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["user_id"] = userId
        container["project_id"] = projectId
        container["name"] = name
        container["description"] = description
        container["secret_hash"] = secretHash
        // Seconds since 1970 as a double: Keystone answers the expiry to the
        // microsecond the client gave, and GRDB's date text keeps milliseconds.
        container["expires_at"] = expiresAt?.timeIntervalSince1970
        container["unrestricted"] = unrestricted
        container["role_ids"] = try JSONColumn.encode(roleIds)
    }
}

extension Store {
    /// Application credentials go with their user or project; a token made
    /// from one names it, and goes with it.
    static func registerApplicationCredentialMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4-identity-application-credentials") { db in
            try db.create(table: "applicationCredential") { t in
                t.primaryKey("id", .text)
                t.column("user_id", .text).notNull().references("user", onDelete: .cascade)
                t.column("project_id", .text).notNull().references("project", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("description", .text).notNull()
                t.column("secret_hash", .text).notNull()
                t.column("expires_at", .datetime)
                t.column("unrestricted", .boolean).notNull()
                t.column("role_ids", .jsonText).notNull()
                t.uniqueKey(["user_id", "name"])
            }
            try db.alter(table: "token") { t in
                t.add(column: "application_credential_id", .text).references("applicationCredential", onDelete: .cascade)
            }
        }
    }

    public func insert(_ credential: ApplicationCredential) throws {
        try write { try credential.insert($0) }
    }

    public func applicationCredential(id: ApplicationCredentialID) throws -> ApplicationCredential? {
        try read { try ApplicationCredential.fetchOne($0, key: id.rawValue) }
    }

    public func applicationCredentials(of user: UserID) throws -> [ApplicationCredential] {
        try read { try ApplicationCredential.filter(Column("user_id") == user).order(Column("name")).fetchAll($0) }
    }

    public func deleteApplicationCredential(id: ApplicationCredentialID) throws -> Bool {
        try write { try ApplicationCredential.deleteOne($0, key: id.rawValue) }
    }
}
