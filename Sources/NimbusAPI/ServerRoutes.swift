import Compute
import Foundation
import Hummingbird
import Identity
import NimbusCore
import OpenStackAPI

/// /servers: create, list, show, delete, and actions.
struct ServerRoutes {
    let compute: ComputeService
    let baseURL: String

    func add(to v21: RouterGroup<AuthenticatedContext>) {
        v21.get("servers") { request, context in try list(request, context, detail: false) }
        v21.get("servers/detail") { request, context in try list(request, context, detail: true) }
        v21.get("servers/{id}") { _, context in
            let server = try compute.server(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["server": .object(try render(server, context))] as [String: JSONValue])
        }
        v21.post("servers") { request, context in
            let body = try await JSONMessages.decode(Nova.CreateServer.self, from: request)
            if body.server.namesDescription, !context.microversion.atLeast(19) {
                throw NimbusError.badRequest("Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)")
            }
            var create = try Self.createRequest(body.server)
            create.serverGroup = body.group
            let servers = try compute.create(create, context.auth)
            for server in servers { compute.recordAction("create", on: server.id, requestID: context.requestID, context.auth) }
            if body.server.returnReservationId {
                return try JSONMessages.response(["reservation_id": .string(servers[0].reservationId)] as [String: JSONValue], status: .accepted)
            }
            let server = servers[0]
            return try JSONMessages.response([
                "server": [
                    "id": .string(server.id.rawValue), "links": Nova.links("servers/\(server.id)", baseURL: baseURL),
                    "OS-DCF:diskConfig": "MANUAL",
                    "security_groups": .array(try compute.securityGroupNames(server).map { ["name": .string($0)] }),
                    // As with rescue, Nova's answer carries a password (the one asked
                    // for, or a new one); Nimbus does not inject it, as Nova's libvirt default.
                    "adminPass": .string(body.server.adminPass ?? ComputeService.adminPassword()),
                ],
            ] as [String: JSONValue], status: .accepted)
        }
        v21.put("servers/{id}") { request, context in
            let changes = try await JSONMessages.decode(Nova.UpdateServer.self, from: request)
            if changes.description != nil, !context.microversion.atLeast(19) {
                throw NimbusError.badRequest("Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)")
            }
            let server = try compute.update(
                try context.parameters.require("id"), name: changes.name, accessIpv4: changes.accessIPv4, accessIpv6: changes.accessIPv6,
                description: changes.description, context.auth)
            let body = Nova.core(server, baseURL: baseURL, addresses: try ips(server), minor: context.microversion.minor)
            return try JSONMessages.response(["server": .object(body)] as [String: JSONValue])
        }
        addMetadata(to: v21)
        // The addresses alone (Nova's ips view: version and address), all or one network's.
        v21.get("servers/{id}/ips") { _, context in
            let server = try compute.server(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["addresses": .object(try ips(server))] as [String: JSONValue])
        }
        v21.get("servers/{id}/ips/{network}") { _, context in
            let server = try compute.server(try context.parameters.require("id"), context.auth)
            let network = try context.parameters.require("network")
            guard let entries = try ips(server)[network] else { throw NimbusError.notFound("There is no such network \(network) on this server.") }
            return try JSONMessages.response([network: entries] as [String: JSONValue])
        }
        // Nimbus injects no password (the guest sets its own), so there is none to give or clear.
        v21.get("servers/{id}/os-server-password") { _, context in
            _ = try compute.server(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["password": ""])
        }
        v21.delete("servers/{id}/os-server-password") { _, context in
            _ = try compute.server(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
        // Nimbus's own: the CD drives and what is in them (eject and insert are actions).
        v21.get("servers/{id}/nimbus-media") { _, context in
            try JSONMessages.response(ServerActions.mediaList(try await compute.media(try context.parameters.require("id"), context.auth)))
        }
        // Nimbus's own: the screen as PNG, and keys for unattended installs.
        v21.get("servers/{id}/screenshot") { _, context in
            let png = try await compute.screenshot(try context.parameters.require("id"), context.auth)
            return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
        v21.post("servers/{id}/keys") { request, context in
            let keys = try await JSONMessages.decode(Nova.SendKeys.self, from: request)
            try await compute.sendKeys(try context.parameters.require("id"), chords: keys.keys, text: keys.text, context.auth)
            return Response(status: .accepted)
        }
        v21.post("servers/{id}/remote-consoles") { request, context in
            let console = try await JSONMessages.decode(Nova.RemoteConsoleRequest.self, from: request)
            let kind: ConsoleKind
            switch (console.protocol, console.type) {
            case ("serial", "serial"): kind = .serial
            case ("vnc", "novnc"): kind = .vnc
            default:
                throw NimbusError.badRequest("Unsupported console protocol \(console.protocol) with type \(console.type); Nimbus offers vnc/novnc and serial/serial.")
            }
            let token = try await compute.consoleToken(try context.parameters.require("id"), kind: kind, context.auth)
            return try JSONMessages.response([
                "remote_console": [
                    "protocol": .string(console.protocol), "type": .string(console.type),
                    "url": .string(ConsoleController.url(for: kind, token: token, baseURL: baseURL)),
                ],
            ] as [String: JSONValue])
        }
        v21.delete("servers/{id}") { _, context in
            try await compute.delete(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
        v21.post("servers/{id}/action") { request, context in
            // A missing server is a 404 whatever the action, as in Nova, even one Nimbus does not offer.
            _ = try compute.server(try context.parameters.require("id"), context.auth)
            let action = try await JSONMessages.decode(Nova.ServerAction.self, from: request)
            let id = try context.parameters.require("id")
            let response = try await ServerActions(compute: compute, baseURL: baseURL, version: context.microversion).perform(action, on: id, context.auth)
            if let name = ServerActions.recordedName(action), let server = ServerID.parse(id) {
                compute.recordAction(name, on: server, requestID: context.requestID, context.auth)
            }
            return response
        }
        v21.get("servers/{id}/os-instance-actions") { _, context in
            let actions = try compute.instanceActions(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["instanceActions": .array(actions.map { .object(Self.render($0)) })] as [String: JSONValue])
        }
        v21.get("servers/{id}/os-instance-actions/{request}") { _, context in
            let action = try compute.instanceAction(try context.parameters.require("id"), requestID: try context.parameters.require("request"), context.auth)
            var body = Self.render(action)
            // Nimbus keeps no per-step events; admins, who would see them, get an empty list.
            if Policy.isAdmin(context.auth) { body["events"] = [] }
            return try JSONMessages.response(["instanceAction": .object(body)] as [String: JSONValue])
        }
    }

    /// /servers/{id}/metadata and /servers/{id}/metadata/{key}.
    func addMetadata(to v21: RouterGroup<AuthenticatedContext>) {
        v21.get("servers/{id}/metadata") { _, context in
            let server = try compute.server(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["metadata": server.metadata])
        }
        v21.post("servers/{id}/metadata") { request, context in
            let metadata = try compute.setMetadata(
                try context.parameters.require("id"), try await Self.metadataItems(request, key: "metadata"), replace: false, context.auth)
            return try JSONMessages.response(["metadata": metadata])
        }
        v21.put("servers/{id}/metadata") { request, context in
            let metadata = try compute.setMetadata(
                try context.parameters.require("id"), try await Self.metadataItems(request, key: "metadata"), replace: true, context.auth)
            return try JSONMessages.response(["metadata": metadata])
        }
        v21.get("servers/{id}/metadata/{key}") { _, context in
            let server = try compute.server(try context.parameters.require("id"), context.auth)
            let key = try context.parameters.require("key")
            guard let value = server.metadata[key] else { throw NimbusError.notFound("Metadata item was not found") }
            return try JSONMessages.response(["meta": [key: value]])
        }
        v21.put("servers/{id}/metadata/{key}") { request, context in
            let key = try context.parameters.require("key")
            let meta = try await Self.metadataItems(request, key: "meta")
            guard meta.count == 1, let value = meta[key] else {
                throw NimbusError.badRequest("Request body and URI mismatch")
            }
            _ = try compute.setMetadata(try context.parameters.require("id"), [key: value], replace: false, context.auth)
            return try JSONMessages.response(["meta": [key: value]])
        }
        v21.delete("servers/{id}/metadata/{key}") { _, context in
            try compute.deleteMetadata(try context.parameters.require("id"), key: try context.parameters.require("key"), context.auth)
            return Response(status: .noContent)
        }
    }

    func render(_ server: Server, _ context: AuthenticatedContext) throws -> [String: JSONValue] {
        try render(server, context.auth, minor: context.microversion.minor)
    }

    func render(_ server: Server, _ auth: AuthContext, minor: Int) throws -> [String: JSONValue] {
        let addresses = try compute.addresses(server).mapValues { entries -> JSONValue in
            .array(entries.map { entry in
                ["version": 4, "addr": .string(entry.address), "OS-EXT-IPS:type": entry.floating ? "floating" : "fixed",
                 "OS-EXT-IPS-MAC:mac_addr": .string(entry.mac)]
            })
        }
        return Nova.server(
            server, baseURL: baseURL, admin: Policy.isAdmin(auth), addresses: addresses,
            securityGroups: try compute.securityGroupNames(server), minor: minor)
    }

    static func render(_ action: InstanceAction) -> [String: JSONValue] {
        [
            "action": .string(action.action), "instance_uuid": .string(action.serverId.rawValue), "request_id": .string(action.requestId),
            "user_id": .string(action.userId.rawValue), "project_id": .string(action.projectId.rawValue),
            "start_time": .string(Timestamps.iso8601(action.startTime)), "message": action.message.map(JSONValue.string) ?? .null,
        ]
    }

    func ips(_ server: Server) throws -> [String: JSONValue] {
        try compute.addresses(server).mapValues { entries in
            .array(entries.map { ["version": 4, "addr": .string($0.address)] })
        }
    }

    func list(_ request: Request, _ context: AuthenticatedContext, detail: Bool) throws -> Response {
        var query = ComputeService.ListQuery()
        var limit: Int?
        var marker: String?
        var ipPattern: NSRegularExpression?
        var noneMatch = false
        for (key, value) in QueryParameters.decode(request.uri.query) {
            switch key {
            case "limit":
                guard let number = Int(value), number >= 0 else {
                    throw NimbusError.badRequest("Invalid input for query parameters limit. Value: \(value). '\(value)' does not match '^[0-9]*$'")
                }
                limit = number
            case "marker": marker = value
            case "ip":
                do { ipPattern = try NSRegularExpression(pattern: value) } catch {
                    throw NimbusError.badRequest("Invalid input for query parameters ip. Value: \(value). It is not a regular expression.")
                }
            case "ip6" where context.microversion.atLeast(5) || Policy.isAdmin(context.auth):
                // Nimbus gives servers IPv4 addresses only: no server has an IPv6 one to match.
                noneMatch = true
            case "all_tenants": query.allTenants = value.isEmpty || ["1", "true", "yes", "t", "on"].contains(value.lowercased())
            case "name": query.name = value
            case "status": query.status = value
            case "image": query.imageId = value
            case "flavor": query.flavorId = value
            case "changes-since":
                guard let date = ISO8601DateFormatter().date(from: value) else {
                    throw NimbusError.badRequest("Invalid input for query parameters changes-since. Value: \(value).")
                }
                query.changesSince = date
            default: continue
            }
        }
        var servers = noneMatch ? [] : try compute.servers(query, context.auth)
        // Nova's ip filter: a regular expression matched against the fixed IPs.
        if let ipPattern {
            servers = try servers.filter { server in
                try compute.addresses(server).values.joined().contains { entry in
                    !entry.floating && ipPattern.firstMatch(in: entry.address, range: NSRange(entry.address.startIndex..., in: entry.address)) != nil
                }
            }
        }
        if let marker {
            guard let index = servers.firstIndex(where: { $0.id.rawValue == marker }) else {
                throw NimbusError.badRequest("marker [\(marker)] not found")
            }
            servers.removeFirst(index + 1)
        }
        var links: JSONValue?
        if let limit {
            if servers.count > limit, let last = servers.prefix(limit).last {
                links = [["rel": "next", "href": .string("\(baseURL)/compute/v2.1/servers\(detail ? "/detail" : "")?limit=\(limit)&marker=\(last.id)")]]
            }
            servers = Array(servers.prefix(limit))
        }
        let bodies: [JSONValue] = try servers.map { server in
            detail ? .object(try render(server, context))
                : ["id": .string(server.id.rawValue), "name": .string(server.name), "links": Nova.links("servers/\(server.id)", baseURL: baseURL)]
        }
        var body: [String: JSONValue] = ["servers": .array(bodies)]
        if let links { body["servers_links"] = links }
        return try JSONMessages.response(body)
    }

    /// The `metadata` or `meta` object of a metadata request.
    static func metadataItems(_ request: Request, key: String) async throws -> [String: String] {
        let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
        guard body[key] != nil else {
            throw NimbusError.badRequest("Invalid input for field/attribute \(key): '\(key)' is a required property.")
        }
        return try Nova.metadata(body[key], field: key)
    }

    /// What a create request asks the compute service for.
    static func createRequest(_ draft: Nova.ServerDraft) throws -> ComputeService.CreateRequest {
        var request = ComputeService.CreateRequest(
            name: draft.name, imageRef: draft.imageRef, flavorRef: draft.flavorRef, metadata: draft.metadata,
            keyName: draft.keyName, userData: draft.userData, configDrive: draft.configDrive)
        request.description = draft.description
        switch draft.networks {
        case .auto: request.networks = nil
        case .none: request.networks = []
        case .list(let nics):
            request.networks = nics.map { nic in
                if let port = nic.port { return .port(port) }
                return .network(nic.network ?? "", fixedIP: nic.fixedIP)
            }
        }
        request.securityGroups = draft.securityGroups
        request.accessIpv4 = draft.accessIPv4
        request.accessIpv6 = draft.accessIPv6
        request.minCount = draft.minCount
        request.maxCount = draft.maxCount
        for device in draft.blockDevices { try map(device, draft: draft, into: &request) }
        return request
    }

    /// Block device mappings Nimbus honours: the boot image, ISO images as
    /// extra CD drives (a Nimbus addition: Nova refuses images mapped to
    /// local storage except as the boot device), and a blank local disk
    /// whose volume_size sizes the root disk. Volumes are refused as Nova
    /// refuses what it cannot map.
    static func map(_ device: Nova.ServerDraft.BlockDevice, draft: Nova.ServerDraft, into request: inout ComputeService.CreateRequest) throws {
        func invalid(_ reason: String) -> NimbusError { NimbusError.badRequest("Block Device Mapping is Invalid: \(reason)") }
        guard device.destinationType ?? "local" == "local", ["image", "blank"].contains(device.sourceType) else {
            throw invalid("Nimbus has no volumes; boot from an image, and add ISO images as CD drives (source_type=image, destination_type=local, device_type=cdrom).")
        }
        switch (device.sourceType, device.deviceType ?? "disk") {
        case ("image", "cdrom") where device.bootIndex != 0:
            guard let image = device.uuid else { throw invalid("a CD drive's image needs a uuid.") }
            request.extraCDs.append(image)
        case ("image", _) where device.bootIndex == 0:
            guard device.uuid == nil || device.uuid == draft.imageRef else {
                throw invalid("the boot image \(device.uuid ?? "") is not imageRef \(draft.imageRef).")
            }
        case ("image", _):
            throw invalid("Mapping image to local is not supported.")
        case ("blank", "disk"):
            guard device.guestFormat == nil else {
                throw invalid("swap and ephemeral disks are not supported; a blank local disk sizes the root disk.")
            }
            guard request.rootDiskGiB == nil else { throw invalid("only one blank local disk (the root disk's size) is supported.") }
            guard let size = device.volumeSize, (1...4096).contains(size) else {
                throw invalid("a blank local disk needs a volume_size of 1 to 4096 GiB.")
            }
            request.rootDiskGiB = size
        default:
            throw invalid("device_type \(device.deviceType ?? "") of a \(device.sourceType) mapping is not supported.")
        }
    }
}
