import GRDB
import NimbusCore

extension Keypair: SnakeCaseRecord { public static let databaseTableName = "keypair" }

extension Store {
    /// Inserts a key pair after `check` has accepted how many the user has,
    /// in one transaction; a name the user already has is a conflict.
    public func insert(_ keypair: Keypair, check: (Int) throws -> Void) throws {
        try write { db in
            try check(try Keypair.filter(Column("user_id") == keypair.userId).fetchCount(db))
            try keypair.insert(db)
        }
    }

    public func keypairs(of user: UserID) throws -> [Keypair] {
        try read { try Keypair.filter(Column("user_id") == user).order(Column("name")).fetchAll($0) }
    }

    public func keypair(_ name: String, of user: UserID) throws -> Keypair? {
        try read { try Keypair.filter(Column("user_id") == user && Column("name") == name).fetchOne($0) }
    }

    public func deleteKeypair(_ name: String, of user: UserID) throws -> Bool {
        try write { try Keypair.filter(Column("user_id") == user && Column("name") == name).deleteAll($0) > 0 }
    }
}
