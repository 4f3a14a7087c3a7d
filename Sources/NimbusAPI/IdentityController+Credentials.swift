import Foundation
import Hummingbird
import Identity
import NimbusCore
import OpenStackAPI

/// /v3/credentials and /v3/policies.
extension IdentityController {
    func addCredentials(to router: RouterGroup<AuthenticatedContext>) {
        router.get("credentials") { request, context in
            let query = QueryParameters.first(request)
            let found = try identity.credentials(userId: query["user_id"], type: query["type"], context.auth)
            return try JSONMessages.response(["credentials": .array(found.map(render)), "links": links("credentials")] as [String: JSONValue])
        }
        router.post("credentials") { request, context in
            let body = try await entity("credential", from: request)
            let created = try identity.createCredential(
                userId: try string(body, "user_id"), projectId: try string(body, "project_id"), type: try string(body, "type"),
                blob: try string(body, "blob"), context.auth)
            return try JSONMessages.response(["credential": render(created)], status: .created)
        }
        router.get("credentials/{credential}") { _, context in
            try JSONMessages.response(["credential": render(try identity.credential(try context.parameters.require("credential"), context.auth))])
        }
        router.patch("credentials/{credential}") { request, context in
            let body = try await entity("credential", from: request)
            let updated = try identity.updateCredential(
                try context.parameters.require("credential"), userId: try string(body, "user_id"), projectId: try string(body, "project_id"),
                type: try string(body, "type"), blob: try string(body, "blob"), context.auth)
            return try JSONMessages.response(["credential": render(updated)])
        }
        router.delete("credentials/{credential}") { _, context in
            try identity.deleteCredential(try context.parameters.require("credential"), context.auth)
            return Response(status: .noContent)
        }

        router.get("policies") { request, context in
            let found = try identity.policies(type: QueryParameters.first(request)["type"], context.auth)
            return try JSONMessages.response(["policies": .array(found.map(render)), "links": links("policies")] as [String: JSONValue])
        }
        router.post("policies") { request, context in
            let body = try await entity("policy", from: request)
            let policy = try identity.createPolicy(type: try string(body, "type"), blob: try string(body, "blob"), extra: policyExtra(body), context.auth)
            return try JSONMessages.response(["policy": render(policy)], status: .created)
        }
        router.get("policies/{policy}") { _, context in
            try JSONMessages.response(["policy": render(try identity.policy(try context.parameters.require("policy"), context.auth))])
        }
        router.patch("policies/{policy}") { request, context in
            let body = try await entity("policy", from: request)
            let policy = try identity.updatePolicy(
                try context.parameters.require("policy"), type: try string(body, "type"), blob: try string(body, "blob"),
                extra: policyExtra(body), context.auth)
            return try JSONMessages.response(["policy": render(policy)])
        }
        router.delete("policies/{policy}") { _, context in
            try identity.deletePolicy(try context.parameters.require("policy"), context.auth)
            return Response(status: .noContent)
        }
    }

    func render(_ open: IdentityService.OpenCredential) -> JSONValue {
        [
            "id": .string(open.credential.id.rawValue), "user_id": .string(open.credential.userId.rawValue),
            "project_id": open.credential.projectId.map { .string($0.rawValue) } ?? .null, "type": .string(open.credential.type),
            "blob": .string(open.blob), "links": ["self": .string("\(baseURL)/identity/v3/credentials/\(open.credential.id)")],
        ]
    }

    func policyExtra(_ body: [String: JSONValue]) -> [String: JSONValue] {
        body.filter { !["id", "type", "blob", "links"].contains($0.key) }
    }

    func render(_ policy: PolicyDocument) -> JSONValue {
        var fields = policy.extra
        fields["id"] = .string(policy.id.rawValue)
        fields["type"] = .string(policy.type)
        fields["blob"] = .string(policy.blob)
        fields["links"] = ["self": .string("\(baseURL)/identity/v3/policies/\(policy.id)")]
        return .object(fields)
    }
}
