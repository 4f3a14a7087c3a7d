import NimbusCore

/// One operation of Nimbus's HTTP interface: what the OpenAPI document says
/// of it, and who may call it. The route-table tests hold this list to the
/// router (no route without a description, no description without a route)
/// and call every operation as the wrong caller.
public struct APIOperation: Sendable {
    /// Who may call an operation, as OpenStack's default policies say.
    public enum Access: String, Sendable, CaseIterable {
        /// No token: discovery, issuing a token, the dashboard's login page.
        case anyone
        /// Any valid token, scoped or not (a token about itself, the regions).
        case token
        /// A project-scoped token; it acts on its own project's resources.
        case member
        /// The user or project the path names, or an admin.
        case owner
        /// The admin role.
        case admin
        /// A console grant in the query, handed out by `remote-consoles`.
        case grant
        /// The dashboard's session cookie.
        case session
    }

    public let method: String
    public let path: String
    public let summary: String
    public let access: Access
    /// The top-level key of a successful JSON answer (`server`), or the key
    /// of its list (`servers[]`); nil when the answer is not described.
    public let returns: String?
    /// A request body that works, shown in the document and sent by the tests.
    public let example: JSONValue?
    /// The media type of the request body.
    public let bodyType: String

    /// `"GET /compute/v2.1/servers"`.
    public var route: String { "\(method) \(path)" }

    /// The path's parameters, in order (`{id}`, `{key}`).
    public var parameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) }
    }

    /// The service the operation belongs to, by its path's first segment.
    public var tag: String {
        switch path.split(separator: "/").first.map(String.init) ?? "" {
        case "identity": "Identity"
        case "image": "Image"
        case "compute": "Compute"
        case "network": "Network"
        case "console": "Consoles"
        case "dashboard": "Dashboard"
        default: "Nimbus"
        }
    }

    init(_ route: String, _ access: Access, _ summary: String, returns: String? = nil, example: JSONValue? = nil, bodyType: String = "application/json") {
        let parts = route.split(separator: " ", maxSplits: 1)
        precondition(parts.count == 2, "an operation is written \"METHOD /path\": \(route)")
        method = String(parts[0])
        path = String(parts[1])
        self.summary = summary
        self.access = access
        self.returns = returns
        self.example = example
        self.bodyType = bodyType
    }
}

/// Nimbus's HTTP interface as an OpenAPI 3.1 document, served at
/// `/openapi.json` and fed to schemathesis in CI.
public enum APIDescription {
    /// Where the document is served.
    public static let path = "/openapi.json"

    public static var operations: [APIOperation] {
        root + identity + image + compute + consoles + network + dashboard
    }

    static let root: [APIOperation] = [
        .init("GET /", .anyone, "Where each service is (a browser is sent to the dashboard)"),
        .init("GET /openapi.json", .anyone, "This document"),
    ]

    /// The document, its `servers` entry pointing at `baseURL`.
    public static func document(baseURL: String) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for operation in operations {
            var item = paths[operation.path]?.objectValue ?? [:]
            if item["parameters"] == nil, !operation.parameters.isEmpty {
                item["parameters"] = .array(operation.parameters.map { name in
                    ["name": .string(name), "in": "path", "required": true, "schema": ["type": "string"]]
                })
            }
            item[operation.method.lowercased()] = describe(operation, links: links(from: operation))
            paths[operation.path] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Nimbus",
                "version": "1",
                "description": """
                    OpenStack's Identity v3, Image v2, Compute v2.1 and Network v2.0 APIs as Nimbus serves them, \
                    with Nimbus's additions (the screen as PNG, keys sent to the guest, CD drives ejected and \
                    inserted live). x-nimbus-access says who may call each operation.
                    """,
            ],
            "servers": [["url": .string(baseURL)]],
            "tags": .array(["Nimbus", "Identity", "Image", "Compute", "Consoles", "Network", "Dashboard"].map { ["name": .string($0)] }),
            "security": [["token": []]],
            "components": [
                "securitySchemes": [
                    "token": ["type": "apiKey", "in": "header", "name": "X-Auth-Token"],
                    "session": ["type": "apiKey", "in": "cookie", "name": "nimbus_session"],
                ]
            ],
            "paths": .object(paths),
        ]
    }

    /// OpenAPI links from a create to what acts on the resource it made
    /// (`POST /servers` → `GET /servers/{id}`), so a fuzzer's stateful phase
    /// reaches real resources instead of 404s.
    private static func links(from operation: APIOperation) -> [String: JSONValue] {
        guard operation.method == "POST", let returns = operation.returns, !returns.hasSuffix("[]"), operation.parameters.isEmpty else { return [:] }
        let idPointer = returns.isEmpty ? "$response.body#/id" : "$response.body#/\(returns)/id"
        var links: [String: JSONValue] = [:]
        for target in operations where target.parameters.count == 1 && target.path.hasPrefix(operation.path + "/{") {
            links[operationID(target)] = [
                "operationId": .string(operationID(target)),
                "parameters": .object([target.parameters[0]: .string(idPointer)]),
            ]
        }
        return links
    }

    private static func describe(_ operation: APIOperation, links: [String: JSONValue]) -> JSONValue {
        var described: [String: JSONValue] = [
            "operationId": .string(operationID(operation)),
            "summary": .string(operation.summary),
            "tags": [.string(operation.tag)],
            "x-nimbus-access": .string(operation.access.rawValue),
            "responses": responses(operation, links: links),
        ]
        switch operation.access {
        case .anyone, .grant: described["security"] = []
        case .session: described["security"] = [["session": []]]
        default: break
        }
        // Writes without a body (a grant, a tag, an action of the image API) get none.
        if operation.example != nil || !operation.bodyType.hasSuffix("json") {
            var media: [String: JSONValue] = ["schema": operation.bodyType.hasSuffix("json") ? bodySchema(operation.example) : ["type": "string", "format": "binary"]]
            if let example = operation.example { media["example"] = example }
            described["requestBody"] = ["required": .bool(operation.example != nil), "content": .object([operation.bodyType: .object(media)])]
        }
        return .object(described)
    }

    /// A body must be an object with the example's top-level keys; what is
    /// inside each is checked by the service, with its own error.
    private static func bodySchema(_ example: JSONValue?) -> JSONValue {
        guard case .object(let fields)? = example else { return example.map { .object(["type": .string($0.typeName)]) } ?? ["type": "object"] }
        return ["type": "object", "required": .array(fields.keys.sorted().map { .string($0) })]
    }

    private static func responses(_ operation: APIOperation, links: [String: JSONValue]) -> JSONValue {
        let error: JSONValue = [
            "description": "An error in the service's own shape (Keystone's, Glance's, Nova's or Neutron's)",
        ]
        guard operation.method != "HEAD" else { return ["default": ["description": "The headers of the GET answer, or the status alone"]] }
        var responses: [String: JSONValue] = ["default": error]
        if let returns = operation.returns {
            let key = returns.hasSuffix("[]") ? String(returns.dropLast(2)) : returns
            let value: JSONValue = returns.hasSuffix("[]") ? ["type": "array", "items": ["type": "object"]] : ["type": "object"]
            let schema: JSONValue = key.isEmpty ? ["type": "object"] : ["type": "object", "required": [.string(key)], "properties": .object([key: value])]
            var success: [String: JSONValue] = ["description": "Success", "content": ["application/json": ["schema": schema]]]
            if !links.isEmpty { success["links"] = .object(links) }
            responses["2XX"] = .object(success)
        }
        return .object(responses)
    }

    private static func operationID(_ operation: APIOperation) -> String {
        let words = operation.path.split(separator: "/").map { segment -> String in
            segment.hasPrefix("{") ? "by-" + segment.dropFirst().dropLast() : String(segment)
        }
        return ([operation.method.lowercased()] + words).joined(separator: "-")
    }
}

extension JSONValue {
    fileprivate var objectValue: [String: JSONValue]? {
        if case .object(let object) = self { return object }
        return nil
    }
}
