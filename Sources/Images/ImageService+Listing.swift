import Foundation
import Identity
import NimbusCore
import NimbusStore

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
        let project = try Policy.requireProjectReader(auth)
        let limit = min(query.limit ?? Self.defaultPageSize, Self.maximumPageSize)
        guard limit >= 0 else { throw NimbusError.badRequest("limit param must be positive") }
        for sort in query.sort where !Self.sortKeys.contains(sort.key) {
            throw NimbusError.badRequest("Invalid sort key: \(sort.key). It is not in the list of allowed sort keys.")
        }
        var filters = query.filters
        // Booleans arrive as Python spells them (openstacksdk sends os_hidden=True).
        for key in ["protected", "os_hidden"] { filters[key] = filters[key]?.lowercased() }
        try Self.validateFilters(filters)
        var listing = ImageListing(project: project, isAdmin: Policy.isAdmin(auth), limit: limit)
        listing.sort = (query.sort.isEmpty ? [("created_at", false)] : query.sort).map { ($0.key, $0.ascending) }
        listing.marker = query.marker.map(ImageID.init(rawValue:))
        listing.tags = query.tags
        for (key, value) in filters.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "visibility": listing.visibility = value
            case "member_status": listing.memberStatus = value
            case "os_hidden": listing.hidden = value == "true"
            case "protected": listing.protected = value == "true"
            case "name", "owner", "status", "disk_format", "container_format": listing.equal.append((key, value))
            case "id": listing.ids = value.hasPrefix("in:") ? value.dropFirst(3).split(separator: ",").map(String.init) : [value]
            case "size_min": listing.sizeMin = Int64(value)
            case "size_max": listing.sizeMax = Int64(value)
            default: listing.properties.append((key, value))
            }
        }
        guard let (images, more) = try store.images(listing) else {
            throw NimbusError.badRequest("marker \(query.marker ?? "") could not be found.")
        }
        return Page(images: images, nextMarker: more ? images.last?.id : nil)
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
}
