import Foundation
import Identity
import Images
import NimbusCore
import QEMU

/// createImage: the installed root disk (never the installer ISO) becomes a
/// new qcow2 image, the way to turn an install into a reusable golden image.
extension ComputeService {
    /// Records a queued image and copies the disk into it in the background.
    /// The image exists before the task is claimed, so the copy always finds
    /// it; a refused request removes it again.
    /// `metadataQuota`: whether the project's metadata_items quota bounds
    /// the image's properties (Nova checks it below 2.39).
    public func createImage(
        _ id: String, name: String, metadata: [String: String], metadataQuota: Bool = true, _ auth: AuthContext
    ) throws -> Image {
        let found = try server(id, auth)
        guard Policy.mayModify(owner: found.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:servers:createImage to be performed.")
        }
        if metadataQuota { try checkMetadataQuota(metadata, project: found.projectId) }
        let image = try images.createSnapshot(
            ImageService.ServerSnapshot(
                name: name, server: found.id, user: found.userId, baseImage: found.imageId, minDisk: found.disk,
                // The server's own hardware choices go with its disk (its virtio disk bus, say).
                metadata: found.imageOverrides.merging(metadata) { _, asked in asked }),
            auth)
        do {
            try request(.createImage(image.id), id, rule: "servers:createImage", auth)
        } catch {
            do { try images.discardSnapshot(image.id) } catch let cleanup {
                logger.error("the image of a refused snapshot was not removed", metadata: ["image.id": "\(image.id)", "error": "\(cleanup)"])
            }
            throw error
        }
        return image
    }

    /// Nova's createBackup: a snapshot marked `image_type=backup` with its
    /// `backup_type`, after which only the newest `rotation` backups of that
    /// type of the server are kept (the new one always is, even with rotation 0).
    public func createBackup(
        _ id: String, name: String, type: String, rotation: Int, metadata: [String: String], metadataQuota: Bool = true, _ auth: AuthContext
    ) throws -> Image {
        guard rotation >= 0 else { throw NimbusError.badRequest("Invalid input for field/attribute rotation. Value: \(rotation). It must be 0 or more.") }
        let image = try createImage(
            id, name: name, metadata: metadata.merging(["image_type": "backup", "backup_type": type]) { $1 }, metadataQuota: metadataQuota, auth)
        var query = ImageService.ListQuery()
        query.limit = ImageService.maximumPageSize
        let backups = try images.list(query, auth).images.filter {
            $0.properties["instance_uuid"] == image.properties["instance_uuid"] && $0.properties["image_type"] == "backup"
                && $0.properties["backup_type"] == type && $0.id != image.id
        }.sorted { $0.createdAt > $1.createdAt }
        for old in backups.dropFirst(max(rotation - 1, 0)) {
            do {
                try images.delete(old.id.rawValue, auth)
                logger.info("backup rotated out", metadata: ["image.id": "\(old.id)", "server.id": "\(id)"])
            } catch {
                logger.error("a backup past its rotation was not deleted", metadata: ["image.id": "\(old.id)", "error": "\(error)"])
            }
        }
        return image
    }

    /// Copies the root disk, live or stopped, and uploads it into the image.
    /// As in Nova, a snapshot that failed leaves no half image behind.
    func snapshot(_ id: ServerID, into image: ImageID) async -> [Event] {
        let paths = paths(id)
        let copy = paths.directory.appendingPathComponent("snapshot-\(image).qcow2")
        defer { try? FileManager.default.removeItem(at: copy) }
        do {
            guard try store.image(id: image) != nil else { return [.imageFinished] }
            try await runtime.copyDisk(id, device: Drive.backendID(of: VMSpecBuilder.rootDiskID), disk: paths.disk, to: copy.path)
            _ = await record(.imageCopied, for: id)
            try await images.storeSnapshot(image, from: copy)
            logger.info("server snapshot uploaded", metadata: ["server.id": "\(id)", "image.id": "\(image)"])
        } catch {
            logger.error("server snapshot failed", metadata: ["server.id": "\(id)", "image.id": "\(image)", "error": "\(error)"])
            do { try images.discardSnapshot(image) } catch {
                logger.error("a failed snapshot's image was not removed", metadata: ["image.id": "\(image)", "error": "\(error)"])
            }
        }
        return [.imageFinished]
    }
}
