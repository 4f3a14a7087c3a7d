import Foundation

/// Nova flavor ids are free-form strings ("1", "m1.small", a UUID).
public struct FlavorID: Identifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A flavor: the size of a server.
public struct Flavor: Sendable, Codable, Equatable {
    public var id: FlavorID
    public var name: String
    public var vcpus: Int
    /// Memory in MiB.
    public var ram: Int
    /// Root disk in GiB; 0 means the size of the image.
    public var disk: Int
    /// Ephemeral disk in GiB.
    public var ephemeral: Int
    /// Swap in MiB.
    public var swap: Int
    public var rxtxFactor: Double
    public var isPublic: Bool
    public var disabled: Bool
    public var description: String?
    public var extraSpecs: [String: String]
    public var createdAt: Date

    public init(
        id: FlavorID, name: String, vcpus: Int, ram: Int, disk: Int, ephemeral: Int = 0, swap: Int = 0,
        rxtxFactor: Double = 1.0, isPublic: Bool = true, disabled: Bool = false, description: String? = nil,
        extraSpecs: [String: String] = [:], createdAt: Date
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
        self.disabled = disabled
        self.description = description
        self.extraSpecs = extraSpecs
        self.createdAt = createdAt
    }
}

/// A project granted use of a private flavor.
public struct FlavorAccess: Sendable, Codable, Equatable, Hashable {
    public var flavorId: FlavorID
    public var projectId: ProjectID
    public init(flavorId: FlavorID, projectId: ProjectID) {
        self.flavorId = flavorId
        self.projectId = projectId
    }
}
