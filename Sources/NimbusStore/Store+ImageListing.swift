import GRDB
import NimbusCore

/// One page of Glance's image list, asked of the database as one query: who
/// sees what, the filters, the order and the page all happen in SQL, so a
/// page costs what the page costs, not what the cloud holds.
public struct ImageListing: Sendable {
    /// The project asking, and whether it asks as a cloud admin (who sees every image).
    public var project: ProjectID
    public var isAdmin: Bool
    /// nil: Glance's default (no community images but our own); "all", or one visibility.
    public var visibility: String?
    /// Which memberships of shared images count: "accepted" by default, one status, or "all".
    public var memberStatus = "accepted"
    /// Glance's os_hidden: true lists only hidden images, false only the others.
    public var hidden = false
    /// Text columns that must equal a value (name, owner, status, disk_format, container_format).
    public var equal: [(column: String, value: String)] = []
    public var protected: Bool?
    public var ids: [String]?
    public var sizeMin: Int64?
    public var sizeMax: Int64?
    public var properties: [(key: String, value: String)] = []
    public var tags: [String] = []
    /// Sort columns, most significant first; the id (ascending) always breaks ties.
    public var sort: [(column: String, ascending: Bool)] = []
    /// Start after this image (which must be visible to the project).
    public var marker: ImageID?
    public var limit: Int

    /// Columns a list may sort or filter by with `equal`: the only names that reach the SQL text.
    public static let columns: Set<String> = [
        "name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at",
        "visibility", "owner", "min_disk", "min_ram",
    ]

    public init(project: ProjectID, isAdmin: Bool, limit: Int) {
        self.project = project
        self.isAdmin = isAdmin
        self.limit = limit
    }
}

extension Store {
    /// The listing's images, in order, and whether more follow. Returns nil
    /// when the marker names no image the project can see.
    public func images(_ listing: ImageListing) throws -> (images: [Image], more: Bool)? {
        precondition(listing.sort.allSatisfy { ImageListing.columns.contains($0.column) })
        precondition(listing.equal.allSatisfy { ImageListing.columns.contains($0.column) })
        return try read { db in
            var visible = SQLBuilder()
            visible.add(listing.isAdmin ? "1" : """
                (image.owner = ? OR image.visibility IN ('public', 'community') \
                OR (image.visibility = 'shared' AND member.status IS NOT NULL))
                """, listing.isAdmin ? [] : [listing.project.rawValue])
            let join = "FROM image LEFT JOIN imageMember AS member ON member.image_id = image.id AND member.member_id = ?"

            var conditions = visible
            conditions.add(contentsOf: try Self.filters(listing))
            let order = listing.sort + [("id", true)]
            if let marker = listing.marker {
                let sql = "SELECT image.* \(join) WHERE image.id = ? AND \(visible.sql)"
                guard let row = try Row.fetchOne(
                    db, sql: sql, arguments: StatementArguments([listing.project.rawValue, marker.rawValue] as [(any DatabaseValueConvertible)?] + visible.arguments))
                else { return nil }
                conditions.add(contentsOf: SQLBuilder.after(row, in: order, table: "image"))
            }
            let orderBy = order.map { "image.\($0.column) \($0.ascending ? "ASC" : "DESC")" }.joined(separator: ", ")
            let sql = "SELECT image.* \(join) WHERE \(conditions.sql) ORDER BY \(orderBy) LIMIT ?"
            let arguments = [listing.project.rawValue] as [(any DatabaseValueConvertible)?] + conditions.arguments + [listing.limit + 1]
            // Kept prepared: the same filters make the same SQL, and preparing it again cost more than running it.
            var images = try Image.fetchAll(SQLBuilder.statement(db, sql), arguments: StatementArguments(arguments))
            let more = images.count > listing.limit
            if more { images.removeLast() }
            return (images, more)
        }
    }

    private static func filters(_ listing: ImageListing) throws -> SQLBuilder {
        var sql = SQLBuilder()
        switch listing.visibility {
        case nil: sql.add("(image.visibility != 'community' OR image.owner = ?)", [listing.project.rawValue])
        case "all": break
        case let visibility?: sql.add("image.visibility = ?", [visibility])
        }
        // Shared images of other projects list by our membership's status; an
        // admin also sees those shared with nobody here, whatever the status asked.
        if listing.memberStatus != "all" {
            sql.add(
                "(image.visibility != 'shared' OR image.owner IS ? OR member.status = ? OR (? AND member.status IS NULL))",
                [listing.project.rawValue, listing.memberStatus, listing.isAdmin])
        }
        sql.add("image.os_hidden = ?", [listing.hidden])
        for (column, value) in listing.equal { sql.add("image.\(column) = ?", [value]) }
        if let protected = listing.protected { sql.add("image.protected = ?", [protected]) }
        if let ids = listing.ids { try sql.add("image.id", in: ids) }
        if let bound = listing.sizeMin { sql.add("COALESCE(image.size, -1) >= ?", [bound]) }
        if let bound = listing.sizeMax { sql.add("COALESCE(image.size, \(Int64.max)) <= ?", [bound]) }
        for (key, value) in listing.properties {
            sql.add("EXISTS (SELECT 1 FROM json_each(image.properties) WHERE key = ? AND value = ?)", [key, value])
        }
        for tag in listing.tags {
            sql.add("EXISTS (SELECT 1 FROM json_each(image.tags) WHERE value = ?)", [tag])
        }
        return sql
    }
}
