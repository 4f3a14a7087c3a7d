import Foundation
import Identity
import NimbusCore

/// Rescue as Nova's stable device rescue does it: the rescue image boots
/// first while the server's own disks stay attached, so the user can repair
/// the installed system from an installer or live ISO.
extension ComputeService {
    /// Returns the admin password Nova answers with; the guest is rebooted
    /// onto the rescue image in the background.
    public func rescue(_ id: String, imageRef: String?, _ auth: AuthContext) throws -> String {
        let found = try server(id, auth)
        // Without a rescue image, Nova rescues from the server's own image.
        guard let reference = imageRef ?? found.imageId?.rawValue else {
            throw NimbusError.badRequest("A rescue image is required: the server's own image no longer exists.")
        }
        let image: Image
        do { image = try images.image(reference, auth) } catch let error as NimbusError where error.code == .notFound {
            throw NimbusError.badRequest("Image \(reference) could not be found.")
        }
        guard image.status == .active, image.blob != nil else {
            throw NimbusError.badRequest("Image \(image.id) is not active.")
        }
        let claimed = try claim(id, action: "rescue", from: [.active, .stopped, .error], task: .rescuing, auth)
        guard let server = try store.updateServer(id: claimed.id, { $0.rescueImageId = image.id }) else {
            throw NimbusError.notFound("Instance \(id) could not be found.")
        }
        operations.enqueue(server.id) {
            await supervisor.stop(server.id, paths: paths(server.id), grace: shutdownTimeout(server))
            await relaunch(server, auth: auth, as: .rescued)
        }
        return Self.password()
    }

    /// Boots the server from its own disks again and forgets the rescue medium.
    public func unrescue(_ id: String, _ auth: AuthContext) throws {
        let claimed = try claim(id, action: "unrescue", from: [.rescued], task: .unrescuing, auth)
        operations.enqueue(claimed.id) {
            let paths = paths(claimed.id)
            await supervisor.stop(claimed.id, paths: paths, grace: .zero)
            try? FileManager.default.removeItem(atPath: paths.rescueDisk)
            guard let server = try? store.updateServer(id: claimed.id, { $0.rescueImageId = nil }) else { return }
            await relaunch(server, auth: auth)
        }
    }

    /// The rescue image as a drive: an ISO as it is, a disk image through
    /// an overlay, so the rescue image's file is never written.
    func rescueMedia(_ server: Server, paths: InstancePaths) async throws -> VMSpecBuilder.RescueMedia? {
        guard let id = server.rescueImageId else { return nil }
        guard let image = try store.image(id: id), let blob = image.blob else {
            throw NimbusError.conflict("The rescue image \(id) no longer exists.")
        }
        let file = try images.blobs.url(for: blob).path
        if image.diskFormat == "iso" { return .cdrom(iso: file) }
        if !FileManager.default.fileExists(atPath: paths.rescueDisk) {
            try await imageTool.createOverlay(
                at: paths.rescueDisk, backingFile: file, backingFormat: image.diskFormat == "qcow2" ? "qcow2" : "raw")
        }
        return .disk(overlay: paths.rescueDisk)
    }

    /// A password for Nova's rescue answer. The guest is not told of it:
    /// Nimbus does not inject passwords, and says so in the README.
    static func password() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<12).map { _ in alphabet.randomElement()! })
    }
}
