import NimbusCore
import NimbusStore

extension NetworkService {
    /// Neutron's list query: any attribute as a filter (repeating one means
    /// "any of these"), plus limit and marker paging.
    public struct ListQuery: Sendable {
        public var filters: [(key: String, value: String)] = []
        public var limit: Int?
        public var marker: String?
        public init() {}

        /// Attributes whose filter values are booleans in any of Neutron's spellings ("True", "1", …).
        static let booleanKeys: Set<String> = ["admin_state_up", "shared", "router:external", "enable_dhcp"]

        /// Filters, then pages. `field` gives an item's values for a filter key,
        /// or nil for a key the resource does not have: Neutron without
        /// filter validation ignores those, and so does Nimbus.
        func apply<T>(to items: [T], id: (T) -> String, _ field: (T, String) -> [String]?) throws -> [T] {
            var wanted: [String: Set<String>] = [:]
            for (key, value) in filters {
                wanted[key, default: []].insert(Self.booleanKeys.contains(key) ? "\(try Self.bool(value, key))" : value)
            }
            var matching = items.filter { item in
                wanted.allSatisfy { key, values in
                    guard let actual = field(item, key) else { return true }
                    return actual.contains(where: values.contains)
                }
            }
            if let marker {
                guard let index = matching.firstIndex(where: { id($0) == marker }) else {
                    throw Fault.make(.badRequest, "HTTPBadRequest", "The marker \(marker) could not be found.")
                }
                matching.removeFirst(index + 1)
            }
            if let limit { matching = Array(matching.prefix(limit)) }
            return matching
        }

        /// The query as one page of the store's list, seen by `project`
        /// (nil: an admin, who sees everything). nil when the marker is not on it.
        func page<T>(_ project: ProjectID?, _ list: (NeutronListing) throws -> [T]?) throws -> [T] {
            var listing = NeutronListing(project: project)
            for (key, value) in filters {
                let wanted = Self.booleanKeys.contains(key) ? "\(try Self.bool(value, key))" : value
                if let index = listing.filters.firstIndex(where: { $0.key == key }) {
                    listing.filters[index].values.append(wanted)
                } else {
                    listing.filters.append((key, [wanted]))
                }
            }
            listing.marker = marker
            listing.limit = limit
            guard let page = try list(listing) else {
                throw Fault.make(.badRequest, "HTTPBadRequest", "The marker \(marker ?? "") could not be found.")
            }
            return page
        }

        static func bool(_ text: String, _ key: String) throws -> Bool {
            switch text.lowercased() {
            case "true", "1", "yes", "t", "on": return true
            case "false", "0", "no", "f", "off": return false
            default: throw Fault.invalid(key, "'\(text)' is not a valid boolean value")
            }
        }
    }
}
