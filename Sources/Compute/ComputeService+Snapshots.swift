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
    public func createImage(_ id: String, name: String, metadata: [String: String], _ auth: AuthContext) throws -> Image {
        let found = try server(id, auth)
        guard Policy.mayModify(owner: found.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:servers:createImage to be performed.")
        }
        try checkMetadataQuota(metadata, project: found.projectId)
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
