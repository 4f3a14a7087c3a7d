import Foundation
import OpenStackAPI
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small Compute API client for the `nimbus` commands that act on servers:
/// it signs in with Keystone, finds Compute in the catalog and sends JSON.
struct ComputeClient: Sendable {
    let token: String
    let computeURL: String
    /// The public endpoints of the catalog, by service type (image, network, ...).
    var endpoints: [String: String] = [:]

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func signIn(_ credentials: CloudCredentials) async throws -> ComputeClient {
        let body: [String: Any] = [
            "auth": [
                "identity": ["methods": ["password"], "password": ["user": [
                    "name": credentials.username, "domain": ["name": credentials.userDomain], "password": credentials.password,
                ]]],
                "scope": ["project": ["name": credentials.projectName, "domain": ["name": credentials.projectDomain]]],
            ],
        ]
        let base = credentials.authURL.hasSuffix("/") ? String(credentials.authURL.dropLast()) : credentials.authURL
        let url = base.hasSuffix("/v3") ? base + "/auth/tokens" : base + "/v3/auth/tokens"
        let (response, json) = try await send("POST", url, body: try JSONSerialization.data(withJSONObject: body), token: nil)
        guard response.statusCode == 201, let token = response.value(forHTTPHeaderField: "X-Subject-Token") else {
            throw Failure(description: "Sign-in at \(url) failed: \(message(json) ?? "HTTP \(response.statusCode)")")
        }
        let catalog = ((json?["token"] as? [String: Any])?["catalog"] as? [[String: Any]]) ?? []
        var endpoints: [String: String] = [:]
        for service in catalog {
            guard let type = service["type"] as? String, let listed = service["endpoints"] as? [[String: Any]],
                  let url = listed.first(where: { $0["interface"] as? String == "public" })?["url"] as? String else { continue }
            endpoints[type] = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        guard let compute = endpoints["compute"] else {
            throw Failure(description: "The service catalog has no public compute endpoint.")
        }
        return ComputeClient(token: token, computeURL: compute, endpoints: endpoints)
    }

    /// GET a JSON document from a service of the catalog (`image`, `network`, `compute`).
    func get(_ service: String, _ path: String) async throws -> [String: Any] {
        guard let base = endpoints[service] else { throw Failure(description: "The service catalog has no public \(service) endpoint.") }
        let (response, json) = try await Self.send("GET", base + path, body: nil, token: token)
        guard response.statusCode == 200, let json else { throw Failure(description: message(json) ?? "HTTP \(response.statusCode) from \(path)") }
        return json
    }

    /// The id of the one item of `list` whose id or name is `reference`.
    static func pick(_ reference: String, from list: [[String: Any]], kind: String) throws -> String {
        if let match = list.first(where: { $0["id"] as? String == reference }), let id = match["id"] as? String { return id }
        let named = list.filter { $0["name"] as? String == reference }
        guard named.count == 1, let id = named[0]["id"] as? String else {
            throw Failure(description: named.isEmpty ? "No \(kind) with a name or ID of '\(reference)' exists." : "More than one \(kind) is named '\(reference)'; use its ID.")
        }
        return id
    }

    /// An image by id or name, through the image service.
    func imageID(_ reference: String) async throws -> String {
        let query = Self.percentEncoded(reference)
        if let shown = try? await get("image", "/v2/images/\(query)"), let id = shown["id"] as? String { return id }
        let found = try await get("image", "/v2/images?name=\(query)")
        return try Self.pick(reference, from: found["images"] as? [[String: Any]] ?? [], kind: "image")
    }

    /// RFC 3986's unreserved characters stay; everything else is percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// A flavor by id or name.
    func flavorID(_ reference: String) async throws -> String {
        try Self.pick(reference, from: try await get("compute", "/flavors")["flavors"] as? [[String: Any]] ?? [], kind: "flavor")
    }

    /// A network by id or name, through the network service.
    func networkID(_ reference: String) async throws -> String {
        let networks = try await get("network", "/v2.0/networks")["networks"] as? [[String: Any]] ?? []
        return try Self.pick(reference, from: networks, kind: "network")
    }

    /// POST /servers; the new server's id.
    func createServer(_ request: Nova.CreateServer) async throws -> String {
        let (response, json) = try await Self.send("POST", "\(computeURL)/servers", body: try JSONEncoder().encode(request), token: token)
        guard response.statusCode == 202, let id = (json?["server"] as? [String: Any])?["id"] as? String else {
            throw Failure(description: message(json) ?? "HTTP \(response.statusCode)")
        }
        return id
    }

    /// A server by id or by exact name.
    func serverID(_ reference: String) async throws -> String {
        let (shown, _) = try await Self.send("GET", "\(computeURL)/servers/\(reference)", body: nil, token: token)
        if shown.statusCode == 200 { return reference }
        let escaped = NSRegularExpression.escapedPattern(for: reference)
        let query = "^\(escaped)$".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? reference
        let (_, json) = try await Self.send("GET", "\(computeURL)/servers?name=\(query)", body: nil, token: token)
        let servers = (json?["servers"] as? [[String: Any]]) ?? []
        guard servers.count == 1, let id = servers[0]["id"] as? String else {
            throw Failure(description: servers.isEmpty ? "No server with a name or ID of '\(reference)' exists." : "More than one server is named '\(reference)'; use its ID.")
        }
        return id
    }

    /// POST /servers/{id}/action, returning the JSON answer.
    func action(_ server: String, _ action: Nova.ServerAction) async throws -> [String: Any] {
        let (response, json) = try await Self.send(
            "POST", "\(computeURL)/servers/\(server)/action", body: try JSONEncoder().encode(action), token: token)
        guard (200..<300).contains(response.statusCode) else {
            throw Failure(description: message(json) ?? "HTTP \(response.statusCode)")
        }
        return json ?? [:]
    }

    /// POST a JSON body to a path under the server, expecting no answer body.
    func post(_ server: String, _ path: String, _ body: some Encodable) async throws {
        let (response, json) = try await Self.send(
            "POST", "\(computeURL)/servers/\(server)/\(path)", body: try JSONEncoder().encode(body), token: token)
        guard (200..<300).contains(response.statusCode) else {
            throw Failure(description: message(json) ?? "HTTP \(response.statusCode)")
        }
    }

    /// The bytes of a GET under the server (a screenshot).
    func download(_ server: String, _ path: String) async throws -> Data {
        guard let url = URL(string: "\(computeURL)/servers/\(server)/\(path)") else { throw Failure(description: "Bad server reference") }
        var request = URLRequest(url: url)
        request.setValue(token, forHTTPHeaderField: "X-Auth-Token")
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            throw Failure(description: message(json) ?? "HTTP \((response as? HTTPURLResponse)?.statusCode ?? 0)")
        }
        return data
    }

    func message(_ json: [String: Any]?) -> String? { Self.message(json) }

    /// The `message` of any OpenStack error shape ({"badRequest": {"message": ...}}, {"error": {...}}, ...).
    static func message(_ json: [String: Any]?) -> String? {
        guard let json else { return nil }
        for value in json.values {
            if let inner = value as? [String: Any], let message = inner["message"] as? String { return message }
        }
        return json["message"] as? String
    }

    static func send(_ method: String, _ url: String, body: Data?, token: String?) async throws -> (HTTPURLResponse, [String: Any]?) {
        guard let target = URL(string: url) else { throw Failure(description: "Not a URL: \(url)") }
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let token { request.setValue(token, forHTTPHeaderField: "X-Auth-Token") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw Failure(description: "No HTTP answer from \(url)") }
        return (http, data.isEmpty ? nil : (try? JSONSerialization.jsonObject(with: data)) as? [String: Any])
    }
}
