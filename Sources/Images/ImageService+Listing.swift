import Foundation
import Identity
import NimbusCore

extension ImageService {
    /// Glance's list query: filters, sort keys and limit/marker paging.
    public struct ListQuery: Sendable {
        public var filters: [String: String] = [:]
        public var tags: [String] = []
        public var sort: [(key: String, ascending: Bool)] = []
        public var limit: Int?
        public var marker: String?
        public init() {}
    }

    public struct Page: Sendable {
        public var images: [Image]
        /// Set when more images follow the last one returned.
        public var nextMarker: ImageID?
    }

    public static let defaultPageSize = 25
    public static let maximumPageSize = 1000
    static let sortKeys: Set<String> = [
        "name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at",
        "visibility", "owner", "min_disk", "min_ram",
    ]

    public func list(_ query: ListQuery, _ auth: AuthContext) throws -> Page {
        _ = try Policy.requireProjectReader(auth)
        let limit = min(query.limit ?? Self.defaultPageSize, Self.maximumPageSize)
        guard limit >= 0 else { throw NimbusError.badRequest("limit param must be positive") }
        for sort in query.sort where !Self.sortKeys.contains(sort.key) {
            throw NimbusError.badRequest("Invalid sort key: \(sort.key). It is not in the list of allowed sort keys.")
        }
        var query = query
        // Booleans arrive as Python spells them (openstacksdk sends os_hidden=True).
        for key in ["protected", "os_hidden"] { query.filters[key] = query.filters[key]?.lowercased() }
        try Self.validateFilters(query.filters)
        let memberships = try auth.projectId.map { try store.memberships(of: $0) } ?? [:]
        var images = try store.images().filter { image in
            try isListed(image, query, auth, member: memberships[image.id]?.status)
        }
        images.sort(by: Self.ordering(query.sort.isEmpty ? [("created_at", false)] : query.sort))
        if let marker = query.marker {
            guard let index = images.firstIndex(where: { $0.id.rawValue == marker }) else {
                throw NimbusError.badRequest("marker \(marker) could not be found.")
            }
            images.removeFirst(index + 1)
        }
        let page = Array(images.prefix(limit))
        let next = images.count > limit ? page.last?.id : nil
        return Page(images: page, nextMarker: next)
    }

    /// Checks filter values up front, so a bad value is a 400 even when no
    /// image is there to reach the filter (or every image is filtered out first).
    static func validateFilters(_ filters: [String: String]) throws {
        if let visibility = filters["visibility"], visibility != "all", ImageVisibility(rawValue: visibility) == nil {
            throw NimbusError.badRequest("Invalid visibility value: \(visibility)")
        }
        if let status = filters["member_status"], status != "all", ImageMember.Status(rawValue: status) == nil {
            throw NimbusError.badRequest("Invalid member_status value: \(status); expected accepted, pending, rejected or all.")
        }
        for key in ["size_min", "size_max"] {
            if let value = filters[key], Int64(value) == nil { throw NimbusError.badRequest("Invalid \(key): \(value)") }
        }
        for key in ["protected", "os_hidden"] {
            if let value = filters[key], value != "true", value != "false" {
                throw NimbusError.badRequest("Invalid \(key) value: \(value); expected true or false.")
            }
        }
    }

    /// Glance's default listing: own, public, and shared-with-us images that
    /// we accepted; `visibility=` and `member_status=` widen or narrow it.
    func isListed(_ image: Image, _ query: ListQuery, _ auth: AuthContext, member: ImageMember.Status?) throws -> Bool {
        guard try isVisible(image, auth, member: member) else { return false }
        let project = auth.projectId
        let owned = image.owner == project
        if let visibility = query.filters["visibility"] {
            if visibility != "all" {
                guard ImageVisibility(rawValue: visibility) != nil else {
                    throw NimbusError.badRequest("Invalid visibility value: \(visibility)")
                }
                guard image.visibility.rawValue == visibility else { return false }
            }
        } else if image.visibility == .community, !owned {
            return false
        }
        if image.visibility == .shared, !owned, !Policy.isAdmin(auth) || member != nil {
            let wanted = query.filters["member_status"] ?? "accepted"
            if wanted != "all", member?.rawValue != wanted { return false }
        }
        // Glance: os_hidden=true lists only hidden images; by default (or false) they are left out.
        if image.osHidden != (query.filters["os_hidden"] == "true") { return false }
        for (key, value) in query.filters {
            switch key {
            case "visibility", "member_status", "os_hidden": continue
            case "name": if image.name != value { return false }
            case "owner": if image.owner?.rawValue != value { return false }
            case "status": if image.status.rawValue != value { return false }
            case "disk_format": if image.diskFormat != value { return false }
            case "container_format": if image.containerFormat != value { return false }
            case "protected": if "\(image.protected)" != value { return false }
            case "id":
                let ids = value.hasPrefix("in:") ? value.dropFirst(3).split(separator: ",").map(String.init) : [value]
                if !ids.contains(image.id.rawValue) { return false }
            case "size_min":
                guard let bound = Int64(value) else { throw NimbusError.badRequest("Invalid size_min: \(value)") }
                if (image.size ?? -1) < bound { return false }
            case "size_max":
                guard let bound = Int64(value) else { throw NimbusError.badRequest("Invalid size_max: \(value)") }
                if (image.size ?? Int64.max) > bound { return false }
            default:
                if image.properties[key] != value { return false }
            }
        }
        return query.tags.allSatisfy(image.tags.contains)
    }

    static func ordering(_ keys: [(key: String, ascending: Bool)]) -> (Image, Image) -> Bool {
        { lhs, rhs in
            for (key, ascending) in keys + [("id", true)] {
                let order = compare(lhs, rhs, key)
                if order != .orderedSame { return (order == .orderedAscending) == ascending }
            }
            return false
        }
    }

    static func compare(_ lhs: Image, _ rhs: Image, _ key: String) -> ComparisonResult {
        func by<T: Comparable>(_ a: T?, _ b: T?) -> ComparisonResult {
            switch (a, b) {
            case let (a?, b?): a < b ? .orderedAscending : (a > b ? .orderedDescending : .orderedSame)
            case (nil, nil): .orderedSame
            case (nil, _): .orderedAscending
            case (_, nil): .orderedDescending
            }
        }
        switch key {
        case "name": return by(lhs.name, rhs.name)
        case "status": return by(lhs.status.rawValue, rhs.status.rawValue)
        case "container_format": return by(lhs.containerFormat, rhs.containerFormat)
        case "disk_format": return by(lhs.diskFormat, rhs.diskFormat)
        case "size": return by(lhs.size, rhs.size)
        case "created_at": return by(lhs.createdAt, rhs.createdAt)
        case "updated_at": return by(lhs.updatedAt, rhs.updatedAt)
        case "visibility": return by(lhs.visibility.rawValue, rhs.visibility.rawValue)
        case "owner": return by(lhs.owner?.rawValue, rhs.owner?.rawValue)
        case "min_disk": return by(lhs.minDisk, rhs.minDisk)
        case "min_ram": return by(lhs.minRam, rhs.minRam)
        default: return by(lhs.id.rawValue, rhs.id.rawValue)
        }
    }
}
