import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Images
import NimbusCore
import OpenStackAPI

/// Glance v2 under /image.
struct ImageController {
    let images: ImageService
    let baseURL: String
    let fileIO = FileIO(threadPool: .singleton)

    func addRoutes(to router: Router<NimbusRequestContext>) {
        router.get("image") { _, _ in try JSONMessages.response(versions, status: .multipleChoices) }
        router.get("image/v2") { _, _ in try JSONMessages.response(versions) }
        // Glance answers its version list here with 200; python-glanceclient asks it before every command.
        router.get("image/versions") { _, _ in try JSONMessages.response(versions) }

        let v2 = router.group("image/v2", context: AuthenticatedContext.self)
        v2.get("images") { request, context in try list(request, context) }
        v2.post("images") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            let image = try images.create(body, context.auth)
            return try JSONMessages.response(Glance.image(image), status: .created,
                                             headers: [.location: "\(baseURL)/image/v2/images/\(image.id)"])
        }
        v2.get("images/{id}") { _, context in
            try JSONMessages.response(Glance.image(try images.image(try context.parameters.require("id"), context.auth)))
        }
        // Glance's image tasks (imports, location changes): Nimbus runs none, so the list is empty.
        v2.get("images/{id}/tasks") { _, context in
            _ = try images.image(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response(["tasks": [JSONValue]()])
        }
        v2.patch("images/{id}") { request, context in
            let operations = try await patchOperations(request)
            let image = try images.update(try context.parameters.require("id"), operations, context.auth)
            return try JSONMessages.response(Glance.image(image))
        }
        v2.delete("images/{id}") { _, context in
            try images.delete(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
        v2.put("images/{id}/file") { request, context in try await upload(request, context) }
        v2.get("images/{id}/file") { request, context in try await download(request, context) }
        v2.post("images/{id}/actions/deactivate") { _, context in
            try images.deactivate(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
        v2.post("images/{id}/actions/reactivate") { _, context in
            try images.reactivate(try context.parameters.require("id"), context.auth)
            return Response(status: .noContent)
        }
        v2.put("images/{id}/tags/{tag}") { _, context in
            try images.addTag(try context.parameters.require("id"), try context.parameters.require("tag"), context.auth)
            return Response(status: .noContent)
        }
        v2.delete("images/{id}/tags/{tag}") { _, context in
            try images.removeTag(try context.parameters.require("id"), try context.parameters.require("tag"), context.auth)
            return Response(status: .noContent)
        }
        addMembers(to: v2)
        addSchemas(to: v2)
    }

    var versions: [String: JSONValue] {
        let versions: [JSONValue] = ["v2.16", "v2.15", "v2.9", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0"].enumerated().map { index, id in
            [
                "id": .string(id), "status": index == 0 ? "CURRENT" : "SUPPORTED",
                "links": [["rel": "self", "href": .string("\(baseURL)/image/v2/")]],
            ]
        }
        return ["versions": .array(versions)]
    }

    // MARK: List

    func list(_ request: Request, _ context: AuthenticatedContext) throws -> Response {
        // The router takes "images/" for "images"; to Glance it is an image with an empty ID.
        if request.uri.path.hasSuffix("/") { throw NimbusError.notFound("No image found with ID ") }
        var query = ImageService.ListQuery()
        var sortKeys: [String] = []
        var sortDirs: [String] = []
        for (key, value) in QueryParameters.decode(request.uri.query) {
            switch key {
            case "limit":
                guard let limit = Int(value), limit >= 0 else { throw NimbusError.badRequest("limit param must be an integer") }
                query.limit = limit
            case "marker": query.marker = value
            case "tag": query.tags.append(value)
            case "sort_key": sortKeys.append(value)
            case "sort_dir": sortDirs.append(value)
            case "sort":
                for part in value.split(separator: ",") {
                    // Keeping empty pieces means there is always a first one: "sort=:" is a bad key, not a crash.
                    let pieces = part.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                    sortKeys.append(String(pieces[0]).trimmingCharacters(in: .whitespaces))
                    sortDirs.append(pieces.count > 1 ? String(pieces[1]) : "desc")
                }
            default: query.filters[key] = value
            }
        }
        for (index, key) in sortKeys.enumerated() {
            let direction = index < sortDirs.count ? sortDirs[index] : (sortDirs.last ?? "desc")
            guard direction == "asc" || direction == "desc" else {
                throw NimbusError.badRequest("Invalid sort direction: \(direction)")
            }
            query.sort.append((key, direction == "asc"))
        }
        let page = try images.list(query, context.auth)
        var body: [String: JSONValue] = [
            "images": .array(page.images.map { .object(Glance.image($0)) }),
            "first": .string("/v2/images" + Self.queryString(request, replacingMarker: nil)),
            "schema": "/v2/schemas/images",
        ]
        if let marker = page.nextMarker {
            body["next"] = .string("/v2/images" + Self.queryString(request, replacingMarker: marker.rawValue))
        }
        return try JSONMessages.response(body)
    }

    /// The request's query with the marker replaced, for `first` and `next` links.
    static func queryString(_ request: Request, replacingMarker marker: String?) -> String {
        var items = (request.uri.query ?? "").split(separator: "&").filter { !$0.hasPrefix("marker=") }.map(String.init)
        if let marker { items.append("marker=\(marker)") }
        return items.isEmpty ? "" : "?" + items.joined(separator: "&")
    }

    // MARK: Patch

    func patchOperations(_ request: Request) async throws -> [ImageService.PatchOperation] {
        let mediaTypes = [Glance.patchMediaType, "application/openstack-images-v2.0-json-patch"]
        guard let contentType = request.headers[.contentType], mediaTypes.contains(where: contentType.hasPrefix) else {
            throw NimbusError(.unsupportedMediaType, "Unsupported Content-Type; image updates need \(Glance.patchMediaType).")
        }
        let raw = try await JSONMessages.decode([[String: JSONValue]].self, from: request, mediaTypes: mediaTypes)
        // v2.1 is RFC 6902 ({"op": "replace", "path": "/name"}); v2.0, which
        // Glance still takes, names the operation by its key ({"replace": "/name"}).
        // Either form is read under v2.0.
        let draft = contentType.hasPrefix("application/openstack-images-v2.0-json-patch")
        return try raw.map { item in
            let named = draft && item["op"] == nil ? ImageService.PatchOperation.Kind.allCases.first { item[$0.rawValue] != nil } : nil
            guard let kind = named ?? item["op"]?.stringValue.flatMap(ImageService.PatchOperation.Kind.init),
                  let path = named.map({ item[$0.rawValue]?.stringValue }) ?? item["path"]?.stringValue
            else {
                throw NimbusError.badRequest("Operations must be JSON objects with an 'op' of add, replace or remove, and a 'path'.")
            }
            return ImageService.PatchOperation(kind: kind, path: path, value: item["value"])
        }
    }

    // MARK: Data

    func upload(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        if let contentType = request.headers[.contentType], !contentType.hasPrefix("application/octet-stream") {
            throw NimbusError(.unsupportedMediaType, "Image data must be sent as application/octet-stream.")
        }
        let expectation = ImageService.UploadExpectation(md5: request.headers[.contentMD5])
        _ = try await images.upload(try context.parameters.require("id"), body: request.body, expectation: expectation, context.auth)
        return Response(status: .noContent)
    }

    func download(_ request: Request, _ context: AuthenticatedContext) async throws -> Response {
        let data = try images.data(try context.parameters.require("id"), context.auth)
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        guard data.size > 0 else {
            headers[.contentLength] = "0"
            return Response(status: .ok, headers: headers)
        }
        // RFC 9110 §14.2: a Range in a unit other than bytes is ignored, and a
        // server may ignore several ranges; both get the whole image, as from Glance.
        if let rangeHeader = request.headers[.range], rangeHeader.hasPrefix("bytes="), !rangeHeader.contains(",") {
            guard let range = Self.byteRange(rangeHeader, size: data.size) else {
                headers[.contentRange] = "bytes */\(data.size)"
                throw HTTPError(.rangeNotSatisfiable, headers: headers, message: "Requested range \(rangeHeader) is not satisfiable for \(data.size) bytes.")
            }
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(data.size)"
            headers[.contentLength] = "\(range.count)"
            let body = try await fileIO.loadFile(path: data.url.path, range: range, context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        }
        headers[.contentLength] = "\(data.size)"
        if let checksum = data.checksum { headers[.contentMD5] = checksum }
        let body = try await fileIO.loadFile(path: data.url.path, context: context)
        return Response(status: .ok, headers: headers, body: body)
    }

    /// One range of RFC 9110 `bytes=` syntax; nil when unsatisfiable or malformed.
    static func byteRange(_ header: String, size: Int64) -> ClosedRange<Int>? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let last = Int(size) - 1
        if parts[0].isEmpty {
            guard let suffix = Int(parts[1]), suffix > 0 else { return nil }
            return max(0, last - suffix + 1)...last
        }
        guard let start = Int(parts[0]), start <= last else { return nil }
        if parts[1].isEmpty { return start...last }
        guard let end = Int(parts[1]), end >= start else { return nil }
        return start...min(end, last)
    }
}
