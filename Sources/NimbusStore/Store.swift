import Foundation
import GRDB
import NimbusCore

/// All persistent state, in one SQLite database (WAL mode).
///
/// Every public method is one transaction. This is the only module that
/// speaks SQL or imports GRDB.
public final class Store: Sendable {
    let database: any DatabaseWriter
    private let authority = AuthorityGeneration()

    /// Moves whenever a commit may have changed what some token stands for
    /// (a user, project, domain, role, grant or credential changed, or a token
    /// was revoked). Caches of validated tokens compare it with their own.
    public var authorityGeneration: UInt64 { authority.current }

    /// Opens (creating if needed) the database file and runs the migrations.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        self.database = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
        database.add(transactionObserver: authority, extent: .databaseLifetime)
    }

    /// An in-memory database with the same migrations, for tests;
    /// `onStatement` sees the SQL of every statement run, to count queries.
    public init(inMemory: (), onStatement: (@Sendable (String) -> Void)? = nil) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        if let onStatement {
            configuration.prepareDatabase { db in db.trace(options: .statement) { onStatement("\($0)") } }
        }
        self.database = try DatabaseQueue(configuration: configuration)
        try Self.migrator.migrate(database)
        database.add(transactionObserver: authority, extent: .databaseLifetime)
    }

    /// Translates constraint violations into domain errors once, here.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.write(body)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw NimbusError(.conflict, "The request conflicts with an existing resource.", cause: error)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try database.read(body)
    }
}
