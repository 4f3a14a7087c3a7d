import Compute
import Foundation
import Hummingbird
import Identity
import Images
import Networking
import NimbusCore

/// Instances: the list (its status updates itself), the launch form, and
/// the page of one instance with its consoles, media, actions and access.
extension Dashboard {
    func addInstances<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("instances") { request, _ in
            await page(request) { visitor in
                let servers = try compute.servers(.init(), visitor.auth).servers
                return render("instances", [
                    "title": "Instances", "instances": try instanceRows(servers, visitor), "empty": servers.isEmpty,
                ], visitor)
            }
        }
        // What the list's script polls: each instance's status, so it changes without a reload.
        group.get("instances/status") { request, _ in
            guard let visitor = visitor(request) else { return json(["error": "Log in again."], status: .unauthorized) }
            do {
                let servers = try compute.servers(.init(), visitor.auth).servers
                return json(["instances": servers.map { ["id": $0.id.rawValue, "status": $0.status, "task": $0.taskState?.rawValue ?? ""] }])
            } catch {
                return json(["error": NimbusError.wrap(error).message], status: NimbusError.wrap(error).code.httpStatus)
            }
        }
        group.get("instances/new") { request, _ in
            await page(request) { visitor in
                let chosen = request.uri.queryParameters["image"].map(String.init)
                return try render("launch", launchChoices(visitor, image: chosen).merging(["title": "Launch an instance"]) { $1 }, visitor)
            }
        }
        group.post("instances") { request, context in
            await action(request, context, fallback: "/dashboard/instances/new") { visitor, form in
                var launch = ComputeService.CreateRequest(
                    name: try form.required("name", label: "A name"), imageRef: try form.required("image", label: "An image"),
                    flavorRef: try form.required("flavor", label: "A flavor"))
                launch.keyName = form.optional("key_name")
                launch.configDrive = form["config_drive"] == "on"
                if let network = form.optional("network") { launch.networks = [.network(network)] }
                if let disc = form.optional("cdrom") { launch.extraCDs = [disc] }
                if let userData = form.optional("user_data") {
                    guard userData.utf8.count <= 65535 else { throw NimbusError.badRequest("User data is limited to 64 KiB.") }
                    launch.userData = Data(userData.utf8).base64EncodedString()
                }
                guard let server = try compute.create(launch, visitor.auth).first else { throw NimbusError(.internalError, "No instance was created.") }
                return ("Instance \(server.name) is being built.", "/dashboard/instances/\(server.id)")
            }
        }
        group.get("instances/{id}") { request, context in
            await page(request) { visitor in
                let server = try compute.server(try context.parameters.require("id"), visitor.auth)
                return render("instance", try await instanceDetail(server, visitor), visitor)
            }
        }
        group.get("instances/{id}/screenshot.png") { request, context in
            guard let visitor = visitor(request) else { return Response(status: .unauthorized) }
            do {
                let png = try await compute.screenshot(try context.parameters.require("id"), visitor.auth)
                return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: png)))
            } catch {
                return Response(status: NimbusError.wrap(error).code.httpStatus)
            }
        }
        group.get("instances/{id}/log") { request, context in
            guard let visitor = visitor(request) else { return Response(status: .unauthorized) }
            do {
                let log = try compute.consoleOutput(try context.parameters.require("id"), lines: 200, visitor.auth)
                return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: log)))
            } catch {
                return Response(status: NimbusError.wrap(error).code.httpStatus)
            }
        }
        // A serial console URL for the page's terminal: a fresh one-time token each time.
        group.post("instances/{id}/serial") { request, context in
            guard let visitor = visitor(request) else { return json(["error": "Log in again."], status: .unauthorized) }
            guard checkCSRF(request, visitor) else { return json(["error": "Refused: not sent from this session's page."], status: .forbidden) }
            do {
                let token = try await compute.consoleToken(try context.parameters.require("id"), kind: .serial, visitor.auth)
                return json(["path": "/console/serial?token=\(token)"])
            } catch {
                let failure = NimbusError.wrap(error)
                return json(["error": failure.message], status: failure.code.httpStatus)
            }
        }
        group.get("instances/{id}/ready") { request, context in
            guard let visitor = visitor(request) else { return json(["error": "Log in again."], status: .unauthorized) }
            do {
                let server = try compute.server(try context.parameters.require("id"), visitor.auth)
                return json(await readiness(server, visitor).map { ["command": $0.command, "address": $0.address] } ?? [:])
            } catch {
                return json(["error": NimbusError.wrap(error).message], status: NimbusError.wrap(error).code.httpStatus)
            }
        }
        group.post("instances/{id}/action") { request, context in
            let id = (try? context.parameters.require("id")) ?? ""
            return await action(request, context, fallback: "/dashboard/instances/\(id)") { visitor, form in
                try await perform(try form.required("action", label: "An action"), on: id, form, visitor)
            }
        }
        group.post("instances/{id}/media") { request, context in
            let id = (try? context.parameters.require("id")) ?? ""
            return await action(request, context, fallback: "/dashboard/instances/\(id)") { visitor, form in
                let drive = form.optional("drive")
                switch try form.required("op", label: "A media action") {
                case "eject":
                    _ = try await compute.eject(id, drive: drive, force: form["force"] == "on", visitor.auth)
                    return ("Ejected the disc from \(drive ?? "cd0"). Reboot to start from the installed disk.", "/dashboard/instances/\(id)")
                case "eject-at-reboot":
                    _ = try await compute.eject(id, drive: drive, force: false, atReboot: true, visitor.auth)
                    return ("The disc in \(drive ?? "cd0") stays readable and is ejected when the guest reboots.", "/dashboard/instances/\(id)")
                case "insert":
                    let image = try form.required("image", label: "An ISO image")
                    _ = try await compute.insert(id, imageRef: image, drive: drive, visitor.auth)
                    return ("Inserted the disc into \(drive ?? "cd0").", "/dashboard/instances/\(id)")
                case let other:
                    throw NimbusError.badRequest("\(other) is not a media action.")
                }
            }
        }
    }

    /// One action of the instance page; returns the notice and the next page.
    func perform(_ name: String, on id: String, _ form: FormFields, _ visitor: Visitor) async throws -> (notice: String, next: String) {
        let here = "/dashboard/instances/\(id)"
        let auth = visitor.auth
        switch name {
        case "reboot": try compute.reboot(id, hard: false, auth)
        case "reboot-hard": try compute.reboot(id, hard: true, auth)
        case "reboot-cdrom": try compute.reboot(id, hard: true, from: .cdrom, auth)
        case "stop": try compute.stop(id, auth)
        case "start": try compute.start(id, auth)
        case "pause": try await compute.pause(id, auth)
        case "unpause": try await compute.unpause(id, auth)
        case "lock": try compute.setLocked(true, id, auth)
        case "unlock": try compute.setLocked(false, id, auth)
        case "unrescue": try compute.unrescue(id, auth)
        case "rescue":
            _ = try compute.rescue(id, imageRef: form.optional("image"), auth)
        case "snapshot":
            let image = try compute.createImage(id, name: try form.required("image_name", label: "A name for the image"), metadata: [:], auth)
            return ("Saving the disk as image \(image.name ?? image.id.rawValue); it becomes active when the copy is done.", here)
        case "delete":
            guard form["confirm"] == "yes" else { throw NimbusError.badRequest("Tick the box to confirm the delete.") }
            let server = try compute.server(id, auth)
            try await compute.delete(id, auth)
            return ("Deleted instance \(server.name).", "/dashboard/instances")
        case "floating-ip":
            let address = try attachFloatingIP(to: id, visitor)
            return ("The instance is reachable at \(address).", here)
        case "allow-ssh", "allow-rdp":
            let port = name == "allow-ssh" ? 22 : 3389
            try allow(port: port, visitor)
            return ("TCP port \(port) is open to the instances of project \(auth.project?.name ?? "").", here)
        default:
            throw NimbusError.badRequest("\(name) is not an instance action.")
        }
        return ("\(Self.actionNames[name] ?? name) requested.", here)
    }

    static let actionNames = [
        "reboot": "Reboot", "reboot-hard": "Hard reboot", "reboot-cdrom": "Reboot from CD", "stop": "Stop", "start": "Start",
        "pause": "Pause", "unpause": "Resume", "lock": "Lock", "unlock": "Unlock", "rescue": "Rescue", "unrescue": "Unrescue",
    ]

    // MARK: What the pages show

    /// The list's rows, with one query each for ports, floating IPs and
    /// images, so the page costs the same few queries for 5 servers or 500.
    func instanceRows(_ servers: [Server], _ visitor: Visitor) throws -> [[String: Any]] {
        var query = NetworkService.ListQuery()
        query.filters = [("device_owner", NetworkPort.computeOwner)]
        let ports = try networks.ports(query, visitor.auth)
        let floating = Dictionary(grouping: try networks.floatingIPs(ports: ports), by: { $0.portId })
        let portsOf = Dictionary(grouping: ports, by: \.deviceId)
        var imageQuery = ImageService.ListQuery()
        imageQuery.limit = 1000
        let imageNames = Dictionary(try images.list(imageQuery, visitor.auth).images.map { ($0.id, $0.name ?? $0.id.rawValue) }, uniquingKeysWith: { first, _ in first })
        return servers.map { server in
            let mine = portsOf[server.id.rawValue] ?? []
            let addresses = mine.flatMap { $0.fixedIPs.map(\.ipAddress) } + mine.flatMap { floating[$0.id] ?? [] }.map(\.floatingIpAddress)
            return row(server, image: server.imageId.flatMap { imageNames[$0] } ?? "–", addresses: addresses)
        }
    }

    func row(_ server: Server, image imageName: String, addresses: [String]) -> [String: Any] {
        var row: [String: Any] = ["id": server.id.rawValue, "name": server.name, "status": server.status]
        // Mustache takes an empty string for true: what is not there is left out.
        row["task"] = server.taskState?.rawValue
        row["flavor"] = server.flavorName
        row["image"] = imageName
        row["addresses"] = addresses.joined(separator: ", ")
        return row
    }

    /// The server's fixed and floating addresses.
    func addressList(_ server: Server) throws -> [(address: String, floating: Bool)] {
        let ports = try networks.ports(deviceID: server.id.rawValue, project: server.projectId)
        let fixed = ports.flatMap { $0.fixedIPs.map { (address: $0.ipAddress, floating: false) } }
        let floating = try networks.floatingIPs(ports: ports).map { (address: $0.floatingIpAddress, floating: true) }
        return fixed + floating
    }

    func instanceDetail(_ server: Server, _ visitor: Visitor) async throws -> [String: Any] {
        let id = server.id.rawValue
        let live = server.powerState == .running || server.powerState == .paused
        let addresses = try addressList(server)
        let imageName = server.imageId.flatMap { try? images.image($0.rawValue, visitor.auth).name } ?? "–"
        var values = row(server, image: imageName, addresses: addresses.map(\.address))
        // The page still shows the rest when QEMU cannot say what is in the drives.
        var media: [ComputeService.MediaStatus] = []
        do { media = try await compute.media(id, visitor.auth) } catch {
            logger.warning("the drives were not read for the instance page", metadata: ["server.id": "\(id)", "error": "\(error)"])
        }
        var isoQuery = ImageService.ListQuery()
        isoQuery.filters["disk_format"] = "iso"
        isoQuery.filters["status"] = "active"
        let isos = try images.list(isoQuery, visitor.auth).images
        values["title"] = server.name
        values["live"] = live
        values["running"] = server.powerState == .running
        values["paused"] = server.vmState == .paused
        values["stopped"] = server.vmState == .stopped
        values["rescued"] = server.vmState == .rescued
        values["locked"] = server.locked
        values["keyName"] = server.keyName ?? ""
        values["fault"] = server.fault?.message
        values["fixed"] = addresses.filter { !$0.floating }.map { ["address": $0.address] }
        values["floating"] = addresses.filter(\.floating).map { ["address": $0.address] }
        values["hasFloating"] = addresses.contains(where: \.floating)
        values["drives"] = media.map(Self.driveRow)
        values["hasDisc"] = media.contains { $0.image != nil }
        values["isos"] = isos.map { ["id": $0.id.rawValue, "name": $0.name ?? $0.id.rawValue] }
        var ports: [[String: Any]] = []
        for port in [22, 3389] { ports.append(["port": port, "open": (try? portOpen(port, visitor)) ?? false]) }
        values["ports"] = ports
        // The screen is there only while the VM runs (not while a reboot relaunches it).
        if live, server.powerState == .running, let token = try? await compute.consoleToken(id, kind: .vnc, visitor.auth) {
            let path = "console/vnc?token=\(token)".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            values["vncURL"] = "/console/novnc/vnc.html?autoconnect=true&reconnect=true&resize=scale&path=\(path)"
        }
        if let ready = await readiness(server, visitor) {
            values["ready"] = ["command": ready.command, "address": ready.address]
        }
        return values
    }

    static func driveRow(_ drive: ComputeService.MediaStatus) -> [String: Any] {
        var row: [String: Any] = ["drive": drive.drive, "bus": drive.bus, "empty": drive.image == nil]
        row["image"] = drive.image?.name ?? drive.image?.id.rawValue ?? ""
        row["trayOpen"] = drive.trayOpen
        row["locked"] = drive.locked
        row["ejectAtReboot"] = drive.ejectAtReboot
        return row
    }

    /// The images, flavors, networks and key pairs the launch form offers.
    func launchChoices(_ visitor: Visitor, image chosen: String? = nil) throws -> [String: Any] {
        var query = ImageService.ListQuery()
        query.filters["status"] = "active"
        let active = try images.list(query, visitor.auth).images.sorted { ($0.name ?? "") < ($1.name ?? "") }
        let flavors = try flavors.list(.init(), visitor.auth).sorted { ($0.ram, $0.name) < ($1.ram, $1.name) }
        let usable = try networks.networks(.init(), visitor.auth).filter { !$0.external }
        return [
            "images": active.map { image -> [String: Any] in
                ["id": image.id.rawValue, "name": image.name ?? image.id.rawValue, "format": image.diskFormat ?? "", "selected": image.id.rawValue == chosen]
            },
            "isos": active.filter { $0.diskFormat == "iso" }.map { ["id": $0.id.rawValue, "name": $0.name ?? $0.id.rawValue] },
            "flavors": flavors.map { ["id": $0.id.rawValue, "name": $0.name, "summary": "\($0.vcpus) vCPU, \($0.ram) MiB RAM, \($0.disk) GiB disk"] },
            "networks": usable.map { ["id": $0.id.rawValue, "name": $0.name, "selected": $0.name == "private"] },
            "keypairs": try compute.keypairs(visitor.auth).map { ["name": $0.name] },
        ]
    }
}
