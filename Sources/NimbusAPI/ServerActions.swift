import Compute
import Foundation
import Hummingbird
import Identity
import NimbusCore
import OpenStackAPI

/// `POST /servers/{id}/action`: one small handler per action, each a call
/// of the compute service with the action's typed arguments.
struct ServerActions {
    let compute: ComputeService
    let baseURL: String
    let version: ComputeMicroversion

    /// Nova answers an action outside its microversions with a 404, and a
    /// field a microversion has not introduced yet with a 400.
    static func check(_ action: Nova.ServerAction, at version: ComputeMicroversion) throws {
        let available: Bool
        switch action {
        case .legacyConsole: available = !version.atLeast(6)
        case .triggerCrashDump: available = version.atLeast(17)
        case .addFloatingIp, .removeFloatingIp: available = !version.atLeast(44)
        case .multinic: available = !version.atLeast(44)
        case .lock(let reason):
            available = true
            if reason != nil, !version.atLeast(73) {
                throw NimbusError.badRequest("Invalid input for field/attribute lock. Additional properties are not allowed ('locked_reason' was unexpected)")
            }
        case .rebuild(let rebuild):
            available = true
            func unexpected(_ field: String) -> NimbusError {
                NimbusError.badRequest("Invalid input for field/attribute rebuild. Additional properties are not allowed ('\(field)' was unexpected)")
            }
            if rebuild.description != nil, !version.atLeast(19) { throw unexpected("description") }
            if rebuild.keyName != nil, !version.atLeast(54) { throw unexpected("key_name") }
            if rebuild.userData != nil, !version.atLeast(57) { throw unexpected("user_data") }
            if rebuild.namesPersonality, version.atLeast(57) { throw unexpected("personality") }
            if let certificates = rebuild.trustedCertificates {
                guard version.atLeast(63) else { throw unexpected("trusted_image_certificates") }
                try ServerRoutes.refuseTrustedCertificates(certificates)
            }
        default: available = true
        }
        guard available else { throw NimbusError.notFound("The resource could not be found.") }
    }

    func perform(_ action: Nova.ServerAction, on id: String, _ auth: AuthContext) async throws -> Response {
        try Self.check(action, at: version)
        switch action {
        case .triggerCrashDump: try await compute.triggerCrashDump(id, auth)
        case .multinic(let name):
            throw NimbusError(.notImplemented, "Server action \(name) is not implemented: give a server more ports through the network API.")
        case .start: try compute.start(id, auth)
        case .stop: try compute.stop(id, auth)
        case .reboot(let hard): try compute.reboot(id, hard: hard, auth)
        case .rebootFrom(let boot, let hard): try compute.reboot(id, hard: hard, from: boot == .cdrom ? .cdrom : .disk, auth)
        case .pause: try await compute.pause(id, auth)
        case .unpause: try await compute.unpause(id, auth)
        case .lock(let reason): try compute.setLocked(true, reason: reason, id, auth)
        case .unlock: try compute.setLocked(false, id, auth)
        case .addSecurityGroup(let name): try compute.addSecurityGroup(id, name: name, auth)
        case .removeSecurityGroup(let name): try compute.removeSecurityGroup(id, name: name, auth)
        case .addFloatingIp(let address, let fixed): try compute.addFloatingIP(id, address: address, fixedAddress: fixed, auth)
        case .removeFloatingIp(let address): try compute.removeFloatingIP(id, address: address, auth)
        case .unrescue: try compute.unrescue(id, auth)
        case .createImage(let name, let metadata): return try createImage(id, name: name, metadata: metadata, auth)
        case .rebuild(let rebuild): return try self.rebuild(id, rebuild, auth)
        case .createBackup(let name, let type, let rotation, let metadata):
            let image = try compute.createBackup(
                id, name: name, type: type, rotation: rotation, metadata: metadata, metadataQuota: !version.atLeast(39), auth)
            return try snapshotResponse(image, location: rotation > 0)
        case .rescue(let imageRef, let adminPass): return try rescue(id, imageRef: imageRef, adminPass: adminPass, auth)
        case .consoleOutput(let length): return try consoleOutput(id, length: length, auth)
        case .legacyConsole(let kind, let type): return try await legacyConsole(id, kind, type: type, auth)
        case .eject(let drive, let force, let atReboot):
            return try JSONMessages.response(Self.mediaList(try await compute.eject(id, drive: drive, force: force, atReboot: atReboot, auth)))
        case .insert(let image, let drive):
            return try JSONMessages.response(Self.mediaList(try await compute.insert(id, imageRef: image, drive: drive, auth)))
        }
        return Response(status: .accepted)
    }

    /// The name an action is recorded under, as Nova names its instance
    /// actions; nil for those Nova does not record (reads, security groups).
    static func recordedName(_ action: Nova.ServerAction) -> String? {
        switch action {
        case .start: "start"
        case .stop: "stop"
        case .reboot, .rebootFrom: "reboot"
        case .pause: "pause"
        case .unpause: "unpause"
        case .lock: "lock"
        case .unlock: "unlock"
        case .rescue: "rescue"
        case .unrescue: "unrescue"
        case .triggerCrashDump: "trigger_crash_dump"
        case .createImage: "createImage"
        case .createBackup: "createBackup"
        case .rebuild: "rebuild"
        case .eject: "nimbus-eject"
        case .insert: "nimbus-insert"
        case .addSecurityGroup, .removeSecurityGroup, .addFloatingIp, .removeFloatingIp, .consoleOutput, .legacyConsole, .multinic: nil
        }
    }

    /// A server's drives in Nimbus's media shape.
    static func mediaList(_ media: [ComputeService.MediaStatus]) -> Nova.MediaList {
        Nova.MediaList(media: media.map { status in
            Nova.MediaList.Drive(
                drive: status.drive, bus: status.bus,
                image: status.image.map { Nova.MediaList.ImageRef(id: $0.id.rawValue, name: $0.name) },
                trayOpen: status.trayOpen, locked: status.locked, ejectAtReboot: status.ejectAtReboot)
        })
    }

    func createImage(_ id: String, name: String, metadata: [String: String], _ auth: AuthContext) throws -> Response {
        try snapshotResponse(try compute.createImage(id, name: name, metadata: metadata, metadataQuota: !version.atLeast(39), auth), location: true)
    }

    /// Before 2.45 the new image's id travels only in Location (createBackup
    /// sends it only when it keeps backups); from 2.45 in the body alone.
    func snapshotResponse(_ image: Image, location: Bool) throws -> Response {
        if version.atLeast(45) {
            return try JSONMessages.response(["image_id": image.id.rawValue], status: .accepted)
        }
        var response = Response(status: .accepted)
        if location { response.headers[.location] = "\(baseURL)/image/v2/images/\(image.id)" }
        return response
    }

    /// 202 with the server as it is now (REBUILD) in 2.1's core view, as PUT
    /// answers it, and the password, as Nova answers.
    func rebuild(_ id: String, _ rebuild: Nova.ServerAction.Rebuild, _ auth: AuthContext) throws -> Response {
        var request = ComputeService.RebuildRequest(imageRef: rebuild.imageRef)
        request.name = rebuild.name
        request.metadata = rebuild.metadata
        request.accessIpv4 = rebuild.accessIPv4
        request.accessIpv6 = rebuild.accessIPv6
        request.description = rebuild.description
        request.keyName = rebuild.keyName
        request.userData = rebuild.userData
        let server = try compute.rebuild(id, request, auth)
        let routes = ServerRoutes(compute: compute, baseURL: baseURL)
        var body = try routes.updatedView(server, version, auth)
        // Nova's full view shows user data among the admin's attributes; rebuild gives it at the top.
        body["OS-EXT-SRV-ATTR:user_data"] = nil
        if version.atLeast(54) { body["key_name"] = server.keyName.map(JSONValue.string) ?? .null }
        if version.atLeast(57) { body["user_data"] = server.userData.map(JSONValue.string) ?? .null }
        body["adminPass"] = .string(rebuild.adminPass ?? ComputeService.adminPassword())
        return try JSONMessages.response(["server": .object(body)] as [String: JSONValue], status: .accepted)
    }

    func rescue(_ id: String, imageRef: String?, adminPass: String?, _ auth: AuthContext) throws -> Response {
        let password = try compute.rescue(id, imageRef: imageRef, auth)
        return try JSONMessages.response(["adminPass": adminPass ?? password])
    }

    func consoleOutput(_ id: String, length: Int?, _ auth: AuthContext) throws -> Response {
        try JSONMessages.response(["output": try compute.consoleOutput(id, lines: length, auth)])
    }

    /// Nova before 2.6: {"os-getVNCConsole": {"type": "novnc"}} answers {"console": {type, url}}.
    func legacyConsole(_ id: String, _ kind: Nova.ServerAction.ConsoleProtocol, type: String, _ auth: AuthContext) async throws -> Response {
        let console: ConsoleKind
        switch (kind, type) {
        case (.serial, "serial"): console = .serial
        case (.vnc, "novnc"): console = .vnc
        default: throw NimbusError.badRequest("Unsupported console type \(type) for \(kind.rawValue).")
        }
        let token = try await compute.consoleToken(id, kind: console, auth)
        return try JSONMessages.response([
            "console": ["type": .string(type), "url": .string(ConsoleController.url(for: console, token: token, baseURL: baseURL))],
        ] as [String: JSONValue])
    }
}
