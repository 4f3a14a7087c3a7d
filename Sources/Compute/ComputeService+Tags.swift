import Foundation
import Identity
import NimbusCore

/// Nova's server tags (2.26): short labels to find servers by.
extension ComputeService {
    public static let maximumServerTags = 50

    public func tags(of id: String, _ auth: AuthContext) throws -> [String] {
        try server(id, auth).tags
    }

    /// Replaces every tag.
    public func setTags(_ tags: [String], of id: String, _ auth: AuthContext) throws -> [String] {
        try updateTags(id, auth) { _ in try Self.validTags(tags) }
    }

    /// Adds a tag; false when the server had it already.
    public func addTag(_ tag: String, to id: String, _ auth: AuthContext) throws -> Bool {
        var added = false
        _ = try updateTags(id, auth) { tags in
            guard !tags.contains(tag) else { return tags }
            added = true
            return try Self.validTags(tags + [tag])
        }
        return added
    }

    public func removeTag(_ tag: String, from id: String, _ auth: AuthContext) throws {
        _ = try updateTags(id, auth) { tags in
            guard tags.contains(tag) else { throw NimbusError.notFound("Tag \(tag) could not be found.") }
            return tags.filter { $0 != tag }
        }
    }

    /// Tags change only while the server is active, paused or stopped, as in Nova.
    private func updateTags(_ id: String, _ auth: AuthContext, _ change: ([String]) throws -> [String]) throws -> [String] {
        let found = try server(id, auth)
        guard Policy.mayModify(owner: found.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:os-server-tags:update to be performed.")
        }
        guard let updated = try store.updateServer(id: found.id, { server in
            guard [.active, .paused, .stopped].contains(server.vmState) else {
                throw NimbusError.conflict("Cannot 'update tag' instance \(server.id) while it is in vm_state \(server.vmState.rawValue)")
            }
            server.tags = try change(server.tags)
        }) else { throw NimbusError.notFound("Instance \(id) could not be found.") }
        return updated.tags
    }

    /// Nova's rules: at most 50 tags, each 1 to 60 characters without '/' or ','.
    public static func validTags(_ tags: [String]) throws -> [String] {
        guard tags.count <= maximumServerTags else {
            throw NimbusError.badRequest("The number of tags exceeded the per-server limit \(maximumServerTags)")
        }
        for tag in tags where tag.isEmpty || tag.count > 60 || tag.contains("/") || tag.contains(",") {
            throw NimbusError.badRequest("Invalid input for field/attribute tags. Value: \(tag). A tag is 1 to 60 characters, without '/' or ','.")
        }
        var seen = Set<String>()
        return tags.filter { seen.insert($0).inserted }
    }
}
