import Foundation
import NimbusCore
import QEMU

/// Building a server's disks and launching its VM: the work behind the
/// `build`, `launch` and `restart` effects.
extension ComputeService {
    /// Makes the root disk (blank for an installer ISO, an overlay over a
    /// disk image) and launches the VM. A failed build leaves no files.
    func build(_ id: ServerID) async -> Event {
        let paths = paths(id)
        let server: Server
        do {
            guard let found = try store.server(id: id) else { throw NimbusError.notFound("Instance \(id) could not be found.") }
            server = found
            guard let imageID = server.imageId, let image = try store.image(id: imageID), let file = try imageFile(imageID) else {
                throw NimbusError.conflict("The image of server \(id) no longer exists.")
            }
            try paths.create()
            if image.diskFormat == "iso" {
                try await runtime.createDisk(at: paths.disk, .blank(sizeBytes: Int64(server.disk) << 30))
            } else {
                try await runtime.createDisk(at: paths.disk, Self.overlay(of: image, file: file, sizeBytes: server.disk > 0 ? Int64(server.disk) << 30 : nil))
            }
            try await start(server, image: image)
        } catch {
            paths.remove()
            return failed(id, error)
        }
        do {
            try networks.setPortStatus(deviceID: id.rawValue, project: server.projectId, .active)
        } catch {
            logger.warning("the server's ports were not marked active", metadata: ["server.id": "\(id)", "error": "\(error)"])
        }
        logger.info("server started", metadata: ["server.id": "\(id)"])
        return .launched
    }

    /// Replaces the root disk with a new one from the server's (new) image,
    /// as a build makes it, and launches the VM when `launch`.
    func rebuild(_ id: ServerID, launch: Bool) async -> Event {
        let paths = paths(id)
        do {
            guard let server = try store.server(id: id) else { throw NimbusError.notFound("Instance \(id) could not be found.") }
            guard let imageID = server.imageId, let image = try store.image(id: imageID), let file = try imageFile(imageID) else {
                throw NimbusError.conflict("The image of server \(id) no longer exists.")
            }
            if FileManager.default.fileExists(atPath: paths.rescueDisk) { try FileManager.default.removeItem(atPath: paths.rescueDisk) }
            // The old disk is set aside until the new one exists: a rebuild
            // that fails to make one keeps the old, and the new disk is a new
            // file (deleting first let the filesystem hand back the same inode).
            let previous = paths.disk + ".previous"
            let hadDisk = FileManager.default.fileExists(atPath: paths.disk)
            if hadDisk {
                if FileManager.default.fileExists(atPath: previous) { try FileManager.default.removeItem(atPath: previous) }
                try FileManager.default.moveItem(atPath: paths.disk, toPath: previous)
            }
            do {
                if image.diskFormat == "iso" {
                    try await runtime.createDisk(at: paths.disk, .blank(sizeBytes: Int64(server.disk) << 30))
                } else {
                    try await runtime.createDisk(at: paths.disk, Self.overlay(of: image, file: file, sizeBytes: server.disk > 0 ? Int64(server.disk) << 30 : nil))
                }
            } catch {
                if hadDisk {
                    try? FileManager.default.removeItem(atPath: paths.disk)
                    do {
                        try FileManager.default.moveItem(atPath: previous, toPath: paths.disk)
                    } catch let restoring {
                        logger.error("the old root disk could not be put back", metadata: [
                            "server.id": "\(id)", "kept.at": "\(previous)", "error": "\(restoring)",
                        ])
                    }
                }
                throw error
            }
            if hadDisk { try FileManager.default.removeItem(atPath: previous) }
            logger.info("server rebuilt", metadata: ["server.id": "\(id)", "image.id": "\(imageID)"])
            guard launch else { return .rebuilt }
            try await start(server, image: image)
            return .launched
        } catch {
            return failed(id, error)
        }
    }

    /// Launches the VM again on its disks, with the installer CD if it is
    /// still in its drive and the rescue image while rescued; `boot` says
    /// where this one boot starts.
    func launch(_ id: ServerID, bootingFrom boot: ServerLifecycle.BootDevice = .disk) async -> Event {
        do {
            guard let server = try store.server(id: id) else { throw NimbusError.notFound("Instance \(id) could not be found.") }
            guard let imageID = server.imageId, let image = try store.image(id: imageID) else {
                throw NimbusError.conflict("The image of server \(id) no longer exists.")
            }
            if server.rescueImageId == nil || server.taskState == .rescuing {
                // The overlay of an earlier rescue goes with it; a new rescue starts from a fresh one.
                try? FileManager.default.removeItem(atPath: paths(id).rescueDisk)
            }
            try await start(server, image: image, boot: boot)
            return .launched
        } catch {
            return failed(id, error)
        }
    }

    private func failed(_ id: ServerID, _ error: any Error) -> Event {
        logger.error("server failed to start", metadata: ["server.id": "\(id)", "error": "\(error)"])
        return .launchFailed(Self.faultMessage(error))
    }

    /// Starts QEMU on the server's existing disk, with what is in its CD drive.
    func start(_ server: Server, image: Image, boot: ServerLifecycle.BootDevice = .disk) async throws {
        let paths = paths(server.id)
        var media: [String: String] = [:]
        for drive in server.drives {
            guard let imageID = drive.imageId else { continue }
            guard let file = try imageFile(imageID) else {
                // An image deleted while in a drive: the drive boots empty, as a lost disc would.
                logger.warning("the image in a drive is gone; the drive starts empty", metadata: ["server.id": "\(server.id)", "drive": "\(drive.id)"])
                continue
            }
            media[drive.id] = file
        }
        var configDrive: String?
        if ConfigDrive.wanted(server, image: image) {
            let nics = try networks.ports(deviceID: server.id.rawValue, project: server.projectId).map {
                ConfigDrive.NIC(mac: $0.macAddress, networkID: $0.networkId.rawValue, portID: $0.id.rawValue)
            }
            try await runtime.writeISO(label: ConfigDrive.label, files: try ConfigDrive(server: server, nics: nics).files(), to: paths.configDrive)
            configDrive = paths.configDrive
        }
        let spec = try VMSpecBuilder(accelerator: await accelerator.accelerator).spec(
            for: server, image: image, media: media, rescue: try await rescueMedia(server, paths: paths),
            configDrive: configDrive, nics: try nicPlans(server), paths: paths, boot: boot)
        // The server's own UEFI variables, made at its first UEFI boot and kept after.
        if case .uefi(_, let variables, let secureBoot) = spec.firmware, !FileManager.default.fileExists(atPath: variables) {
            try await runtime.copyFirmwareVariables(from: VMSpecBuilder.variablesTemplate(secureBoot: secureBoot), to: variables)
        }
        try await runtime.start(server.id, spec: spec, paths: paths)
        await applyForwards(server.id)
    }

    /// Each port of the server as QEMU needs it: the subnet's range and
    /// gateway, and the port's fixed IP as the only address DHCP hands out.
    func nicPlans(_ server: Server) throws -> [VMSpecBuilder.NICPlan] {
        try networks.ports(deviceID: server.id.rawValue, project: server.projectId).compactMap { port in
            guard let fixed = port.fixedIPs.first, let subnet = try networks.subnet(id: fixed.subnetId) else { return nil }
            return VMSpecBuilder.NICPlan(portId: port.id, mac: port.macAddress, cidr: subnet.cidr, gateway: subnet.gatewayIP, address: fixed.ipAddress)
        }
    }

    /// The rescue image as a drive: an ISO as it is, a disk image through
    /// an overlay, so the rescue image's file is never written.
    func rescueMedia(_ server: Server, paths: InstancePaths) async throws -> VMSpecBuilder.RescueMedia? {
        guard let id = server.rescueImageId else { return nil }
        guard let image = try store.image(id: id), let file = try imageFile(id) else {
            throw NimbusError.conflict("The rescue image \(id) no longer exists.")
        }
        if image.diskFormat == "iso" { return .cdrom(iso: file) }
        if !FileManager.default.fileExists(atPath: paths.rescueDisk) {
            try await runtime.createDisk(at: paths.rescueDisk, Self.overlay(of: image, file: file, sizeBytes: nil))
        }
        return .disk(overlay: paths.rescueDisk)
    }

    /// Where an image's bytes are, read-only; nil when it has none (deleted, or never uploaded).
    func imageFile(_ id: ImageID) throws -> String? {
        try store.image(id: id)?.blob.map { try images.blobs.url(for: $0).path }
    }

    /// A qcow2 overlay over a disk image's file, which is never written.
    static func overlay(of image: Image, file: String, sizeBytes: Int64?) -> DiskSource {
        .overlay(backingFile: file, backingFormat: image.diskFormat == "qcow2" ? "qcow2" : "raw", sizeBytes: sizeBytes)
    }
}
