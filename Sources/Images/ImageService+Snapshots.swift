import Foundation
import Identity
import NimbusCore

/// Images made from a server's disk (Nova's createImage): the compute
/// service asks for one in these terms, never in Glance's wire form.
extension ImageService {
    /// Where a snapshot comes from and what it is called.
    public struct ServerSnapshot: Sendable {
        public var name: String
        public var server: ServerID
        public var user: UserID
        /// The image the server was built from, whose OS-describing properties the snapshot keeps.
        public var baseImage: ImageID?
        /// The server's root disk in GiB: the snapshot's min_disk.
        public var minDisk: Int
        /// Nova's createImage metadata: properties of the new image.
        public var metadata: [String: String]

        public init(name: String, server: ServerID, user: UserID, baseImage: ImageID?, minDisk: Int, metadata: [String: String]) {
            self.name = name
            self.server = server
            self.user = user
            self.baseImage = baseImage
            self.minDisk = minDisk
            self.metadata = metadata
        }
    }

    /// Base image properties that describe one upload, not the OS on the
    /// disk; a snapshot must not inherit them.
    static let nonInheritableProperties: Set<String> = [
        "expected_sha256", "expected_sha512", "img_signature", "img_signature_hash_method",
        "img_signature_key_type", "img_signature_certificate_uuid", "image_type", "instance_uuid",
        "base_image_ref", "user_id",
    ]

    /// Records a queued private qcow2 image for a snapshot of the caller's
    /// server; its data comes later from `storeSnapshot`.
    public func createSnapshot(_ snapshot: ServerSnapshot, id: ImageID = .generate(), _ auth: AuthContext) throws -> Image {
        let owner = try Policy.requireProjectMember(auth)
        for key in snapshot.metadata.keys {
            try ImageAttributes.checkWritable(key)
            if ImageAttributes.core.contains(key) {
                throw NimbusError.badRequest("Metadata key '\(key)' is an image attribute, not a property.")
            }
        }
        let base = try snapshot.baseImage.flatMap { try store.image(id: $0) }
        var image = Image(id: id, owner: owner, now: Date())
        for (key, value) in base?.properties ?? [:] where !Self.nonInheritableProperties.contains(key) {
            image.properties[key] = value
        }
        image.properties["image_type"] = "snapshot"
        image.properties["instance_uuid"] = snapshot.server.rawValue
        image.properties["user_id"] = snapshot.user.rawValue
        if let base { image.properties["base_image_ref"] = base.id.rawValue }
        image.properties.merge(snapshot.metadata) { $1 }
        image.name = snapshot.name
        image.diskFormat = "qcow2"
        image.containerFormat = "bare"
        image.visibility = .private
        image.minDisk = snapshot.minDisk
        image.minRam = base?.minRam ?? 0
        try ImageAttributes.checkLimits(image)
        try store.insert(image)
        logger.info("snapshot image created", metadata: ["image.id": "\(image.id)", "server.id": "\(snapshot.server)"])
        return image
    }

    /// The snapshot's data, from the compute service's copy of the disk:
    /// hashed and inspected as any upload is.
    @discardableResult
    public func storeSnapshot(_ id: ImageID, from file: URL) async throws -> Image {
        try await receive(id, body: FileChunks(url: file), expectedMD5: nil)
    }

    /// A snapshot that failed leaves no half image behind, as in Nova.
    public func discardSnapshot(_ id: ImageID) throws {
        _ = try store.deleteImage(id: id) { _ in } removeUnusedBlob: { blob in
            try blobs.remove(blob)
        }
        logger.info("snapshot image discarded", metadata: ["image.id": "\(id)"])
    }
}
