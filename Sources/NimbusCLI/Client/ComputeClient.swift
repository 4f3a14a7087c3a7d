import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import OpenStackAPI
import Synchronization

/// A small Compute API client for the `nimbus` commands that act on servers:
/// it signs in with Keystone, finds Compute in the catalog and sends JSON.
struct ComputeClient: Sendable {
    let transport: Transport
    let token: String
    let computeURL: String
    /// The public endpoints of the catalog, by service type (image, network, ...).
    var endpoints: [String: String] = [:]

    /// HTTP(S) to the cloud, trusting the cloud's own CA when it names one.
    struct Transport: Sendable {
        let client: HTTPClient
        /// For websockets (the serial console), which need it apart.
        let tls: TLSConfiguration?

        init(caCertificate: String?) {
            guard let caCertificate else {
                client = .shared
                tls = nil
                return
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caCertificate)
            self.tls = tls
            client = Self.clients.withLock { clients in
                if let kept = clients[caCertificate] { return kept }
                let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
                clients[caCertificate] = made
                return made
            }
        }

        /// One client per CA for the life of the command: the process's end
        /// closes its connections (a client must never be released unclosed).
        private static let clients = Mutex<[String: HTTPClient]>([:])

        struct Answer {
            let status: Int
            let headers: HTTPHeaders
            let body: Data
            var json: [String: Any]? { body.isEmpty ? nil : (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
        }

        func send(_ method: HTTPMethod, _ url: String, body: Data?, token: String?) async throws -> Answer {
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "Accept", value: "application/json")
            if let token { request.headers.add(name: "X-Auth-Token", value: token) }
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: .seconds(300))
            } catch {
                throw Failure(description: "No HTTP answer from \(url): \(error)")
            }
            let bytes = try await response.body.collect(upTo: 256 << 20)
            return Answer(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
        }
    }

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
        let transport = Transport(caCertificate: credentials.caCertificate)
        let answer = try await transport.send(.POST, url, body: try JSONSerialization.data(withJSONObject: body), token: nil)
        let json = answer.json
        guard answer.status == 201, let token = answer.headers.first(name: "X-Subject-Token") else {
            throw Failure(description: "Sign-in at \(url) failed: \(message(json) ?? "HTTP \(answer.status)")")
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
        return ComputeClient(transport: transport, token: token, computeURL: compute, endpoints: endpoints)
    }

    /// GET a JSON document from a service of the catalog (`image`, `network`, `compute`).
    func get(_ service: String, _ path: String) async throws -> [String: Any] {
        guard let base = endpoints[service] else { throw Failure(description: "The service catalog has no public \(service) endpoint.") }
        let answer = try await transport.send(.GET, base + path, body: nil, token: token)
        guard answer.status == 200, let json = answer.json else { throw Failure(description: message(answer.json) ?? "HTTP \(answer.status) from \(path)") }
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
        let answer = try await transport.send(.POST, "\(computeURL)/servers", body: try JSONEncoder().encode(request), token: token)
        guard answer.status == 202, let id = (answer.json?["server"] as? [String: Any])?["id"] as? String else {
            throw Failure(description: message(answer.json) ?? "HTTP \(answer.status)")
        }
        return id
    }

    /// A server by id or by exact name.
    func serverID(_ reference: String) async throws -> String {
        let shown = try await transport.send(.GET, "\(computeURL)/servers/\(Self.percentEncoded(reference))", body: nil, token: token)
        if shown.status == 200 { return reference }
        let escaped = NSRegularExpression.escapedPattern(for: reference)
        let query = "^\(escaped)$".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? reference
        let found = try await transport.send(.GET, "\(computeURL)/servers?name=\(query)", body: nil, token: token)
        let servers = (found.json?["servers"] as? [[String: Any]]) ?? []
        guard servers.count == 1, let id = servers[0]["id"] as? String else {
            throw Failure(description: servers.isEmpty ? "No server with a name or ID of '\(reference)' exists." : "More than one server is named '\(reference)'; use its ID.")
        }
        return id
    }

    /// POST /servers/{id}/action, returning the JSON answer.
    func action(_ server: String, _ action: Nova.ServerAction) async throws -> [String: Any] {
        let answer = try await transport.send(
            .POST, "\(computeURL)/servers/\(server)/action", body: try JSONEncoder().encode(action), token: token)
        guard (200..<300).contains(answer.status) else {
            throw Failure(description: message(answer.json) ?? "HTTP \(answer.status)")
        }
        return answer.json ?? [:]
    }

    /// POST a JSON body to a path under the server, expecting no answer body.
    func post(_ server: String, _ path: String, _ body: some Encodable) async throws {
        let answer = try await transport.send(
            .POST, "\(computeURL)/servers/\(server)/\(path)", body: try JSONEncoder().encode(body), token: token)
        guard (200..<300).contains(answer.status) else {
            throw Failure(description: message(answer.json) ?? "HTTP \(answer.status)")
        }
    }

    /// The bytes of a GET under the server (a screenshot).
    func download(_ server: String, _ path: String) async throws -> Data {
        let answer = try await transport.send(.GET, "\(computeURL)/servers/\(server)/\(path)", body: nil, token: token)
        guard answer.status == 200 else { throw Failure(description: message(answer.json) ?? "HTTP \(answer.status)") }
        return answer.body
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
}
