import Foundation

/// Glance's image statuses.
public enum ImageStatus: String, Sendable, Codable {
    case queued, saving, active, killed, deleted, deactivated
    case pendingDelete = "pending_delete"
    case uploading, importing
}

/// Glance's visibilities.
public enum ImageVisibility: String, Sendable, Codable, CaseIterable {
    case `public`, `private`, shared, community
}

/// Image metadata as stored. `blob` names the content-addressed file holding
/// the bytes (its sha512), shared by every image with the same content.
public struct Image: Sendable, Codable, Equatable {
    public var id: ImageID
    public var name: String?
    public var owner: ProjectID?
    public var status: ImageStatus
    public var visibility: ImageVisibility
    public var protected: Bool
    public var osHidden: Bool
    public var diskFormat: String?
    public var containerFormat: String?
    public var minDisk: Int
    public var minRam: Int
    public var size: Int64?
    public var virtualSize: Int64?
    public var checksum: String?
    public var osHashAlgo: String?
    public var osHashValue: String?
    public var blob: String?
    public var properties: [String: String]
    public var tags: [String]
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: ImageID, owner: ProjectID?, now: Date) {
        self.id = id
        self.name = nil
        self.owner = owner
        self.status = .queued
        self.visibility = .shared
        self.protected = false
        self.osHidden = false
        self.diskFormat = nil
        self.containerFormat = nil
        self.minDisk = 0
        self.minRam = 0
        self.size = nil
        self.virtualSize = nil
        self.checksum = nil
        self.osHashAlgo = nil
        self.osHashValue = nil
        self.blob = nil
        self.properties = [:]
        self.tags = []
        self.createdAt = now
        self.updatedAt = now
    }
}

/// A project an image is shared with, and whether it accepted.
public struct ImageMember: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable { case pending, accepted, rejected }
    public var imageId: ImageID
    public var memberId: ProjectID
    public var status: Status
    public var createdAt: Date
    public var updatedAt: Date

    public init(imageId: ImageID, memberId: ProjectID, status: Status, createdAt: Date, updatedAt: Date) {
        self.imageId = imageId
        self.memberId = memberId
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The image properties Nimbus writes when it recognises an uploaded disc.
public enum InstallerProperties {
    /// What was recognised, and from which file: "windows 11 (sources/install.wim)".
    public static let detected = "nimbus_os_detected"
    /// The properties Nimbus chose for that OS, comma-separated.
    public static let defaults = "nimbus_os_defaults"
    /// On a driver disc instead of os_distro: "virtio-win".
    public static let driverDisc = "nimbus_driver_disc"
}
