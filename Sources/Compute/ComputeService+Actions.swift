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

    /// Nova's trigger_crash_dump: an NMI to a running (or paused, rescued,
    /// failed but running) guest; what it dumps is up to the guest.
    public func triggerCrashDump(_ id: String, _ auth: AuthContext) async throws {
        let server = try modifiable(id, rule: "os-trigger-crash-dump", auth)
        guard [.active, .paused, .rescued, .error].contains(server.vmState) else {
            throw NimbusError.conflict("Cannot 'trigger_crash_dump' instance \(server.id) while it is in vm_state \(server.vmState.rawValue)")
        }
        do { try await runtime.injectNMI(server.id) } catch ComputeError.notRunning {
            throw NimbusError.conflict("Instance \(server.id) is not running.")
        }
    }

    /// A locked server refuses actions from anyone but an admin.
    public func setLocked(_ locked: Bool, reason: String? = nil, _ id: String, _ auth: AuthContext) throws {
        let server = try server(id, auth)
        guard Policy.mayModify(owner: server.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:os-lock-server:\(locked ? "lock" : "unlock") to be performed.")
        }
        _ = try store.updateServer(id: server.id) { server in
            server.locked = locked
            server.lockedReason = locked ? reason : nil
        }
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

    /// What a rebuild may change besides the image; nil leaves a field as it is.
    public struct RebuildRequest: Sendable {
        public var imageRef: String
        public var name: String?
        public var metadata: [String: String]?
        public var accessIpv4: String?
        public var accessIpv6: String?
        /// nil leaves it; `.some(nil)` removes it.
        public var description: String??
        /// The caller's key pair to put on the server instead, or none; nil leaves it.
        public var keyName: String??
        /// Base64 user data for the rebuilt server, or none; nil leaves it.
        public var userData: String??
        public init(imageRef: String) { self.imageRef = imageRef }
    }

    /// Nova's rebuild: a new root disk from `imageRef` (an ISO gives a blank
    /// disk and the ISO in the installer's drive), the same ports, flavor and
    /// id. A stopped server stays stopped, as in Nova.
    public func rebuild(_ id: String, _ rebuild: RebuildRequest, _ auth: AuthContext) throws -> Server {
        let found = try server(id, auth)
        let image: Image
        do { image = try images.image(rebuild.imageRef, auth) } catch let error as NimbusError where error.code == .notFound {
            throw NimbusError.badRequest("Image \(rebuild.imageRef) could not be found.")
        }
        guard image.status == .active, image.blob != nil else { throw NimbusError.badRequest("Image \(image.id) is not active.") }
        _ = try GuestHardware(image: image.properties, flavor: found.flavorExtraSpecs)
        if image.minRam > found.ram { throw NimbusError.badRequest("Flavor's memory is too small for requested image.") }
        if image.minDisk > found.disk, found.disk > 0 { throw NimbusError.badRequest("Flavor's disk is too small for requested image.") }
        if image.diskFormat == "iso", found.disk == 0 {
            throw NimbusError.badRequest("Image \(image.id) is an ISO installer and server \(found.id) has no root disk to install onto.")
        }
        if let name = rebuild.name, name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 255 {
            throw NimbusError.badRequest("Invalid input for field/attribute name. Value: \(name). It must be 1 to 255 characters.")
        }
        if let metadata = rebuild.metadata { try Self.checkMetadata(metadata, limits: try quotas.limits(of: found.projectId)) }
        let keypair = try rebuild.keyName.map { name in
            try name.map { name in
                guard let keypair = try store.keypair(name, of: auth.userId) else { throw NimbusError.badRequest("Invalid key_name provided.") }
                return keypair
            }
        }
        if case .some(.some(let data)) = rebuild.userData, data.utf8.count > 65535 || Data(base64Encoded: data) == nil {
            throw NimbusError.badRequest("Invalid input for field/attribute user_data. It must be base64 of at most 65535 bytes.")
        }
        var drives = found.drives
        let installer = ServerLifecycle.installerDrive
        let disc = image.diskFormat == "iso" ? image.id : nil
        if let index = drives.firstIndex(where: { $0.id == installer }) {
            drives[index].imageId = disc
            drives[index].ejectAtReboot = false
        } else if let disc {
            drives.insert(CDDrive(id: installer, imageId: disc), at: 0)
        }
        try request(.rebuild(image: image.id, drives: drives), id, rule: "servers:rebuild", auth)
        guard let updated = try store.updateServer(id: found.id, { server in
            if let name = rebuild.name { server.name = name.trimmingCharacters(in: .whitespaces) }
            if let metadata = rebuild.metadata { server.metadata = metadata }
            if let address = rebuild.accessIpv4 { server.accessIpv4 = address }
            if let address = rebuild.accessIpv6 { server.accessIpv6 = address }
            if let description = rebuild.description { server.description = description }
            if let keypair {
                server.keyName = keypair?.name
                server.keyData = keypair?.publicKey
            }
            if let userData = rebuild.userData { server.userData = userData }
            server.fault = nil
        }) else { throw NimbusError.notFound("Instance \(id) could not be found.") }
        logger.info("server rebuild requested", metadata: ["server.id": "\(found.id)", "image.id": "\(image.id)"])
        return updated
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
