import Compute
import Hummingbird
import Images
import NimbusCore
import OpenStackAPI

/// Nova v2.1 under /compute: discovery and flavors (servers follow).
struct ComputeController {
    let flavors: FlavorService
    let compute: ComputeService?
    let images: ImageService
    let baseURL: String

    func addRoutes(to router: Router<NimbusRequestContext>) {
        router.get("compute") { _, _ in try JSONMessages.response(["versions": [version(current: true)]]) }
        router.get("compute/v2.1") { _, _ in try JSONMessages.response(["version": version(current: true)]) }
        let v21 = router.group("compute/v2.1", context: AuthenticatedContext.self)
        FlavorRoutes(flavors: flavors, baseURL: baseURL).add(to: v21)
        // The proxies to Glance and Neutron end at 2.36, image metadata at 2.39.
        let imageRoutes = ComputeImageRoutes(images: images, baseURL: baseURL)
        imageRoutes.addImages(to: v21.group().add(middleware: MicroversionWindow(before: 36)))
        imageRoutes.addMetadata(to: v21.group().add(middleware: MicroversionWindow(before: 39)))
        if let compute {
            ServerRoutes(compute: compute, baseURL: baseURL).add(to: v21)
            QuotaRoutes.addNova(compute.quotas, to: v21)
            KeypairRoutes(compute: compute, baseURL: baseURL).add(to: v21)
            ComputeHostRoutes(compute: compute, baseURL: baseURL).add(to: v21)
            ServerGroupRoutes(compute: compute).add(to: v21)
            NovaNetworkProxyRoutes(compute: compute).add(to: v21.group().add(middleware: MicroversionWindow(before: 36)))
        }
    }

    func version(current: Bool) -> JSONValue {
        [
            "id": "v2.1", "status": "CURRENT", "version": .string("\(ComputeMicroversion.maximum)"),
            "min_version": .string("\(ComputeMicroversion.minimum)"), "updated": "2013-07-23T11:33:21Z",
            "links": [["rel": "self", "href": .string("\(baseURL)/compute/v2.1/")]],
            "media-types": [["base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"]],
        ]
    }
}

/// /flavors, their extra specs and access lists.
struct FlavorRoutes {
    let flavors: FlavorService
    let baseURL: String

    func add(to v21: RouterGroup<AuthenticatedContext>) {
        v21.get("flavors") { request, context in try list(request, context, detail: false) }
        v21.get("flavors/detail") { request, context in try list(request, context, detail: true) }
        v21.get("flavors/{id}") { _, context in
            let flavor = try flavors.flavor(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["flavor": .object(Nova.flavor(flavor, baseURL: baseURL, minor: context.microversion.minor))] as [String: JSONValue])
        }
        v21.post("flavors") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            let flavor = try flavors.create(try Self.draft(body, context.microversion), context.auth)
            return try JSONMessages.response(["flavor": .object(Nova.flavor(flavor, baseURL: baseURL, minor: context.microversion.minor))] as [String: JSONValue])
        }
        // 2.55: the description, the one thing of a flavor that changes.
        v21.put("flavors/{id}") { request, context in
            guard context.microversion.atLeast(55) else { throw NimbusError.notFound("The resource could not be found.") }
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard case .object(let fields)? = body["flavor"], let value = fields["description"], fields.count == 1 else {
                throw NimbusError.badRequest("Invalid input for field/attribute flavor: 'description' is a required property, and the only one.")
            }
            let description: String?
            switch value {
            case .null: description = nil
            case .string(let text): description = text
            default: throw NimbusError.badRequest("Invalid input for field/attribute description. Value: \(value). It must be a string or null.")
            }
            let flavor = try flavors.setDescription(description, of: try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["flavor": .object(Nova.flavor(flavor, baseURL: baseURL, minor: context.microversion.minor))] as [String: JSONValue])
        }
        v21.delete("flavors/{id}") { _, context in
            try flavors.delete(try context.parameters.require("id"), context.auth)
            return Response(status: .accepted)
        }
        v21.get("flavors/{id}/os-extra_specs") { _, context in
            let flavor = try flavors.flavor(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["extra_specs": flavor.extraSpecs])
        }
        v21.post("flavors/{id}/os-extra_specs") { request, context in
            let body = try await JSONMessages.decode([String: [String: String]].self, from: request)
            guard let specs = body["extra_specs"] else { throw NimbusError.badRequest("'extra_specs' is a required property.") }
            let saved = try flavors.setExtraSpecs(try context.parameters.require("id"), specs, context.auth)
            return try JSONMessages.response(["extra_specs": saved.filter { specs.keys.contains($0.key) }])
        }
        v21.get("flavors/{id}/os-extra_specs/{key}") { _, context in
            let flavor = try flavors.flavor(try context.parameters.require("id"), context.auth)
            let key = try context.parameters.require("key")
            guard let value = flavor.extraSpecs[key] else {
                throw NimbusError.notFound("Flavor \(flavor.id) has no extra specs with key \(key).")
            }
            return try JSONMessages.response([key: value])
        }
        v21.delete("flavors/{id}/os-extra_specs/{key}") { _, context in
            try flavors.deleteExtraSpec(try context.parameters.require("id"), key: try context.parameters.require("key"), context.auth)
            return Response(status: .ok)
        }
        v21.get("flavors/{id}/os-flavor-access") { _, context in
            try accessList(try flavors.access(try context.parameters.require("id"), context.auth))
        }
        v21.post("flavors/{id}/action") { request, context in
            let body = try await JSONMessages.decode([String: [String: String]].self, from: request)
            let id = try context.parameters.require("id")
            if let tenant = body["addTenantAccess"]?["tenant"] {
                return try accessList(try flavors.addAccess(id, project: tenant, context.auth))
            }
            if let tenant = body["removeTenantAccess"]?["tenant"] {
                return try accessList(try flavors.removeAccess(id, project: tenant, context.auth))
            }
            throw NimbusError.badRequest("Unsupported flavor action; expected addTenantAccess or removeTenantAccess with a tenant.")
        }
    }

    func list(_ request: Request, _ context: AuthenticatedContext, detail: Bool) throws -> Response {
        var query = FlavorService.ListQuery()
        for (key, value) in QueryParameters.decode(request.uri.query) {
            switch key {
            case "is_public":
                switch value.lowercased() {
                case "none", "all": query.isPublic = nil
                case "true", "1", "yes", "t", "on": query.isPublic = true
                case "false", "0", "no", "f", "off": query.isPublic = false
                default: throw NimbusError.badRequest("Invalid is_public filter [\(value)]")
                }
            case "minRam": query.minRam = try Self.integer(value, key)
            case "minDisk": query.minDisk = try Self.integer(value, key)
            case "limit": query.limit = try Self.integer(value, key)
            case "marker": query.marker = value
            case "sort_key": query.sortKey = value
            case "sort_dir":
                guard value == "asc" || value == "desc" else { throw NimbusError.badRequest("Invalid sort_dir: \(value)") }
                query.ascending = value == "asc"
            default:
                // Nova ignores unknown query parameters below 2.75.
                if context.microversion.atLeast(75) {
                    throw NimbusError.badRequest("Invalid input for query parameters \(key). Additional properties are not allowed ('\(key)' was unexpected)")
                }
            }
        }
        let found = try flavors.list(query, context.auth)
        let minor = context.microversion.minor
        return try JSONMessages.response(["flavors": .array(found.map { .object(Nova.flavor($0, baseURL: baseURL, detail: detail, minor: minor)) })] as [String: JSONValue])
    }

    func accessList(_ access: [FlavorAccess]) throws -> Response {
        try JSONMessages.response(["flavor_access": access.map { ["flavor_id": $0.flavorId.rawValue, "tenant_id": $0.projectId.rawValue] }])
    }

    static func integer(_ value: String, _ key: String) throws -> Int {
        guard let number = Int(value), number >= 0 else {
            throw NimbusError.badRequest("Invalid input for query parameters \(key). Value: \(value).")
        }
        return number
    }

    /// The body of POST /flavors, checked as strictly as Nova's schema.
    static func draft(_ body: [String: JSONValue], _ version: ComputeMicroversion) throws -> FlavorService.Draft {
        guard case .object(let flavor)? = body["flavor"] else {
            throw NimbusError.badRequest("Invalid input for field/attribute flavor: 'flavor' is a required property.")
        }
        var allowed: Set<String> = ["name", "id", "ram", "vcpus", "disk", "OS-FLV-EXT-DATA:ephemeral", "swap", "rxtx_factor", "os-flavor-access:is_public"]
        if version.atLeast(55) { allowed.insert("description") }
        try JSONMessages.refuseUnknown(flavor, allowed: allowed, in: "flavor")
        let description: String?
        switch flavor["description"] {
        case nil, .null?: description = nil
        case .string(let text)?: description = text
        case let other?: throw NimbusError.badRequest("Invalid input for field/attribute description. Value: \(other). It must be a string or null.")
        }
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            switch flavor[key] {
            case nil: if let value { return value }
            case .number?: if let number = flavor[key]?.intValue { return number }
            case .string(let text)?: if let number = Int(text) { return number }
            default: break
            }
            throw NimbusError.badRequest("Invalid input for field/attribute \(key). Value: \(flavor[key].map { "\($0)" } ?? "missing").")
        }
        guard let name = flavor["name"]?.stringValue else {
            throw NimbusError.badRequest("Invalid input for field/attribute name: 'name' is a required property.")
        }
        let id: String?
        switch flavor["id"] {
        case nil, .null?: id = nil
        case .string(let text)?: id = text
        case let other?: throw NimbusError.badRequest("Invalid input for field/attribute id. Value: \(other).")
        }
        var isPublic = true
        if let value = flavor["os-flavor-access:is_public"] {
            guard let flag = value.boolValue else { throw NimbusError.badRequest("Invalid input for field/attribute os-flavor-access:is_public.") }
            isPublic = flag
        }
        var rxtx = 1.0
        if case .number(let factor)? = flavor["rxtx_factor"] { rxtx = factor }
        return FlavorService.Draft(
            id: id, name: name, vcpus: try int("vcpus"), ram: try int("ram"), disk: try int("disk"),
            ephemeral: try int("OS-FLV-EXT-DATA:ephemeral", default: 0), swap: try int("swap", default: 0),
            rxtxFactor: rxtx, isPublic: isPublic, description: description)
    }
}
