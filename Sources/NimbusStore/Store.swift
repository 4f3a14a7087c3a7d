import Foundation
import GRDB
import NimbusCore

/// All persistent state, in one SQLite database (WAL mode).
///
/// Every public method is one transaction. This is the only module that
/// speaks SQL or imports GRDB.
public final class Store: Sendable {
    let database: any DatabaseWriter

    /// Opens (creating if needed) the database file and runs the migrations.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        self.database = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    /// An in-memory database with the same migrations, for tests.
    public init(inMemory: ()) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        self.database = try DatabaseQueue(configuration: configuration)
        try Self.migrator.migrate(database)
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
