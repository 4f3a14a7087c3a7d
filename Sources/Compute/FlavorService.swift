import Foundation
import Identity
import Logging
import NimbusCore
import NimbusStore

/// Flavors as Nova has them: public ones for everybody, private ones for the
/// projects granted access, administration for admins only.
public struct FlavorService: Sendable {
    let store: Store
    let logger = Logger(label: "nimbus.compute")

    public init(store: Store) {
        self.store = store
    }

    /// The usual set, seeded on first start. A smaller m1.tiny than Nova's
    /// would not hold an installed system, so the sizes are Nova's own.
    static let defaults: [(id: String, name: String, vcpus: Int, ram: Int, disk: Int)] = [
        ("1", "m1.tiny", 1, 512, 1),
        ("2", "m1.small", 1, 2048, 20),
        ("3", "m1.medium", 2, 4096, 40),
        ("4", "m1.large", 4, 8192, 80),
        ("5", "m1.xlarge", 8, 16384, 160),
    ]

    /// Seeds the default flavors once; a flavor an admin deleted stays deleted
    /// only until the next start if its id is free, so seeding checks names and ids.
    public func bootstrap() throws {
        guard try store.flavors().isEmpty else { return }
        for flavor in Self.defaults {
            try store.insert(Flavor(
                id: FlavorID(rawValue: flavor.id), name: flavor.name, vcpus: flavor.vcpus, ram: flavor.ram,
                disk: flavor.disk, createdAt: Date()))
        }
    }

    /// Nova's list query.
    public struct ListQuery: Sendable {
        /// true: public only (the default); false: private only; nil: all (admins).
        public var isPublic: Bool? = true
        public var minRam: Int?
        public var minDisk: Int?
        public var sortKey = "flavorid"
        public var ascending = true
        public var limit: Int?
        public var marker: String?
        public init() {}
    }

    public func list(_ query: ListQuery, _ auth: AuthContext) throws -> [Flavor] {
        _ = try Policy.requireProjectReader(auth)
        let granted = try auth.projectId.map { try store.accessibleFlavors(for: $0) } ?? []
        var flavors = try store.flavors().filter { flavor in
            let visible = Policy.isAdmin(auth) || flavor.isPublic || granted.contains(flavor.id)
            guard visible, !flavor.disabled || Policy.isAdmin(auth) else { return false }
            if let isPublic = query.isPublic {
                // Non-admins also see the private flavors granted to them, as in Nova.
                if flavor.isPublic != isPublic, !(isPublic && granted.contains(flavor.id)) { return false }
            }
            if let minRam = query.minRam, flavor.ram < minRam { return false }
            if let minDisk = query.minDisk, flavor.disk < minDisk { return false }
            return true
        }
        flavors.sort(by: try Self.ordering(query.sortKey, ascending: query.ascending))
        if let marker = query.marker {
            guard let index = flavors.firstIndex(where: { $0.id.rawValue == marker }) else {
                throw NimbusError.badRequest("marker [\(marker)] not found")
            }
            flavors.removeFirst(index + 1)
        }
        if let limit = query.limit { flavors = Array(flavors.prefix(limit)) }
        return flavors
    }

    static func ordering(_ key: String, ascending: Bool) throws -> (Flavor, Flavor) -> Bool {
        let compare: (Flavor, Flavor) -> Bool
        switch key {
        case "flavorid", "id": compare = { Self.naturalLess($0.id.rawValue, $1.id.rawValue) }
        case "name": compare = { $0.name < $1.name }
        case "memory_mb", "ram": compare = { $0.ram < $1.ram }
        case "root_gb", "disk": compare = { $0.disk < $1.disk }
        case "vcpus": compare = { $0.vcpus < $1.vcpus }
        case "created_at": compare = { $0.createdAt < $1.createdAt }
        default: throw NimbusError.badRequest("Invalid input for query parameters sort_key. Value: \(key).")
        }
        return { ascending ? compare($0, $1) : compare($1, $0) }
    }

    /// "2" sorts before "10", as people expect of Nova's numeric ids.
    static func naturalLess(_ a: String, _ b: String) -> Bool {
        if let x = Int(a), let y = Int(b) { return x < y }
        return a < b
    }

    /// A flavor the caller may use; other private flavors are 404.
    public func flavor(_ id: String, _ auth: AuthContext) throws -> Flavor {
        guard let flavor = try store.flavor(id: FlavorID(rawValue: id)), try isAccessible(flavor, auth) else {
            throw NimbusError.notFound("Flavor \(id) could not be found.")
        }
        return flavor
    }

    func isAccessible(_ flavor: Flavor, _ auth: AuthContext) throws -> Bool {
        if Policy.isAdmin(auth) || flavor.isPublic { return true }
        guard let project = auth.projectId else { return false }
        return try store.accessibleFlavors(for: project).contains(flavor.id)
    }
}
