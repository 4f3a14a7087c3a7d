import Foundation
import GRDB
import NimbusCore

/// One page of Nova's server list. What SQL can decide (the project, exact
/// matches, the time window, the order, the marker) is decided in the query;
/// what it cannot (regular expressions, status, tags) is `matches`, applied
/// to rows as they come in order, so reading stops once the page is full.
public struct ServerListing: Sendable {
    /// A value an `equal` filter compares a column with.
    public enum Value: Sendable, Equatable {
        case text(String)
        case integer(Int)
    }

    /// The project whose servers are listed; nil lists every project's.
    public var project: ProjectID?
    /// Columns that must equal a value; the names come from `columns`.
    public var equal: [(column: String, value: Value)] = []
    public var updatedSince: Date?
    public var updatedBefore: Date?
    /// Only these servers (those an ip filter found).
    public var ids: [ServerID]?
    /// What rows must also satisfy, tested in Swift.
    public var matches: (@Sendable (Server) -> Bool)?
    /// The sort column and direction; the id breaks ties in the same
    /// direction. nil: newest first, ties by ascending id.
    public var sort: (column: String, ascending: Bool)?
    /// Start after this server, which must be one the listing's project can see.
    public var marker: ServerID?
    public var limit: Int

    /// Columns a list may filter or sort by: the only names that reach the SQL text.
    public static let columns: Set<String> = [
        "id", "name", "project_id", "user_id", "image_id", "flavor_id", "vm_state", "task_state", "power_state", "key_name",
        "config_drive", "locked", "access_ipv4", "access_ipv6", "created_at", "updated_at", "launched_at", "description",
        "reservation_id", "launch_index",
    ]

    public init(project: ProjectID?, limit: Int) {
        self.project = project
        self.limit = limit
    }
}

extension Store {
    /// The listing's servers, in order, and whether more follow. nil when
    /// the marker names no server the listing's project can see.
    public func servers(_ listing: ServerListing) throws -> (servers: [Server], more: Bool)? {
        precondition(listing.equal.allSatisfy { ServerListing.columns.contains($0.column) })
        precondition(listing.sort.map { ServerListing.columns.contains($0.column) } ?? true)
        return try read { db -> (servers: [Server], more: Bool)? in
            var visible = SQLBuilder()
            if let project = listing.project { visible.add("server.project_id = ?", [project.rawValue]) }
            var conditions = visible
            for (column, value) in listing.equal {
                switch value {
                case .text(let text): conditions.add("server.\(column) = ?", [text])
                case .integer(let number): conditions.add("server.\(column) = ?", [number])
                }
            }
            if let since = listing.updatedSince { conditions.add("server.updated_at >= ?", [since]) }
            if let before = listing.updatedBefore { conditions.add("server.updated_at <= ?", [before]) }
            if let ids = listing.ids { try conditions.add("server.id", in: ids.map(\.rawValue)) }
            let order: [(column: String, ascending: Bool)] =
                listing.sort.map { [$0, ("id", $0.ascending)] } ?? [("created_at", false), ("id", true)]
            if let marker = listing.marker {
                guard let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM server WHERE server.id = ? AND \(visible.sql)",
                    arguments: StatementArguments([marker.rawValue] + visible.arguments))
                else { return nil }
                conditions.add(contentsOf: SQLBuilder.after(row, in: order, table: "server"))
            }
            let orderBy = order.map { "server.\($0.column) \($0.ascending ? "ASC" : "DESC")" }.joined(separator: ", ")
            // With nothing left to test in Swift the page is a LIMIT; otherwise
            // rows are read in order until the page and one more have matched.
            var sql = "SELECT * FROM server WHERE \(conditions.sql) ORDER BY \(orderBy)"
            var arguments = conditions.arguments
            if listing.matches == nil {
                sql += " LIMIT ?"
                arguments.append(listing.limit + 1)
            }
            let cursor = try Server.fetchCursor(SQLBuilder.statement(db, sql), arguments: StatementArguments(arguments))
            var servers: [Server] = []
            while servers.count <= listing.limit, let server = try cursor.next() {
                if listing.matches?(server) ?? true { servers.append(server) }
            }
            let more = servers.count > listing.limit
            if more { servers.removeLast() }
            return (servers, more)
        }
    }
}
