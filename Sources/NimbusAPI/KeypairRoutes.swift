import Compute
import Foundation
import Hummingbird
import NimbusCore
import OpenStackAPI

/// /os-keypairs as Nova serves it at 2.1.
struct KeypairRoutes {
    let compute: ComputeService

    func add(to v21: RouterGroup<AuthenticatedContext>) {
        v21.get("os-keypairs") { _, context in
            let keypairs = try compute.keypairs(context.auth).map { keypair -> JSONValue in
                ["keypair": ["name": .string(keypair.name), "public_key": .string(keypair.publicKey), "fingerprint": .string(keypair.fingerprint)]]
            }
            return try JSONMessages.response(["keypairs": .array(keypairs)] as [String: JSONValue])
        }
        v21.post("os-keypairs") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard case .object(let keypair)? = body["keypair"], let name = keypair["name"]?.stringValue else {
                throw NimbusError.badRequest("Invalid input for field/attribute keypair: 'name' is a required property.")
            }
            // `key_type` is Nimbus's own: which kind of key to generate (ed25519, the default, or rsa).
            try JSONMessages.refuseUnknown(keypair, allowed: ["name", "public_key", "type", "user_id", "key_type"], in: "keypair")
            let created = try compute.createKeypair(
                name: name, publicKey: keypair["public_key"]?.stringValue, kind: keypair["key_type"]?.stringValue, context.auth)
            var rendered = Self.render(created.keypair)
            if let privateKey = created.privateKey { rendered["private_key"] = .string(privateKey) }
            return try JSONMessages.response(["keypair": .object(rendered)] as [String: JSONValue])
        }
        v21.get("os-keypairs/{name}") { _, context in
            let keypair = try compute.keypair(try context.parameters.require("name"), context.auth)
            var rendered = Self.render(keypair)
            rendered["created_at"] = .string(Timestamps.iso8601(keypair.createdAt))
            rendered["deleted"] = false
            rendered["deleted_at"] = .null
            rendered["updated_at"] = .null
            rendered["id"] = JSONValue(Int(StableHash.fnv1a(keypair.userId.rawValue + "/" + keypair.name) & 0x7FFF_FFFF))
            return try JSONMessages.response(["keypair": .object(rendered)] as [String: JSONValue])
        }
        v21.delete("os-keypairs/{name}") { _, context in
            try compute.deleteKeypair(try context.parameters.require("name"), context.auth)
            return Response(status: .accepted)
        }
    }

    static func render(_ keypair: Keypair) -> [String: JSONValue] {
        ["name": .string(keypair.name), "public_key": .string(keypair.publicKey), "fingerprint": .string(keypair.fingerprint),
         "user_id": .string(keypair.userId.rawValue)]
    }
}
