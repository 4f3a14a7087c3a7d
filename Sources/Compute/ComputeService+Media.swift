import Foundation
import Identity
import Images
import NimbusCore
import QEMU

/// Removable media like a real drive: each CD drive exists from boot, and
/// its disc can be ejected and another inserted, live through QMP (the guest
/// sees the disc go and come) or, while the server is stopped, for the next
/// start. The record changes in the same write as the lifecycle's, and a
/// live change that fails puts the record back.
extension ComputeService {
    /// One drive as a user sees it.
    public struct MediaStatus: Sendable, Equatable {
        public var drive: String
        public var bus: String
        public var image: Image?
        /// Live values from QEMU; closed and unlocked while the server does not run.
        public var trayOpen: Bool
        public var locked: Bool
        /// The disc goes at the guest's next reset.
        public var ejectAtReboot: Bool
    }

    /// The server's CD drives, what is in them, and (while it runs) their trays.
    public func media(_ id: String, _ auth: AuthContext) async throws -> [MediaStatus] {
        let server = try server(id, auth)
        let live = server.lifecycle.isLive ? try await runtime.driveStatus(server.id) : []
        let bus = try server.imageId.flatMap { try store.image(id: $0)?.properties["hw_cdrom_bus"] } ?? GuestHardware.defaultCDROMBus.rawValue
        return try server.drives.map { drive in
            let status = live.first { $0.drive == drive.id }
            return MediaStatus(
                drive: drive.id, bus: bus, image: try drive.imageId.flatMap { try store.image(id: $0) },
                trayOpen: status?.trayOpen ?? false, locked: status?.locked ?? false, ejectAtReboot: drive.ejectAtReboot)
        }
    }

    /// Takes the disc out of `drive` (the installer's drive when nil);
    /// `force` ejects even when the guest locked the tray. `atReboot`
    /// leaves it readable until the guest next resets and takes it out
    /// then, before the firmware looks for a boot device.
    public func eject(_ id: String, drive: String?, force: Bool, atReboot: Bool = false, _ auth: AuthContext) async throws -> [MediaStatus] {
        let drive = drive ?? ServerLifecycle.installerDrive
        let event: Event = atReboot ? .ejectAtReboot(drive: drive) : .eject(drive: drive, force: force)
        try await changeMedia(event, id, rule: "nimbus:eject", auth)
        return try await media(id, auth)
    }

    /// Puts the ISO image `imageRef` (an id or a unique name) into an empty drive.
    public func insert(_ id: String, imageRef: String, drive: String?, _ auth: AuthContext) async throws -> [MediaStatus] {
        // Another project's server is not found, whatever the image.
        _ = try server(id, auth)
        let image = try isoImage(imageRef, auth)
        try await changeMedia(.insert(drive: drive ?? ServerLifecycle.installerDrive, image: image.id), id, rule: "nimbus:insert", auth)
        return try await media(id, auth)
    }

    /// Only an active ISO image goes into a drive.
    func isoImage(_ reference: String, _ auth: AuthContext) throws -> Image {
        var image: Image
        do { image = try images.image(reference, auth) } catch let error as NimbusError where error.code == .notFound {
            var query = ImageService.ListQuery()
            query.filters["name"] = reference
            query.limit = 2
            let named = try images.list(query, auth).images
            guard named.count == 1 else {
                throw NimbusError.badRequest(named.isEmpty
                    ? "Image \(reference) could not be found."
                    : "More than one image is named \(reference); use its ID.")
            }
            image = named[0]
        }
        guard image.diskFormat == "iso" else {
            throw NimbusError.badRequest("Image \(image.name ?? image.id.rawValue) is \(image.diskFormat ?? "without a disk format"), not an ISO: only ISO images go into a CD drive.")
        }
        guard image.status == .active, image.blob != nil else { throw NimbusError.badRequest("Image \(image.id) is not active.") }
        return image
    }

    /// Applies a media request and, while the VM runs, changes its drive in
    /// the same turn; if QEMU refuses, the record is put back and the caller
    /// hears why.
    func changeMedia(_ event: Event, _ id: String, rule: String, _ auth: AuthContext) async throws {
        let found = try server(id, auth)
        guard Policy.mayModify(owner: found.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow \(rule) to be performed.")
        }
        try await operations.run(found.id) {
            let before = try store.server(id: found.id)?.drives ?? []
            guard let (after, effects) = try apply(event, to: found.id, check: { current in
                if current.locked, !Policy.isAdmin(auth) { throw NimbusError.conflict("Instance \(current.id) is locked") }
            }) else { throw NimbusError.notFound("Instance \(id) could not be found.") }
            for effect in effects {
                do { try await changeMedium(effect, on: found.id) } catch {
                    // What this request changed is put back, and nothing else.
                    for drive in before where !after.drives.contains(drive) {
                        _ = await record(.mediaChangeFailed(drive), for: found.id)
                    }
                    throw Self.mediaError(error, found.id)
                }
            }
        }
    }

    /// Does a media effect on the running VM.
    func changeMedium(_ effect: Effect, on id: ServerID) async throws {
        switch effect {
        case .ejectMedium(let drive, let force):
            try await runtime.ejectMedium(id, drive: drive, force: force)
        case .insertMedium(let drive, let image):
            guard let file = try imageFile(image) else { throw NimbusError.conflict("Image \(image) has no data.") }
            try await runtime.insertMedium(id, drive: drive, file: file)
        case .holdReboots:
            try await runtime.holdReboots(id)
        default:
            break
        }
        logger.info("medium changed", metadata: ["server.id": "\(id)", "effect": "\(effect)"])
    }

    static func mediaError(_ error: any Error, _ id: ServerID) -> NimbusError {
        if let error = error as? NimbusError { return error }
        return NimbusError(.conflict, "The drive of instance \(id) did not change: \(faultMessage(error))", cause: error)
    }
}
