import Foundation
import GRDB
import NimbusCore

/// Failed password logins since a user's last good one, for Keystone's
/// lockout (`lockout_failure_attempts`, `lockout_duration`). A table of its
/// own: a failed login changes no token, so it must not move the token
/// cache's generation (`AuthorityGeneration`) as a write to `user` would.
extension Store {
    public struct LoginFailures: Sendable, Equatable {
        public var count: Int
        public var last: Date
    }

    static func registerLoginFailureMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v12-login-failures") { db in
            try db.create(table: "loginFailure") { t in
                t.primaryKey("user_id", .text).references("user", onDelete: .cascade)
                t.column("count", .integer).notNull()
                t.column("last_at", .double).notNull()
            }
        }
    }

    public func loginFailures(of user: UserID) throws -> LoginFailures? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT count, last_at FROM loginFailure WHERE user_id = ?", arguments: [user.rawValue]).map {
                LoginFailures(count: $0["count"], last: Date(timeIntervalSince1970: $0["last_at"]))
            }
        }
    }

    /// One more failure, counted in one statement so concurrent attempts all count.
    public func recordLoginFailure(of user: UserID, at time: Date) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO loginFailure (user_id, count, last_at) VALUES (?, 1, ?)
                    ON CONFLICT(user_id) DO UPDATE SET count = count + 1, last_at = excluded.last_at
                    """,
                arguments: [user.rawValue, time.timeIntervalSince1970])
        }
    }

    public func clearLoginFailures(of user: UserID) throws {
        try write { db in try db.execute(sql: "DELETE FROM loginFailure WHERE user_id = ?", arguments: [user.rawValue]) }
    }
}
