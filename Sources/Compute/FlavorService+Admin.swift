import Foundation
import Identity
import NimbusCore

/// Creating, deleting and sharing flavors, and their extra specs.
extension FlavorService {
    public struct Draft: Sendable {
        public var id: String?
        public var name: String
        public var vcpus: Int
        public var ram: Int
        public var disk: Int
        public var ephemeral: Int
        public var swap: Int
        public var rxtxFactor: Double
        public var isPublic: Bool
        public var description: String?
        public init(
            id: String?, name: String, vcpus: Int, ram: Int, disk: Int, ephemeral: Int = 0, swap: Int = 0,
            rxtxFactor: Double = 1.0, isPublic: Bool = true, description: String? = nil
        ) {
            self.id = id
            self.name = name
            self.vcpus = vcpus
            self.ram = ram
            self.disk = disk
            self.ephemeral = ephemeral
            self.swap = swap
            self.rxtxFactor = rxtxFactor
            self.isPublic = isPublic
            self.description = description
        }
    }

    public func create(_ draft: Draft, _ auth: AuthContext) throws -> Flavor {
        try Policy.requireAdmin(auth)
        let name = draft.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 255 else {
            throw NimbusError.badRequest("Invalid input for field/attribute name. Value: \(draft.name).")
        }
        guard (1...1024).contains(draft.vcpus) else { throw NimbusError.badRequest("Invalid input for field/attribute vcpus: must be 1 to 1024.") }
        guard (1...(16 << 20)).contains(draft.ram) else { throw NimbusError.badRequest("Invalid input for field/attribute ram: must be 1 MiB to 16 TiB.") }
        guard (0...(1 << 20)).contains(draft.disk) else { throw NimbusError.badRequest("Invalid input for field/attribute disk: must be 0 to 1048576 GiB.") }
        guard draft.ephemeral >= 0, draft.swap >= 0, draft.rxtxFactor > 0 else {
            throw NimbusError.badRequest("Invalid input: ephemeral and swap must not be negative, rxtx_factor must be positive.")
        }
        let id = (draft.id == nil || draft.id == "auto") ? UUID().uuidString.lowercased() : (draft.id ?? "")
        guard !id.isEmpty, id.count <= 255, id.allSatisfy({ $0.isLetter || $0.isNumber || "-_. ".contains($0) }) else {
            throw NimbusError.badRequest("Invalid input for field/attribute id. Value: \(id).")
        }
        if let description = draft.description { try Self.checkDescription(description) }
        if try store.flavor(named: name) != nil {
            throw NimbusError.conflict("Flavor with name \(name) already exists.")
        }
        if try store.flavor(id: FlavorID(rawValue: id)) != nil {
            throw NimbusError.conflict("Flavor with ID \(id) already exists.")
        }
        let flavor = Flavor(
            id: FlavorID(rawValue: id), name: name, vcpus: draft.vcpus, ram: draft.ram, disk: draft.disk,
            ephemeral: draft.ephemeral, swap: draft.swap, rxtxFactor: draft.rxtxFactor, isPublic: draft.isPublic,
            description: draft.description, createdAt: Date())
        try store.insert(flavor)
        return flavor
    }

    /// Nova 2.55's PUT /flavors/{id}: only the description changes; null removes it.
    public func setDescription(_ description: String?, of id: String, _ auth: AuthContext) throws -> Flavor {
        try Policy.requireAdmin(auth)
        if let description { try Self.checkDescription(description) }
        guard let updated = try store.updateFlavor(id: FlavorID(rawValue: id), { $0.description = description }) else {
            throw NimbusError.notFound("Flavor \(id) could not be found.")
        }
        return updated
    }

    /// Nova's limit: at most 65535 printable characters.
    static func checkDescription(_ description: String) throws {
        guard description.count <= 65535, !description.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }) else {
            throw NimbusError.badRequest("Invalid input for field/attribute description: at most 65535 printable characters.")
        }
    }

    public func delete(_ id: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        guard try store.deleteFlavor(id: FlavorID(rawValue: id)) else {
            throw NimbusError.notFound("Flavor \(id) could not be found.")
        }
    }

    public func setExtraSpecs(_ id: String, _ specs: [String: String], _ auth: AuthContext) throws -> [String: String] {
        try Policy.requireAdmin(auth)
        for (key, value) in specs {
            guard !key.isEmpty, key.count <= 255, value.count <= 255,
                  key.allSatisfy({ $0.isLetter || $0.isNumber || "-_.: ".contains($0) }) else {
                throw NimbusError.badRequest("Invalid input for field/attribute extra_specs. Value: \(key).")
            }
        }
        guard let flavor = try store.updateFlavor(id: FlavorID(rawValue: id), { $0.extraSpecs.merge(specs) { _, new in new } }) else {
            throw NimbusError.notFound("Flavor \(id) could not be found.")
        }
        return flavor.extraSpecs
    }

    public func deleteExtraSpec(_ id: String, key: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        let flavor = try self.flavor(id, auth)
        guard flavor.extraSpecs[key] != nil else {
            throw NimbusError.notFound("Flavor \(id) has no extra specs with key \(key).")
        }
        _ = try store.updateFlavor(id: flavor.id) { $0.extraSpecs[key] = nil }
    }

    public func access(_ id: String, _ auth: AuthContext) throws -> [FlavorAccess] {
        try Policy.requireAdmin(auth)
        let flavor = try self.flavor(id, auth)
        guard !flavor.isPublic else {
            throw NimbusError.notFound("Access list not available for public flavors.")
        }
        return try store.flavorAccess(of: flavor.id)
    }

    public func addAccess(_ id: String, project: String, _ auth: AuthContext) throws -> [FlavorAccess] {
        try Policy.requireAdmin(auth)
        let flavor = try self.flavor(id, auth)
        guard !flavor.isPublic else { throw NimbusError.conflict("Can not add access to a public flavor.") }
        let access = FlavorAccess(flavorId: flavor.id, projectId: ProjectID(rawValue: project))
        guard try !store.flavorAccess(of: flavor.id).contains(access) else {
            throw NimbusError.conflict("Flavor access already exists for flavor \(id) and project \(project) combination.")
        }
        try store.grant(access)
        return try store.flavorAccess(of: flavor.id)
    }

    public func removeAccess(_ id: String, project: String, _ auth: AuthContext) throws -> [FlavorAccess] {
        try Policy.requireAdmin(auth)
        let flavor = try self.flavor(id, auth)
        guard try store.revoke(FlavorAccess(flavorId: flavor.id, projectId: ProjectID(rawValue: project))) else {
            throw NimbusError.notFound("Flavor access not found for \(id) / \(project) combination.")
        }
        return try store.flavorAccess(of: flavor.id)
    }
}
