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
            return try JSONMessages.response(["server": .object(render(server, context.auth))] as [String: JSONValue])
        }
        v21.post("servers") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            let servers = try compute.create(try Self.createRequest(body), context.auth)
            if case .object(let server)? = body["server"], server["return_reservation_id"]?.boolValue == true {
                return try JSONMessages.response(["reservation_id": "r-\(servers[0].id.rawValue.prefix(8))"], status: .accepted)
            }
            let server = servers[0]
            return try JSONMessages.response([
                "server": [
                    "id": .string(server.id.rawValue), "links": Nova.links("servers/\(server.id)", baseURL: baseURL),
                    "OS-DCF:diskConfig": "MANUAL",
                    "security_groups": .array(compute.securityGroupNames(server).map { ["name": .string($0)] }),
                ],
            ] as [String: JSONValue], status: .accepted)
        }
        v21.put("servers/{id}") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard case .object(let changes)? = body["server"] else {
                throw NimbusError.badRequest("Invalid input for field/attribute server: 'server' is a required property.")
            }
            try JSONMessages.refuseUnknown(changes, allowed: ["name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"], in: "server")
            var server = try compute.server(try context.parameters.require("id"), context.auth)
            if let name = changes["name"] {
                guard let text = name.stringValue else {
                    throw NimbusError.badRequest("Invalid input for field/attribute name. Value: \(name). It must be a string.")
                }
                server = try compute.rename(server.id.rawValue, to: text, context.auth)
            }
            return try JSONMessages.response(["server": .object(render(server, context.auth))] as [String: JSONValue])
        }
        addMetadata(to: v21)
        // Nimbus's own: the screen as PNG, and keys for unattended installs.
        v21.get("servers/{id}/screenshot") { _, context in
            let png = try await compute.screenshot(try context.parameters.require("id"), context.auth)
            return Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
        v21.post("servers/{id}/keys") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            try JSONMessages.refuseUnknown(body, allowed: ["keys", "text"], in: "keys")
            var chords: [String] = []
            if case .array(let keys)? = body["keys"] {
                chords = try keys.map { key in
                    guard let name = key.stringValue else { throw NimbusError.badRequest("Invalid input for field/attribute keys: each key is a string.") }
                    return name
                }
            } else if body["keys"] != nil {
                throw NimbusError.badRequest("Invalid input for field/attribute keys: a list of key names such as [\"ctrl-alt-delete\"].")
            }
            try await compute.sendKeys(try context.parameters.require("id"), chords: chords, text: body["text"]?.stringValue, context.auth)
            return Response(status: .accepted)
        }
        v21.post("servers/{id}/remote-consoles") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard case .object(let console)? = body["remote_console"], let proto = console["protocol"]?.stringValue,
                  let type = console["type"]?.stringValue else {
                throw NimbusError.badRequest("Invalid input for field/attribute remote_console: 'protocol' and 'type' are required.")
            }
            let kind: ConsoleKind
            switch (proto, type) {
            case ("serial", "serial"): kind = .serial
            case ("vnc", "novnc"): kind = .vnc
            default: throw NimbusError.badRequest("Unsupported console protocol \(proto) with type \(type); Nimbus offers vnc/novnc and serial/serial.")
            }
            let token = try await compute.consoleToken(try context.parameters.require("id"), kind: kind, context.auth)
            return try JSONMessages.response([
                "remote_console": [
                    "protocol": .string(proto), "type": .string(type),
                    "url": .string(ConsoleController.url(for: kind, token: token, baseURL: baseURL)),
                ],
            ] as [String: JSONValue])
        }
        v21.delete("servers/{id}") { _, context in
            try await compute.delete(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
        v21.post("servers/{id}/action") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            let id = try context.parameters.require("id")
            guard body.count == 1, let (action, argument) = body.first else {
                throw NimbusError.badRequest("The action body must name exactly one action.")
            }
            switch action {
            case "os-getConsoleOutput":
                let length: Int?
                switch argument {
                case .object(let object): length = object["length"].flatMap { $0.intValue ?? $0.stringValue.flatMap(Int.init) }
                default: length = nil
                }
                let output = try compute.consoleOutput(id, lines: length, context.auth)
                return try JSONMessages.response(["output": output])
            case "os-stop":
                try compute.stop(id, context.auth)
                return Response(status: .accepted)
            case "pause":
                try await compute.pause(id, context.auth)
                return Response(status: .accepted)
            case "unpause":
                try await compute.unpause(id, context.auth)
                return Response(status: .accepted)
            case "lock", "unlock":
                try compute.setLocked(action == "lock", id, context.auth)
                return Response(status: .accepted)
            case "addSecurityGroup", "removeSecurityGroup":
                guard case .object(let object) = argument, let name = object["name"]?.stringValue, !name.isEmpty else {
                    throw NimbusError.badRequest("Invalid input for field/attribute \(action): 'name' is a required property.")
                }
                if action == "addSecurityGroup" {
                    try compute.addSecurityGroup(id, name: name, context.auth)
                } else {
                    try compute.removeSecurityGroup(id, name: name, context.auth)
                }
                return Response(status: .accepted)
            case "createImage":
                guard case .object(let object) = argument, let name = object["name"]?.stringValue,
                      !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 255 else {
                    throw NimbusError.badRequest("Invalid input for field/attribute createImage: 'name' is a required string of 1 to 255 characters.")
                }
                try JSONMessages.refuseUnknown(object, allowed: ["name", "metadata"], in: "createImage")
                let metadata = try Self.metadata(object["metadata"], field: "metadata")
                let image = try compute.createImage(id, name: name, metadata: metadata, context.auth)
                // Before 2.45 the new image's id travels only in Location.
                var response = Response(status: .accepted)
                response.headers[.location] = "\(baseURL)/image/v2/images/\(image.id)"
                return response
            case "rescue":
                var imageRef: String?
                var requestedPassword: String?
                switch argument {
                case .null: break
                case .object(let object):
                    try JSONMessages.refuseUnknown(object, allowed: ["rescue_image_ref", "adminPass"], in: "rescue")
                    imageRef = object["rescue_image_ref"]?.stringValue
                    requestedPassword = object["adminPass"]?.stringValue
                default:
                    throw NimbusError.badRequest("Invalid input for field/attribute rescue. Value: \(argument).")
                }
                let password = try compute.rescue(id, imageRef: imageRef, context.auth)
                return try JSONMessages.response(["adminPass": requestedPassword ?? password])
            case "unrescue":
                try compute.unrescue(id, context.auth)
                return Response(status: .accepted)
            case "os-getSerialConsole", "os-getVNCConsole":
                // Nova before 2.6: {"os-getVNCConsole": {"type": "novnc"}} answers {"console": {type, url}}.
                guard case .object(let object) = argument, let type = object["type"]?.stringValue else {
                    throw NimbusError.badRequest("Invalid input for field/attribute \(action): 'type' is a required property.")
                }
                let kind: ConsoleKind
                switch (action, type) {
                case ("os-getSerialConsole", "serial"): kind = .serial
                case ("os-getVNCConsole", "novnc"): kind = .vnc
                default: throw NimbusError.badRequest("Unsupported console type \(type) for \(action).")
                }
                let token = try await compute.consoleToken(id, kind: kind, context.auth)
                return try JSONMessages.response([
                    "console": ["type": .string(type), "url": .string(ConsoleController.url(for: kind, token: token, baseURL: baseURL))],
                ] as [String: JSONValue])
            case "os-start":
                try compute.start(id, context.auth)
                return Response(status: .accepted)
            case "reboot":
                guard case .object(let object) = argument, let type = object["type"]?.stringValue?.uppercased(),
                      type == "SOFT" || type == "HARD" else {
                    throw NimbusError.badRequest("Invalid input for field/attribute reboot: 'type' must be SOFT or HARD.")
                }
                try compute.reboot(id, hard: type == "HARD", context.auth)
                return Response(status: .accepted)
            default:
                throw NimbusError(.notImplemented, "Server action \(action) is not implemented yet.")
            }
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

    func render(_ server: Server, _ auth: AuthContext) -> [String: JSONValue] {
        let addresses = compute.addresses(server).mapValues { entries -> JSONValue in
            .array(entries.map { entry in
                ["version": 4, "addr": .string(entry.address), "OS-EXT-IPS:type": entry.floating ? "floating" : "fixed",
                 "OS-EXT-IPS-MAC:mac_addr": .string(entry.mac)]
            })
        }
        return Nova.server(
            server, baseURL: baseURL, admin: Policy.isAdmin(auth), addresses: addresses,
            securityGroups: compute.securityGroupNames(server))
    }

    func list(_ request: Request, _ context: AuthenticatedContext, detail: Bool) throws -> Response {
        var query = ComputeService.ListQuery()
        for (key, value) in QueryParameters.decode(request.uri.query) {
            switch key {
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
        let servers = try compute.servers(query, context.auth)
        let bodies: [JSONValue] = servers.map { server in
            detail ? .object(render(server, context.auth))
                : ["id": .string(server.id.rawValue), "name": .string(server.name), "links": Nova.links("servers/\(server.id)", baseURL: baseURL)]
        }
        return try JSONMessages.response(["servers": .array(bodies)] as [String: JSONValue])
    }

    /// The `metadata` or `meta` object of a metadata request.
    static func metadataItems(_ request: Request, key: String) async throws -> [String: String] {
        let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
        guard body[key] != nil else {
            throw NimbusError.badRequest("Invalid input for field/attribute \(key): '\(key)' is a required property.")
        }
        return try metadata(body[key], field: key)
    }

    /// Nova's metadata: an object of strings, keys of 1 to 255 characters, values of at most 255.
    static func metadata(_ value: JSONValue?, field: String) throws -> [String: String] {
        var metadata: [String: String] = [:]
        switch value {
        case nil: return [:]
        case .object(let object)?:
            for (key, value) in object {
                guard let text = value.stringValue, !key.isEmpty, key.count <= 255, text.count <= 255 else {
                    throw NimbusError.badRequest("Invalid input for field/attribute \(field): keys must be 1 to 255 characters and values strings of at most 255.")
                }
                metadata[key] = text
            }
            return metadata
        case let other?:
            throw NimbusError.badRequest("Invalid input for field/attribute \(field). Value: \(other). It must be an object.")
        }
    }

    /// The body of POST /servers, as strict as Nova's schema at 2.1.
    static func createRequest(_ body: [String: JSONValue]) throws -> ComputeService.CreateRequest {
        guard case .object(let server)? = body["server"] else {
            throw NimbusError.badRequest("Invalid input for field/attribute server: 'server' is a required property.")
        }
        let allowed: Set<String> = [
            "name", "imageRef", "flavorRef", "networks", "metadata", "key_name", "user_data", "config_drive",
            "min_count", "max_count", "security_groups", "availability_zone", "adminPass", "OS-DCF:diskConfig",
            "block_device_mapping_v2", "return_reservation_id",
        ]
        try JSONMessages.refuseUnknown(server, allowed: allowed, in: "server")
        guard let name = server["name"]?.stringValue else {
            throw NimbusError.badRequest("Invalid input for field/attribute name: 'name' is a required property.")
        }
        guard let imageRef = server["imageRef"]?.stringValue, !imageRef.isEmpty else {
            throw NimbusError.badRequest("Invalid input for field/attribute imageRef: an image is required (booting from volumes is not supported).")
        }
        guard let flavorRef = server["flavorRef"]?.stringValue ?? server["flavorRef"]?.intValue.map(String.init) else {
            throw NimbusError.badRequest("Invalid input for field/attribute flavorRef: 'flavorRef' is a required property.")
        }
        let metadata = try metadata(server["metadata"], field: "metadata")
        let userData = server["user_data"]?.stringValue
        if let userData, Data(base64Encoded: userData) == nil {
            throw NimbusError.badRequest("Invalid input for field/attribute user_data: it must be base64-encoded.")
        }
        var configDrive = false
        switch server["config_drive"] {
        case .bool(let flag)?: configDrive = flag
        case .string(let text)?: configDrive = ["true", "1", "yes", "t", "on"].contains(text.lowercased())
        default: break
        }
        var networks: [ComputeService.NetworkRequest]?
        switch server["networks"] {
        // The openstack client sends [] without --nic; Nova then picks the
        // network available to the project, as "auto" does.
        case nil, .null?, .string("auto")?, .array([])?: networks = nil
        case .string("none")?: networks = []
        case .array(let items)?:
            var requested: [ComputeService.NetworkRequest] = []
            for item in items {
                guard case .object(let nic) = item else {
                    throw NimbusError.badRequest("Invalid input for field/attribute networks: each entry must be an object.")
                }
                if let port = nic["port"]?.stringValue {
                    requested.append(.port(port))
                    continue
                }
                guard let network = nic["uuid"]?.stringValue else {
                    throw NimbusError.badRequest("Invalid input for field/attribute networks: each entry needs a 'uuid' or a 'port'.")
                }
                requested.append(.network(network, fixedIP: nic["fixed_ip"]?.stringValue))
            }
            networks = requested
        case let other?:
            throw NimbusError.badRequest("Invalid input for field/attribute networks. Value: \(other).")
        }
        var request = ComputeService.CreateRequest(
            name: name, imageRef: imageRef, flavorRef: flavorRef, metadata: metadata,
            keyName: server["key_name"]?.stringValue, userData: userData, configDrive: configDrive, networks: networks)
        func count(_ key: String) throws -> Int? {
            guard let value = server[key] else { return nil }
            guard let number = value.intValue ?? value.stringValue.flatMap({ Int($0) }), number >= 1 else {
                throw NimbusError.badRequest("Invalid input for field/attribute \(key). Value: \(value). It must be an integer of at least 1.")
            }
            return number
        }
        switch server["security_groups"] {
        case nil: break
        case .array(let items)?:
            request.securityGroups = try items.map { item in
                guard case .object(let group) = item, let name = group["name"]?.stringValue, !name.isEmpty else {
                    throw NimbusError.badRequest("Invalid input for field/attribute security_groups: each entry must be an object with a 'name'.")
                }
                return name
            }
        case let other?:
            throw NimbusError.badRequest("Invalid input for field/attribute security_groups. Value: \(other). It must be an array.")
        }
        request.minCount = try count("min_count") ?? 1
        request.maxCount = try count("max_count") ?? request.minCount
        return request
    }
}
