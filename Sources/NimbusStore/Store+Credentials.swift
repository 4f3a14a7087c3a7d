import Foundation
import GRDB
import NimbusCore

extension CredentialID: DatabaseValueConvertible {}
extension PolicyID: DatabaseValueConvertible {}
extension Credential: SnakeCaseRecord { public static let databaseTableName = "credential" }
extension PolicyDocument: SnakeCaseRecord { public static let databaseTableName = "policyDocument" }

extension Store {
    /// Credentials go with their user or project; policies stand alone.
    static func registerCredentialMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8-identity-credentials-policies") { db in
            try db.create(table: "credential") { t in
                t.primaryKey("id", .text)
                t.column("user_id", .text).notNull().indexed().references("user", onDelete: .cascade)
                t.column("project_id", .text).indexed().references("project", onDelete: .cascade)
                t.column("type", .text).notNull()
                t.column("encrypted_blob", .text).notNull()
            }
            try db.create(table: "policyDocument") { t in
                t.primaryKey("id", .text)
                t.column("type", .text).notNull()
                t.column("blob", .text).notNull()
                t.column("extra", .jsonText).notNull()
            }
        }
    }

    public func insert(_ credential: Credential) throws {
        try write { try credential.insert($0) }
    }

    public func credential(id: CredentialID) throws -> Credential? {
        try read { try Credential.fetchOne($0, key: id.rawValue) }
    }

    public func credentials(user: UserID? = nil, type: String? = nil) throws -> [Credential] {
        try read { db in
            var request = Credential.order(Column("id"))
            if let user { request = request.filter(Column("user_id") == user) }
            if let type { request = request.filter(Column("type") == type) }
            return try request.fetchAll(db)
        }
    }

    public func update(_ credential: Credential) throws {
        try write { try credential.update($0) }
    }

    public func deleteCredential(id: CredentialID) throws -> Bool {
        try write { try Credential.deleteOne($0, key: id.rawValue) }
    }

    public func insert(_ policy: PolicyDocument) throws {
        try write { try policy.insert($0) }
    }

    public func policyDocument(id: PolicyID) throws -> PolicyDocument? {
        try read { try PolicyDocument.fetchOne($0, key: id.rawValue) }
    }

    public func policyDocuments() throws -> [PolicyDocument] {
        try read { try PolicyDocument.order(Column("id")).fetchAll($0) }
    }

    public func update(_ policy: PolicyDocument) throws {
        try write { try policy.update($0) }
    }

    public func deletePolicyDocument(id: PolicyID) throws -> Bool {
        try write { try PolicyDocument.deleteOne($0, key: id.rawValue) }
    }
}
