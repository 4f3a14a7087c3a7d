import Compute
import Foundation
import Hummingbird
import NimbusCore
import OpenStackAPI

/// /os-keypairs as Nova serves it: 2.2 adds the type and answers 201 and
/// 204; 2.10 lets an admin name another user; 2.35 pages by name.
struct KeypairRoutes {
    let compute: ComputeService
    let baseURL: String

    func add(to v21: RouterGroup<AuthenticatedContext>) {
        v21.get("os-keypairs") { request, context in
            let version = context.microversion
            try version.checkQuery(request, allowed: ["user_id", "limit", "marker"])
            let query = QueryParameters.first(request)
            var keypairs = try compute.keypairs(owner: version.atLeast(10) ? query["user_id"] : nil, context.auth)
            var links: JSONValue?
            if version.atLeast(35) {
                if let marker = query["marker"] {
                    guard let index = keypairs.firstIndex(where: { $0.name == marker }) else {
                        throw NimbusError.badRequest("Marker \(marker) could not be found.")
                    }
                    keypairs.removeFirst(index + 1)
                }
                if let text = query["limit"] {
                    guard let limit = Int(text), limit >= 0 else {
                        throw NimbusError.badRequest("Invalid input for query parameters limit. Value: \(text). '\(text)' does not match '^[0-9]*$'")
                    }
                    if keypairs.count > limit, let last = keypairs.prefix(limit).last {
                        var next = "\(baseURL)/compute/v2.1/os-keypairs?limit=\(limit)&marker=\(last.name)"
                        if let user = query["user_id"] { next += "&user_id=\(user)" }
                        links = [["rel": "next", "href": .string(next)]]
                    }
                    keypairs = Array(keypairs.prefix(limit))
                }
            }
            let bodies = keypairs.map { keypair -> JSONValue in
                var body: [String: JSONValue] = ["name": .string(keypair.name), "public_key": .string(keypair.publicKey), "fingerprint": .string(keypair.fingerprint)]
                if version.atLeast(2) { body["type"] = .string(keypair.type) }
                return ["keypair": .object(body)]
            }
            var body: [String: JSONValue] = ["keypairs": .array(bodies)]
            if let links { body["keypairs_links"] = links }
            return try JSONMessages.response(body)
        }
        v21.post("os-keypairs") { request, context in
            let version = context.microversion
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard case .object(let keypair)? = body["keypair"], let name = keypair["name"]?.stringValue else {
                throw NimbusError.badRequest("Invalid input for field/attribute keypair: 'name' is a required property.")
            }
            // `key_type` is Nimbus's own: which kind of key to generate (ed25519, the default, or rsa).
            var allowed: Set<String> = ["name", "public_key", "key_type"]
            if version.atLeast(2) { allowed.insert("type") }
            if version.atLeast(10) { allowed.insert("user_id") }
            try JSONMessages.refuseUnknown(keypair, allowed: allowed, in: "keypair")
            let type: String
            switch keypair["type"] {
            case nil: type = "ssh"
            case .string(let text)? where text == "ssh" || text == "x509": type = text
            case let other?: throw NimbusError.badRequest("Invalid input for field/attribute type. Value: \(other). It must be 'ssh' or 'x509'.")
            }
            let created = try compute.createKeypair(
                name: name, publicKey: keypair["public_key"]?.stringValue, kind: keypair["key_type"]?.stringValue, type: type,
                owner: keypair["user_id"]?.stringValue, context.auth)
            var rendered = Self.render(created.keypair)
            if version.atLeast(2) { rendered["type"] = .string(created.keypair.type) }
            if let privateKey = created.privateKey { rendered["private_key"] = .string(privateKey) }
            return try JSONMessages.response(["keypair": .object(rendered)] as [String: JSONValue], status: version.atLeast(2) ? .created : .ok)
        }
        v21.get("os-keypairs/{name}") { request, context in
            try context.microversion.checkQuery(request, allowed: ["user_id"])
            let owner = context.microversion.atLeast(10) ? QueryParameters.first(request)["user_id"] : nil
            let keypair = try compute.keypair(try context.parameters.require("name"), owner: owner, context.auth)
            var rendered = Self.render(keypair)
            rendered["created_at"] = .string(Timestamps.iso8601(keypair.createdAt))
            rendered["deleted"] = false
            rendered["deleted_at"] = .null
            rendered["updated_at"] = .null
            rendered["id"] = JSONValue(Int(StableHash.fnv1a(keypair.userId.rawValue + "/" + keypair.name) & 0x7FFF_FFFF))
            if context.microversion.atLeast(2) { rendered["type"] = .string(keypair.type) }
            return try JSONMessages.response(["keypair": .object(rendered)] as [String: JSONValue])
        }
        v21.delete("os-keypairs/{name}") { request, context in
            try context.microversion.checkQuery(request, allowed: ["user_id"])
            let owner = context.microversion.atLeast(10) ? QueryParameters.first(request)["user_id"] : nil
            try compute.deleteKeypair(try context.parameters.require("name"), owner: owner, context.auth)
            return Response(status: context.microversion.atLeast(2) ? .noContent : .accepted)
        }
    }

    static func render(_ keypair: Keypair) -> [String: JSONValue] {
        ["name": .string(keypair.name), "public_key": .string(keypair.publicKey), "fingerprint": .string(keypair.fingerprint),
         "user_id": .string(keypair.userId.rawValue)]
    }
}
