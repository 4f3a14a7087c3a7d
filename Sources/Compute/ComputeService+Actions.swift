import Foundation
import Identity
import NimbusCore

/// Server actions. Each is accepted (202) once the lifecycle allows it, as
/// in Nova, and carried out in the server's turn; pause and unpause take a
/// moment and are done before the answer.
extension ComputeService {
    public func stop(_ id: String, _ auth: AuthContext) throws {
        try request(.stop, id, rule: "servers:stop", auth)
    }

    public func start(_ id: String, _ auth: AuthContext) throws {
        try request(.start, id, rule: "servers:start", auth)
    }

    /// SOFT asks the guest to shut down (ACPI) and starts it again, hard after
    /// the timeout; HARD stops QEMU at once and starts it again. `from:
    /// .cdrom` starts that one boot from the CD drives; the guest's own
    /// reboots after it start from the disk again.
    public func reboot(_ id: String, hard: Bool, from boot: ServerLifecycle.BootDevice = .disk, _ auth: AuthContext) throws {
        try request(.reboot(hard: hard, boot: boot), id, rule: "servers:reboot", auth)
    }

    /// Pause freezes the guest's CPUs in place (QMP stop); unpause lets them run on.
    /// When QEMU refuses, the server keeps its state and gets a fault.
    public func pause(_ id: String, _ auth: AuthContext) async throws {
        try await request(.pause, id, rule: "servers:pause", auth).work.value
    }

    public func unpause(_ id: String, _ auth: AuthContext) async throws {
        try await request(.unpause, id, rule: "servers:unpause", auth).work.value
    }

    /// A locked server refuses actions from anyone but an admin.
    public func setLocked(_ locked: Bool, _ id: String, _ auth: AuthContext) throws {
        let server = try server(id, auth)
        guard Policy.mayModify(owner: server.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:os-lock-server:\(locked ? "lock" : "unlock") to be performed.")
        }
        _ = try store.updateServer(id: server.id) { $0.locked = locked }
    }
}

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
        try request(.rescue(image: image.id), id, rule: "servers:rescue", auth)
        return Self.adminPassword()
    }

    /// Boots the server from its own disks again and forgets the rescue medium.
    public func unrescue(_ id: String, _ auth: AuthContext) throws {
        try request(.unrescue, id, rule: "servers:unrescue", auth)
    }

    /// A password for Nova's create and rescue answers. The guest is not
    /// told of it: Nimbus does not inject passwords, and says so in the README.
    public static func adminPassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<12).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }
}
