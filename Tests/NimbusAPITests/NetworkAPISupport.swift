import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Neutron calls for the network tests: each helper requires the status a
/// success has and returns the resource object.
extension Caller {
    func neutron(
        _ method: HTTPRequest.Method, _ path: String, _ json: String? = nil
    ) async throws -> TestResponse {
        if let json { return try await send(method, "/network/v2.0/" + path, json: json) }
        return try await send(method, "/network/v2.0/" + path)
    }

    /// POST /<collection> with `{"<resource>": <attributes>}`; requires a 201.
    func createResource(
        _ resource: String, _ attributes: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [String: Any] {
        let response = try await neutron(.post, resource + "s", "{\"\(resource)\": \(attributes)}")
        try #require(response.status == .created, "create \(resource) \(attributes) gave \(response.status): \(response.text)", sourceLocation: sourceLocation)
        return try #require(try response.object()[resource] as? [String: Any], sourceLocation: sourceLocation)
    }

    func createNetwork(_ attributes: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        try #require(try await createResource("network", attributes, sourceLocation: sourceLocation)["id"] as? String, sourceLocation: sourceLocation)
    }

    /// A subnet on `network`; `extra` is spliced into the attributes (start it with a comma).
    func createSubnet(
        network: String, cidr: String, _ extra: String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [String: Any] {
        try await createResource("subnet", #"{"network_id": "\#(network)", "cidr": "\#(cidr)", "ip_version": 4\#(extra)}"#, sourceLocation: sourceLocation)
    }

    func createPort(network: String, _ extra: String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        try await createResource("port", #"{"network_id": "\#(network)"\#(extra)}"#, sourceLocation: sourceLocation)
    }

    /// GET /<collection>[?query]; requires a 200 and returns the objects.
    func listResources(_ collection: String, _ query: String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String: Any]] {
        let response = try await neutron(.get, collection + (query.isEmpty ? "" : "?" + query))
        try #require(response.status == .ok, "list \(collection)?\(query) gave \(response.status): \(response.text)", sourceLocation: sourceLocation)
        // The path is security-groups, the key security_groups.
        let key = collection.replacingOccurrences(of: "-", with: "_")
        return try #require(try response.object()[key] as? [[String: Any]], sourceLocation: sourceLocation)
    }

    func names(_ collection: String, _ query: String = "") async throws -> Set<String> {
        Set(try await listResources(collection, query).compactMap { $0["name"] as? String })
    }

    /// The id of the bootstrapped network with this name.
    func networkID(named name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let found = try await listResources("networks", "name=\(name)", sourceLocation: sourceLocation)
        try #require(found.count == 1, "networks named \(name): \(found.count)", sourceLocation: sourceLocation)
        return try #require(found[0]["id"] as? String, sourceLocation: sourceLocation)
    }
}

extension TestResponse {
    /// Requires Neutron's error shape, `{"NeutronError": {"type", "message", "detail"}}`; returns type and message.
    @discardableResult
    func neutronError(sourceLocation: SourceLocation = #_sourceLocation) throws -> (type: String, message: String) {
        #expect(headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
        let error = try #require(try object(sourceLocation: sourceLocation)["NeutronError"] as? [String: Any], "\(text)", sourceLocation: sourceLocation)
        let type = try #require(error["type"] as? String, sourceLocation: sourceLocation)
        let message = try #require(error["message"] as? String, sourceLocation: sourceLocation)
        #expect(!message.isEmpty, sourceLocation: sourceLocation)
        #expect(error["detail"] != nil, sourceLocation: sourceLocation)
        return (type, message)
    }
}

/// The addresses of ports, for allocation checks.
func addresses(_ port: [String: Any]) -> [String] {
    (port["fixed_ips"] as? [[String: Any]] ?? []).compactMap { $0["ip_address"] as? String }
}
