import Foundation
import Hummingbird
import Images
import NimbusCore
import OpenStackAPI

extension ImageController {
    func addMembers(to v2: RouterGroup<AuthenticatedContext>) {
        v2.get("images/{id}/members") { _, context in
            let members = try images.members(try context.parameters.require("id"), context.auth)
            return try JSONMessages.response([
                "members": .array(members.map { .object(Glance.member($0)) }), "schema": "/v2/schemas/members",
            ] as [String: JSONValue])
        }
        v2.post("images/{id}/members") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard let member = body["member"]?.stringValue else {
                throw NimbusError.badRequest("The request body must be {\"member\": \"<project id>\"}.")
            }
            let created = try images.addMember(try context.parameters.require("id"), member, context.auth)
            return try JSONMessages.response(Glance.member(created))
        }
        v2.get("images/{id}/members/{member}") { _, context in
            let member = try images.member(try context.parameters.require("id"), try context.parameters.require("member"), context.auth)
            return try JSONMessages.response(Glance.member(member))
        }
        v2.put("images/{id}/members/{member}") { request, context in
            let body = try await JSONMessages.decode([String: JSONValue].self, from: request)
            guard let status = body["status"]?.stringValue else {
                throw NimbusError.badRequest("The request body must be {\"status\": \"accepted|rejected|pending\"}.")
            }
            let member = try images.updateMember(
                try context.parameters.require("id"), try context.parameters.require("member"), status: status, context.auth)
            return try JSONMessages.response(Glance.member(member))
        }
        v2.delete("images/{id}/members/{member}") { _, context in
            try images.removeMember(try context.parameters.require("id"), try context.parameters.require("member"), context.auth)
            return Response(status: .noContent)
        }
    }

    func addSchemas(to v2: RouterGroup<AuthenticatedContext>) {
        v2.get("schemas/image") { _, _ in try JSONMessages.response(GlanceSchemas.image) }
        v2.get("schemas/images") { _, _ in try JSONMessages.response(GlanceSchemas.images) }
        v2.get("schemas/member") { _, _ in try JSONMessages.response(GlanceSchemas.member) }
        v2.get("schemas/members") { _, _ in try JSONMessages.response(GlanceSchemas.members) }
    }
}
