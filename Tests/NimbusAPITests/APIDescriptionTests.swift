import Compute
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NimbusAPI
import NimbusServer
import Testing

/// The OpenAPI document against the router `nimbus serve` runs.
@Suite("The API description and the router")
struct APIDescriptionTests {
    /// Every route of the composed cloud (services and dashboard), as "METHOD /path".
    static func servedRoutes() async throws -> [String] {
        let cloud = try TestCloud()
        let built = try await NimbusServer.makeCloud(cloud.configuration, services: cloud.services, runtime: InMemoryRuntime(), accelerator: .tcg)
        try? FileManager.default.removeItem(at: cloud.configuration.dataDirectory)
        return built.router.routes.map { "\($0.method) \($0.path)" }
    }

    @Test("every route the router serves is described, and every description is a route")
    func noDrift() async throws {
        let served = try await Self.servedRoutes()
        let described = APIDescription.operations.map(\.route)
        #expect(Set(served).count == served.count)
        #expect(Set(described).count == described.count, "described twice: \(Dictionary(grouping: described, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted())")
        let undescribed = Set(served).subtracting(described).sorted()
        let unserved = Set(described).subtracting(served).sorted()
        #expect(undescribed.isEmpty, "routes without a description: \(undescribed)")
        #expect(unserved.isEmpty, "descriptions without a route: \(unserved)")
    }

    @Test("the document is served without a token, is OpenAPI 3.1, and shows an example body for each write of the API")
    func served() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let response = try await client.execute(uri: APIDescription.path, method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var operations = 0
            for (path, item) in paths {
                for (method, value) in item where method != "parameters" {
                    operations += 1
                    let operation = try #require(value as? [String: Any])
                    #expect(operation["x-nimbus-access"] is String, "\(method) \(path)")
                    let body = (operation["requestBody"] as? [String: Any])?["content"] as? [String: [String: Any]]
                    if let json = body?.first(where: { $0.key.hasSuffix("json") })?.value {
                        #expect(json["example"] != nil, "\(method.uppercased()) \(path) has no example body")
                    }
                    if ["post", "patch"].contains(method), !path.hasPrefix("/dashboard"), !path.contains("/actions/") {
                        #expect(body != nil, "\(method.uppercased()) \(path) describes no body")
                    }
                }
                let names = path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
                let declared = (item["parameters"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(declared == names, "\(path)")
            }
            #expect(operations == APIDescription.operations.count)
            let extensions = ["/compute/v2.1/servers/{id}/screenshot", "/compute/v2.1/servers/{id}/keys", "/compute/v2.1/servers/{id}/nimbus-media"]
            for path in extensions { #expect(paths[path] != nil, "\(path)") }
        }
    }
}
