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
            var body = try render(server, context)
            if context.microversion.atLeast(71) { body["server_groups"] = try serverGroups(server) }
            return try JSONMessages.response(["server": .object(body)] as [String: JSONValue])
        }
        v21.post("servers") { request, context in
            let body = try await JSONMessages.decode(Nova.CreateServer.self, from: request)
            try Self.check(body.server, at: context.microversion, context.auth)
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
            let body = try updatedView(server, context.microversion, context.auth)
            return try JSONMessages.response(["server": .object(body)] as [String: JSONValue])
        }
        addMetadata(to: v21)
        addTags(to: v21)
        // 2.78: the guest's NUMA topology. Nimbus gives guests none (one
        // node, no pinning), which Nova answers as no nodes.
        v21.group().add(middleware: MicroversionWindow(from: 78)).get("servers/{id}/topology") { _, context in
            _ = try compute.server(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["nodes": [], "pagesize_kb": .null] as [String: JSONValue])
        }
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
            let id = try context.parameters.require("id")
            try await compute.delete(id, context.auth)
            if let server = ServerID.parse(id) { compute.recordAction("delete", on: server, requestID: context.requestID, context.auth) }
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
        v21.get("servers/{id}/os-instance-actions") { request, context in
            let id = try context.parameters.require("id")
            var actions = try compute.instanceActions(id, deleted: context.microversion.atLeast(21), context.auth)
            let version = context.microversion
            guard version.atLeast(58) else {
                return try JSONMessages.response(["instanceActions": .array(actions.map { .object(Self.render($0)) })] as [String: JSONValue])
            }
            // 2.58: paged by request id, filtered by time, and strict about its query.
            var allowed: Set<String> = ["limit", "marker", "changes-since"]
            if version.atLeast(66) { allowed.insert("changes-before") }
            let query = QueryParameters.first(request)
            if let unknown = query.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw NimbusError.badRequest("Invalid input for query parameters \(unknown). Additional properties are not allowed ('\(unknown)' was unexpected)")
            }
            let window = try Self.changesWindow(query)
            actions = actions.filter { window.contains($0.startTime) }
            if let marker = query["marker"] {
                guard let index = actions.firstIndex(where: { $0.requestId == marker }) else {
                    throw NimbusError.badRequest("Marker \(marker) could not be found.")
                }
                actions.removeFirst(index + 1)
            }
            var body: [String: JSONValue] = [:]
            if let text = query["limit"] {
                guard let limit = Int(text), limit >= 0 else {
                    throw NimbusError.badRequest("Invalid input for query parameters limit. Value: \(text). '\(text)' does not match '^[0-9]*$'")
                }
                if actions.count > limit, let last = actions.prefix(limit).last {
                    body["links"] = [["rel": "next", "href": .string("\(baseURL)/compute/v2.1/servers/\(id)/os-instance-actions?limit=\(limit)&marker=\(last.requestId)")]]
                }
                actions = Array(actions.prefix(limit))
            }
            body["instanceActions"] = .array(actions.map { .object(Self.render($0, updatedAt: true)) })
            return try JSONMessages.response(body)
        }
        v21.get("servers/{id}/os-instance-actions/{request}") { _, context in
            let action = try compute.instanceAction(
                try context.parameters.require("id"), requestID: try context.parameters.require("request"), deleted: context.microversion.atLeast(21),
                context.auth)
            var body = Self.render(action, updatedAt: context.microversion.atLeast(58))
            // Nimbus keeps no per-step events; admins, who would see them
            // (everyone from 2.51), get an empty list.
            if Policy.isAdmin(context.auth) || context.microversion.atLeast(51) { body["events"] = [] }
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

    /// 2.26's /servers/{id}/tags; 404 before it, as Nova answers.
    func addTags(to v21: RouterGroup<AuthenticatedContext>) {
        @Sendable func available(_ context: AuthenticatedContext) throws -> String {
            guard context.microversion.atLeast(26) else { throw NimbusError.notFound("The resource could not be found.") }
            return try context.parameters.require("id")
        }
        v21.get("servers/{id}/tags") { _, context in
            try JSONMessages.response(["tags": try compute.tags(of: try available(context), context.auth)])
        }
        v21.put("servers/{id}/tags") { request, context in
            let id = try available(context)
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard case .array(let items)? = body["tags"], body.count == 1 else {
                throw NimbusError.badRequest("Invalid input for field/attribute tags: 'tags' is a required list, alone in the body.")
            }
            let tags = try items.map { item in
                guard case .string(let tag) = item else { throw NimbusError.badRequest("Invalid input for field/attribute tags. Value: \(item). Tags are strings.") }
                return tag
            }
            return try JSONMessages.response(["tags": try compute.setTags(tags, of: id, context.auth)])
        }
        v21.delete("servers/{id}/tags") { _, context in
            _ = try compute.setTags([], of: try available(context), context.auth)
            return Response(status: .noContent)
        }
        v21.get("servers/{id}/tags/{tag}") { _, context in
            let tag = try context.parameters.require("tag")
            guard try compute.tags(of: try available(context), context.auth).contains(tag) else {
                throw NimbusError.notFound("Tag \(tag) could not be found.")
            }
            return Response(status: .noContent)
        }
        v21.put("servers/{id}/tags/{tag}") { _, context in
            let id = try available(context)
            let tag = try context.parameters.require("tag")
            guard try compute.addTag(tag, to: id, context.auth) else { return Response(status: .noContent) }
            return Response(status: .created, headers: [.location: "\(baseURL)/compute/v2.1/servers/\(id)/tags/\(tag)"])
        }
        v21.delete("servers/{id}/tags/{tag}") { _, context in
            try compute.removeTag(try context.parameters.require("tag"), from: try available(context), context.auth)
            return Response(status: .noContent)
        }
    }

    /// 2.71: the group the server is in, as a list of none or one.
    func serverGroups(_ server: Server) throws -> JSONValue {
        .array(try compute.serverGroupID(of: server).map { [.string($0.rawValue)] } ?? [])
    }

    /// What PUT and rebuild answer: the core view before 2.75, the full
    /// view (as GET shows it) from 2.75; with the server's group from 2.71.
    func updatedView(_ server: Server, _ version: ComputeMicroversion, _ auth: AuthContext) throws -> [String: JSONValue] {
        var body = version.atLeast(75)
            ? try render(server, auth, minor: version.minor)
            : Nova.core(server, baseURL: baseURL, addresses: try ips(server), minor: version.minor)
        if version.atLeast(71) { body["server_groups"] = try serverGroups(server) }
        return body
    }

    func render(_ server: Server, _ context: AuthenticatedContext) throws -> [String: JSONValue] {
        try render(server, context.auth, minor: context.microversion.minor)
    }

    func render(_ server: Server, _ auth: AuthContext, minor: Int) throws -> [String: JSONValue] {
        render(server, try compute.networking(of: [server]), auth, minor: minor)
    }

    /// A server as Nova shows it, its networking read beforehand (for a page at once).
    func render(_ server: Server, _ networking: ComputeService.ServerNetworking, _ auth: AuthContext, minor: Int) -> [String: JSONValue] {
        let addresses = (networking.addresses[server.id] ?? [:]).mapValues { entries -> JSONValue in
            .array(entries.map { entry in
                ["version": 4, "addr": .string(entry.address), "OS-EXT-IPS:type": entry.floating ? "floating" : "fixed",
                 "OS-EXT-IPS-MAC:mac_addr": .string(entry.mac)]
            })
        }
        return Nova.server(
            server, baseURL: baseURL, admin: Policy.isAdmin(auth), addresses: addresses,
            securityGroups: networking.securityGroupNames[server.id] ?? [], minor: minor)
    }

    /// An instance action; from 2.58 with `updated_at`, which is its start:
    /// Nimbus records an action once, when it is asked for.
    static func render(_ action: InstanceAction, updatedAt: Bool = false) -> [String: JSONValue] {
        var body: [String: JSONValue] = [
            "action": .string(action.action), "instance_uuid": .string(action.serverId.rawValue), "request_id": .string(action.requestId),
            "user_id": .string(action.userId.rawValue), "project_id": .string(action.projectId.rawValue),
            "start_time": .string(Timestamps.iso8601(action.startTime)), "message": action.message.map(JSONValue.string) ?? .null,
        ]
        if updatedAt { body["updated_at"] = .string(Timestamps.iso8601(action.startTime)) }
        return body
    }

    /// Nova's `changes-since` and (2.66) `changes-before`: a time window,
    /// whose start may not come after its end.
    static func changesWindow(_ query: [String: String]) throws -> ClosedRange<Date> {
        func date(_ key: String) throws -> Date? {
            try query[key].map { text in
                guard let date = Timestamps.parseKeystone(text) else {
                    throw NimbusError.badRequest("Invalid input for query parameters \(key). Value: \(text). It is not a date and time.")
                }
                return date
            }
        }
        let since = try date("changes-since") ?? .distantPast
        let before = try date("changes-before") ?? .distantFuture
        guard since <= before else {
            throw NimbusError.badRequest("The value of changes-since must be less than or equal to changes-before.")
        }
        return since...before
    }

    func ips(_ server: Server) throws -> [String: JSONValue] {
        try compute.addresses(server).mapValues { entries in
            .array(entries.map { ["version": 4, "addr": .string($0.address)] })
        }
    }

    func list(_ request: Request, _ context: AuthenticatedContext, detail: Bool) throws -> Response {
        var query = ComputeService.ListQuery()
        var limited = false
        for (key, value) in QueryParameters.decode(request.uri.query) {
            switch key {
            case "limit":
                guard let number = Int(value), number >= 0 else {
                    throw NimbusError.badRequest("Invalid input for query parameters limit. Value: \(value). '\(value)' does not match '^[0-9]*$'")
                }
                query.limit = number
                limited = true
            case "marker": query.marker = value
            case "ip": query.ip = value
            case "ip6" where context.microversion.atLeast(5) || Policy.isAdmin(context.auth):
                // Nimbus gives servers IPv4 addresses only: no server has an IPv6 one to match.
                query.matchesNothing = true
            case "all_tenants": query.allTenants = value.isEmpty || ["1", "true", "yes", "t", "on"].contains(value.lowercased())
            case "name": query.name = value
            case "status":
                // From 2.38 a status Nova does not know is a 400, not an empty list.
                if context.microversion.atLeast(38), !Self.statuses.contains(value.uppercased()) {
                    throw NimbusError.badRequest("Invalid status value")
                }
                query.status = value
            case "image": query.imageId = value
            case "flavor": query.flavorId = value
            case "changes-since" where true, "changes-before" where context.microversion.atLeast(66):
                guard let date = Timestamps.parseKeystone(value) else {
                    throw NimbusError.badRequest("Invalid input for query parameters \(key). Value: \(value).")
                }
                if key == "changes-since" { query.changesSince = date } else { query.changesBefore = date }
            case "locked" where context.microversion.atLeast(73):
                guard let flag = ["true": true, "1": true, "yes": true, "t": true, "on": true, "false": false, "0": false, "no": false, "f": false, "off": false][value.lowercased()] else {
                    throw NimbusError.badRequest("Invalid input for query parameters locked. Value: \(value). It must be a boolean.")
                }
                query.locked = flag
            case "reservation_id": query.reservationId = value
            case "uuid": query.uuid = value
            case "key_name": query.keyName = value
            case "vm_state": query.vmState = value
            case "sort_key":
                guard Self.sortKeys(context.microversion).contains(value) else {
                    // Nova ignored the keys it does not sort by until 2.75 made them a 400.
                    if context.microversion.atLeast(75) { throw NimbusError.badRequest("Invalid input for query parameters sort_key. Value: \(value).") }
                    continue
                }
                query.sortKey = value
            case "sort_dir":
                guard value == "asc" || value == "desc" else { throw NimbusError.badRequest("Invalid input for query parameters sort_dir. Value: \(value).") }
                query.ascending = value == "asc"
            default:
                if try Self.filter(key, value, into: &query) { continue }
                // From 2.75 a parameter Nova does not know is a 400; the few it knows that
                // mean nothing on one host with no deleted records pass.
                if context.microversion.atLeast(75), !Self.knownFilters.contains(key) {
                    throw NimbusError.badRequest("Invalid input for query parameters \(key). Additional properties are not allowed ('\(key)' was unexpected)")
                }
            }
        }
        if let since = query.changesSince, let before = query.changesBefore, since > before {
            throw NimbusError.badRequest("The value of changes-since must be less than or equal to changes-before.")
        }
        if context.microversion.atLeast(26) { query.tags = TagFilter(QueryParameters.first(request)) }
        let page = try compute.servers(query, context.auth)
        var body: [String: JSONValue]
        if detail {
            let networking = try compute.networking(of: page.servers)
            body = ["servers": .array(page.servers.map { .object(render($0, networking, context.auth, minor: context.microversion.minor)) })]
        } else {
            body = ["servers": .array(page.servers.map { server in
                ["id": .string(server.id.rawValue), "name": .string(server.name), "links": Nova.links("servers/\(server.id)", baseURL: baseURL)]
            })]
        }
        // Nova links the next page when the page is full, asked for or capped at
        // max_limit, with the request's own parameters and the marker replaced.
        if page.more, let last = page.servers.last, limited || page.servers.count == ComputeService.ListQuery.maxLimit {
            let kept = (request.uri.query ?? "").split(separator: "&").filter { !$0.hasPrefix("marker=") }.map(String.init)
            let next = (kept + ["marker=\(last.id)"]).joined(separator: "&")
            body["servers_links"] = [["rel": "next", "href": .string("\(baseURL)/compute/v2.1/servers\(detail ? "/detail" : "")?\(next)")]]
        }
        return try JSONMessages.response(body)
    }

    /// The server list's parameters Nova knows at 2.75 (its index query schema).
    static let knownFilters: Set<String> = [
        "user_id", "project_id", "tenant_id", "launch_index", "image_ref", "image", "kernel_id", "ramdisk_id", "hostname", "key_name",
        "power_state", "vm_state", "task_state", "host", "node", "flavor", "reservation_id", "launched_at", "terminated_at",
        "availability_zone", "name", "display_name", "description", "display_description", "locked_by", "uuid", "root_device_name",
        "config_drive", "access_ip_v4", "access_ip_v6", "auto_disk_config", "progress", "sort_key", "sort_dir", "all_tenants",
        "soft_deleted", "deleted", "status", "changes-since", "ip", "ip6", "created_at", "block_device_mapping", "services",
        "metadata", "pci_devices", "security_groups", "info_cache", "system_metadata", "limit", "marker", "tags", "tags-any",
        "not-tags", "not-tags-any", "changes-before", "locked",
    ]

    /// Nova's other list filters: exact matches, regular expressions (as
    /// for names), and those every server here meets or none does (one
    /// host and zone; no deleted records are kept). false for a parameter
    /// that is not one of them.
    static func filter(_ key: String, _ value: String, into query: inout ComputeService.ListQuery) throws -> Bool {
        let truth = ["1", "true", "t", "yes", "y", "on"].contains(value.lowercased())
        switch key {
        case "user_id": query.userId = value
        case "project_id", "tenant_id": query.projectId = value
        case "image_ref": query.imageId = value
        case "power_state":
            guard let state = Int(value) else { throw NimbusError.badRequest("Invalid input for query parameters power_state. Value: \(value).") }
            query.powerState = state
        case "task_state": query.taskState = value
        case "launch_index":
            // A number; a value that is not one matches no server.
            guard let index = Int(value) else { query.matchesNothing = true; return true }
            query.launchIndex = index
        case "hostname": query.hostname = value
        case "description", "display_description": query.description = value
        case "access_ip_v4": query.accessIpv4 = value
        case "access_ip_v6": query.accessIpv6 = value
        case "config_drive": query.configDrive = truth
        case "host", "node": if value != ComputeHostRoutes.host { query.matchesNothing = true }
        case "availability_zone": if value != ComputeHostRoutes.zone { query.matchesNothing = true }
        case "deleted", "soft_deleted": if truth { query.matchesNothing = true }
        case "terminated_at": query.matchesNothing = true
        default: return false
        }
        return true
    }

    /// The keys Nova sorts servers by (2.73 adds `locked`).
    static func sortKeys(_ version: ComputeMicroversion) -> Set<String> {
        var keys: Set<String> = [
            "access_ip_v4", "access_ip_v6", "auto_disk_config", "availability_zone", "config_drive", "created_at", "display_description",
            "display_name", "host", "hostname", "image_ref", "instance_type_id", "kernel_id", "key_name", "launch_index", "launched_at",
            "locked_by", "node", "power_state", "progress", "project_id", "ramdisk_id", "root_device_name", "task_state",
            "terminated_at", "updated_at", "user_id", "uuid", "vm_state",
        ]
        if version.atLeast(73) { keys.insert("locked") }
        return keys
    }

    /// Every status Nova can show, for 2.38's check of the status filter.
    static let statuses: Set<String> = [
        "ACTIVE", "BUILD", "DELETED", "ERROR", "HARD_REBOOT", "MIGRATING", "PASSWORD", "PAUSED", "REBOOT", "REBUILD", "RESCUE",
        "RESIZE", "REVERT_RESIZE", "SHELVED", "SHELVED_OFFLOADED", "SHUTOFF", "SOFT_DELETED", "SUSPENDED", "VERIFY_RESIZE",
    ]

    /// The `metadata` or `meta` object of a metadata request.
    static func metadataItems(_ request: Request, key: String) async throws -> [String: String] {
        let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
        guard body[key] != nil else {
            throw NimbusError.badRequest("Invalid input for field/attribute \(key): '\(key)' is a required property.")
        }
        return try Nova.metadata(body[key], field: key)
    }

    /// What a create request asks the compute service for.
    /// What a create body may hold at a microversion, as Nova's schemas
    /// have it. Nimbus is lenient in one way: "auto" and "none" (2.37's)
    /// are understood at every version, as its own CLI sends them.
    static func check(_ draft: Nova.ServerDraft, at version: ComputeMicroversion, _ auth: AuthContext) throws {
        func unexpected(_ field: String) -> NimbusError {
            NimbusError.badRequest("Invalid input for field/attribute server. Additional properties are not allowed ('\(field)' was unexpected)")
        }
        if draft.namesDescription, !version.atLeast(19) { throw unexpected("description") }
        let nicTags = (version.atLeast(32) && !version.atLeast(37)) || version.atLeast(42)
        if draft.taggedNIC, !nicTags { throw unexpected("tag") }
        let deviceTags = version == ComputeMicroversion(major: 2, minor: 32) || version.atLeast(42)
        if draft.taggedDevice, !deviceTags { throw unexpected("tag") }
        if draft.deviceVolumeType, !version.atLeast(67) { throw unexpected("volume_type") }
        if draft.tags != nil, !version.atLeast(52) { throw unexpected("tags") }
        if let certificates = draft.trustedCertificates {
            guard version.atLeast(63) else { throw unexpected("trusted_image_certificates") }
            try Self.refuseTrustedCertificates(certificates)
        }
        for (field, value) in [("host", draft.host), ("hypervisor_hostname", draft.hypervisorHostname)] {
            guard let value else { continue }
            guard version.atLeast(74) else { throw unexpected(field) }
            guard Policy.isAdmin(auth) else {
                throw NimbusError.forbidden("Policy doesn't allow compute:servers:create:requested_destination to be performed.")
            }
            guard value == .string(ComputeHostRoutes.host) else {
                throw NimbusError.badRequest("Compute host \(value.stringValue ?? "\(value)") could not be found.")
            }
        }
        if version.atLeast(37) {
            guard draft.namesNetworks else { throw NimbusError.badRequest("Invalid input for field/attribute server. 'networks' is a required property") }
            if draft.networkNotUUID { throw NimbusError.badRequest("Invalid input for field/attribute uuid. A network's uuid must be a UUID.") }
        }
    }

    /// 2.63's trusted certificates ask Nova to verify the image's signature
    /// with them; Nimbus verifies no signatures, so it says so, as Nova does
    /// when verification is off, rather than boot unverified.
    static func refuseTrustedCertificates(_ value: JSONValue) throws {
        switch value {
        case .null: return
        case .array(let items) where !items.isEmpty && items.count <= 50 && items.allSatisfy({ ($0.stringValue ?? "").isEmpty == false }):
            throw NimbusError.badRequest("Image signature certificate validation support is not yet available.")
        default:
            throw NimbusError.badRequest("Invalid input for field/attribute trusted_image_certificates. Value: \(value). It must be null or a list of 1 to 50 certificate ids.")
        }
    }

    static func createRequest(_ draft: Nova.ServerDraft) throws -> ComputeService.CreateRequest {
        var request = ComputeService.CreateRequest(
            name: draft.name, imageRef: draft.imageRef, flavorRef: draft.flavorRef, metadata: draft.metadata,
            keyName: draft.keyName, userData: draft.userData, configDrive: draft.configDrive)
        request.description = draft.description
        request.tags = try draft.tags.map(ComputeService.validTags) ?? []
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
