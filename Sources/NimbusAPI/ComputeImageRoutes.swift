import Foundation
import Hummingbird
import Images
import NimbusCore
import OpenStackAPI

/// Nova's image proxy (/images and /images/{id}/metadata): Glance's images
/// in Nova's shape, as clients below microversion 2.36 use them (Tempest
/// polls snapshots here). Every call goes through the image service with the
/// caller's token, so Glance's visibility and policy rules hold unchanged.
struct ComputeImageRoutes {
    let images: ImageService
    let baseURL: String

    /// Nova's `metadata_items` quota: the most properties an image takes through this API.
    static let metadataLimit = 128

    func addImages(to v21: RouterGroup<AuthenticatedContext>) {
        v21.get("images") { request, context in try list(request, context, detail: false) }
        v21.get("images/detail") { request, context in try list(request, context, detail: true) }
        v21.get("images/{id}") { _, context in
            let image = try images.image(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["image": .object(detail(image))] as [String: JSONValue])
        }
        v21.delete("images/{id}") { _, context in
            try images.delete(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
    }

    func addMetadata(to v21: RouterGroup<AuthenticatedContext>) {
        v21.get("images/{id}/metadata") { _, context in
            let image = try images.image(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["metadata": image.properties])
        }
        // POST merges into the metadata, PUT replaces it.
        v21.post("images/{id}/metadata") { request, context in
            try await setMetadata(request, context, replacing: false)
        }
        v21.put("images/{id}/metadata") { request, context in
            try await setMetadata(request, context, replacing: true)
        }
        v21.get("images/{id}/metadata/{key}") { _, context in
            let key = try context.parameters.require("key")
            let image = try images.image(try context.parameters.require("id"), context.auth)
            guard let value = image.properties[key] else { throw NimbusError.notFound("Image \(image.id) has no metadata with key \(key).") }
            return try JSONMessages.response(["meta": [key: value]])
        }
        v21.put("images/{id}/metadata/{key}") { request, context in
            let key = try context.parameters.require("key")
            let body = try await JSONMessages.decode([String: [String: String]].self, from: request)
            guard let meta = body["meta"], meta.count == 1, let value = meta[key] else {
                throw NimbusError.badRequest("The request body must be {\"meta\": {\"\(key)\": value}}: one item, whose key is the one in the URL.")
            }
            let id = try context.parameters.require("id")
            let current = try images.image(id, context.auth)
            try Self.checkLimit(current.properties.merging([key: value]) { $1 })
            let operation = current.properties[key] == nil ? ImageService.PatchOperation.Kind.add : .replace
            _ = try images.update(id, [.init(kind: operation, path: "/\(key)", value: .string(value))], context.auth)
            return try JSONMessages.response(["meta": [key: value]])
        }
        v21.delete("images/{id}/metadata/{key}") { _, context in
            let key = try context.parameters.require("key")
            let id = try context.parameters.require("id")
            let current = try images.image(id, context.auth)
            guard current.properties[key] != nil else { throw NimbusError.notFound("Image \(current.id) has no metadata with key \(key).") }
            _ = try images.update(id, [.init(kind: .remove, path: "/\(key)", value: nil)], context.auth)
            return Response(status: .noContent)
        }
    }

    func setMetadata(_ request: Request, _ context: AuthenticatedContext, replacing: Bool) async throws -> Response {
        let body = try await JSONMessages.decode([String: [String: String]].self, from: request)
        guard let metadata = body["metadata"] else { throw NimbusError.badRequest("The request body must be {\"metadata\": {...}}.") }
        let id = try context.parameters.require("id")
        let current = try images.image(id, context.auth)
        let wanted = replacing ? metadata : current.properties.merging(metadata) { $1 }
        try Self.checkLimit(wanted)
        var operations: [ImageService.PatchOperation] = []
        for key in current.properties.keys.sorted() where wanted[key] == nil {
            operations.append(.init(kind: .remove, path: "/\(key)", value: nil))
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where current.properties[key] != value {
            operations.append(.init(kind: current.properties[key] == nil ? .add : .replace, path: "/\(key)", value: .string(value)))
        }
        let updated = operations.isEmpty ? current : try images.update(id, operations, context.auth)
        return try JSONMessages.response(["metadata": updated.properties])
    }

    static func checkLimit(_ metadata: [String: String]) throws {
        guard metadata.count <= metadataLimit else {
            throw NimbusError(.forbidden, "Quota exceeded for metadata items: at most \(metadataLimit) per image.")
        }
    }

    /// GET /images[/detail]: Nova's filters (name, status, changes-since,
    /// server, type, minRam, minDisk) and limit/marker paging, over the
    /// images Glance shows the caller.
    func list(_ request: Request, _ context: AuthenticatedContext, detail: Bool) throws -> Response {
        let parameters = QueryParameters.first(request)
        var query = ImageService.ListQuery()
        query.limit = ImageService.maximumPageSize
        var found = try images.list(query, context.auth).images
        if let name = parameters["name"] { found.removeAll { $0.name != name } }
        if let status = parameters["status"] { found.removeAll { Self.status($0).caseInsensitiveCompare(status) != .orderedSame } }
        if let since = parameters["changes-since"] {
            guard let date = ISO8601DateFormatter().date(from: since) else {
                throw NimbusError.badRequest("Invalid input for query parameters changes-since. Value: \(since).")
            }
            found.removeAll { $0.updatedAt < date }
        }
        if let server = parameters["server"] {
            let id = server.split(separator: "/").last.map(String.init) ?? server
            found.removeAll { $0.properties["instance_uuid"] != id }
        }
        if let type = parameters["type"] { found.removeAll { $0.properties["image_type"] != type } }
        for (key, path) in [("minRam", \Image.minRam), ("minDisk", \Image.minDisk)] {
            guard let text = parameters[key] else { continue }
            guard let minimum = Int(text) else { throw NimbusError.badRequest("Invalid \(key) value: \(text)") }
            found.removeAll { $0[keyPath: path] < minimum }
        }
        if let marker = parameters["marker"] {
            guard let index = found.firstIndex(where: { $0.id.rawValue == marker }) else {
                throw NimbusError.badRequest("marker [\(marker)] not found")
            }
            found.removeFirst(index + 1)
        }
        var body: [String: JSONValue] = [:]
        if let text = parameters["limit"] {
            guard let limit = Int(text), limit >= 0 else { throw NimbusError.badRequest("Invalid limit value: \(text)") }
            if found.count > limit, let last = found.prefix(limit).last {
                body["images_links"] = [["rel": "next", "href": .string("\(baseURL)/compute/v2.1/images\(detail ? "/detail" : "")?limit=\(limit)&marker=\(last.id)")]]
            }
            found = Array(found.prefix(limit))
        }
        body["images"] = .array(found.map { .object(detail ? self.detail($0) : summary($0)) })
        return try JSONMessages.response(body)
    }

    func summary(_ image: Image) -> [String: JSONValue] {
        ["id": .string(image.id.rawValue), "name": image.name.map(JSONValue.string) ?? .null, "links": links(image)]
    }

    func detail(_ image: Image) -> [String: JSONValue] {
        var object = summary(image)
        object["minRam"] = JSONValue(image.minRam)
        object["minDisk"] = JSONValue(image.minDisk)
        object["metadata"] = .object(image.properties.mapValues(JSONValue.string))
        object["created"] = .string(Timestamps.iso8601(image.createdAt))
        object["updated"] = .string(Timestamps.iso8601(image.updatedAt))
        object["status"] = .string(Self.status(image))
        object["progress"] = JSONValue(Self.progress(image))
        object["OS-EXT-IMG-SIZE:size"] = image.size.map { JSONValue(Int($0)) } ?? .null
        if let server = image.properties["instance_uuid"] {
            object["server"] = ["id": .string(server), "links": Nova.links("servers/\(server)", baseURL: baseURL)]
        }
        return object
    }

    func links(_ image: Image) -> JSONValue {
        guard case .array(var links) = Nova.links("images/\(image.id)", baseURL: baseURL) else { return [] }
        links.append(["rel": "alternate", "type": "application/vnd.openstack.image", "href": .string("\(baseURL)/image/v2/images/\(image.id)")])
        return .array(links)
    }

    /// Nova's names for Glance's states.
    static func status(_ image: Image) -> String {
        switch image.status {
        case .active: "ACTIVE"
        case .queued, .saving, .uploading, .importing: "SAVING"
        case .deleted, .pendingDelete: "DELETED"
        case .killed: "ERROR"
        case .deactivated: "UNKNOWN"
        }
    }

    static func progress(_ image: Image) -> Int {
        switch image.status {
        case .active: 100
        case .saving, .uploading, .importing: 50
        case .queued: 25
        default: 0
        }
    }
}
