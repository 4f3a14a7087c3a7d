import Foundation
import HTTPTypes
import Hummingbird
import Networking
import NimbusCore

/// A Neutron list or show query: attribute filters, `fields` to trim each
/// object to, and `limit`/`marker` paging with a `<collection>_links` next link.
struct NeutronQuery {
    var service = NetworkService.ListQuery()
    var fields: [String] = []
    let rawQuery: String?

    /// Sorting is not an extension Nimbus offers; its parameters are ignored, as Neutron ignores unknown ones.
    static let ignored: Set<String> = ["sort_key", "sort_dir", "page_reverse"]

    init(_ request: Request) throws {
        rawQuery = request.uri.query
        for (key, value) in QueryParameters.decode(request.uri.query) {
            switch key {
            case "fields": fields.append(value)
            case "limit":
                guard let limit = Int(value), limit >= 0 else {
                    throw NimbusError.badRequest("Invalid input for limit. Reason: '\(value)' is not a non-negative integer.")
                }
                // Neutron: limit=0 means no limit.
                service.limit = limit == 0 ? nil : limit
            case "marker": service.marker = value
            case _ where Self.ignored.contains(key): continue
            default: service.filters.append((key, value))
            }
        }
    }

    func trimmed(_ object: [String: JSONValue]) -> [String: JSONValue] {
        fields.isEmpty ? object : object.filter { fields.contains($0.key) }
    }

    func listResponse(_ collection: String, _ objects: [[String: JSONValue]], baseURL: String) throws -> Response {
        var body: [String: JSONValue] = [collection: .array(objects.map { .object(trimmed($0)) })]
        if let limit = service.limit, objects.count == limit, let last = objects.last?["id"]?.stringValue {
            body["\(collection)_links"] = [["rel": "next", "href": .string("\(baseURL)/network/v2.0/\(collection)?\(nextQuery(marker: last))")]]
        }
        return try JSONMessages.response(body)
    }

    func showResponse(_ resource: String, _ object: [String: JSONValue]) throws -> Response {
        try JSONMessages.response([resource: .object(trimmed(object))] as [String: JSONValue])
    }

    /// The request's query with the marker replaced.
    func nextQuery(marker: String) -> String {
        let items = (rawQuery ?? "").split(separator: "&").filter { !$0.hasPrefix("marker=") }.map(String.init)
        return (items + ["marker=\(marker)"]).joined(separator: "&")
    }
}

/// Renders the network service's failures with the `type` Neutron gives them
/// (`NetworkNotFound`, `IpAddressGenerationFailure`, …) in Neutron's shape;
/// everything else goes on to ErrorMiddleware, which renders the same shape
/// with a generic type.
struct NeutronFaultMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as NimbusError {
            guard let fault = error.cause as? NeutronFault else { throw error }
            context.logger.debug("request refused", metadata: ["error": "\(error)"])
            let body: [String: JSONValue] = ["NeutronError": ["type": .string(fault.type), "message": .string(error.message), "detail": ""]]
            return try JSONMessages.response(body, status: error.code.status)
        }
    }
}
