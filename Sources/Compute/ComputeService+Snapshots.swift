import Foundation
import Identity
import Images
import NimbusCore
import QEMU

/// createImage: the installed root disk (never the installer ISO) becomes a
/// new qcow2 image, the way to turn an install into a reusable golden image.
extension ComputeService {
    /// Base image properties that describe one upload, not the OS on the
    /// disk; a snapshot must not inherit them.
    static let nonInheritableProperties: Set<String> = [
        "expected_sha256", "expected_sha512", "img_signature", "img_signature_hash_method",
        "img_signature_key_type", "img_signature_certificate_uuid", "image_type", "instance_uuid",
        "base_image_ref", "user_id",
    ]

    /// Records a queued image and copies the disk into it in the background.
    /// A running guest is copied live (QEMU drive-backup), a stopped one with
    /// qemu-img; either way the copy is a standalone qcow2 without a backing file.
    public func createImage(_ id: String, name: String, metadata: [String: String], _ auth: AuthContext) throws -> Image {
        let found = try server(id, auth)
        try checkMetadataQuota(metadata, project: found.projectId)
        let server = try claim(id, action: "createImage", from: [.active, .stopped, .paused], task: .imageSnapshot, auth)
        let image: Image
        do {
            image = try images.create(snapshotAttributes(of: server, name: name, metadata: metadata), auth)
        } catch {
            finishTask(server.id)
            throw error
        }
        operations.enqueue(server.id) { await snapshot(server, into: image, auth: auth) }
        return image
    }

    func snapshotAttributes(of server: Server, name: String, metadata: [String: String]) -> [String: JSONValue] {
        let base = server.imageId.flatMap { try? store.image(id: $0) }
        var attributes: [String: JSONValue] = [:]
        for (key, value) in base?.properties ?? [:] where !Self.nonInheritableProperties.contains(key) {
            attributes[key] = .string(value)
        }
        attributes["image_type"] = "snapshot"
        attributes["instance_uuid"] = .string(server.id.rawValue)
        attributes["user_id"] = .string(server.userId.rawValue)
        if let base { attributes["base_image_ref"] = .string(base.id.rawValue) }
        for (key, value) in metadata { attributes[key] = .string(value) }
        attributes["name"] = .string(name)
        attributes["disk_format"] = "qcow2"
        attributes["container_format"] = "bare"
        attributes["visibility"] = "private"
        attributes["min_disk"] = JSONValue(server.disk)
        attributes["min_ram"] = JSONValue(base?.minRam ?? 0)
        return attributes
    }

    func snapshot(_ server: Server, into image: Image, auth: AuthContext) async {
        let paths = paths(server.id)
        let copy = paths.directory.appendingPathComponent("snapshot-\(image.id).qcow2")
        defer { try? FileManager.default.removeItem(at: copy) }
        do {
            if await supervisor.isRunning(server.id) {
                try await supervisor.backup(server.id, device: Drive.backendID(of: VMSpecBuilder.rootDiskID), to: copy.path)
            } else {
                try await imageTool.convert(from: paths.disk, to: copy.path)
            }
            _ = try store.updateServer(id: server.id) { $0.taskState = .imageUploading }
            _ = try await images.upload(image.id.rawValue, body: FileChunks(url: copy), expectation: .init(), auth)
            logger.info("server snapshot uploaded", metadata: ["server.id": "\(server.id)", "image.id": "\(image.id)"])
        } catch {
            // As Nova does, a snapshot that failed leaves no half image behind.
            logger.error("server snapshot failed", metadata: ["server.id": "\(server.id)", "error": "\(error)"])
            try? images.delete(image.id.rawValue, auth)
        }
        finishTask(server.id)
    }

    /// The task is over; the server stays in the state it was in.
    func finishTask(_ id: ServerID) {
        _ = try? store.updateServer(id: id) { $0.taskState = nil }
    }
}
