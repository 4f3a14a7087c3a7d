import Foundation
import Identity
import NimbusCore

/// Server update (name) and server metadata, as Nova's API changes them.
extension ComputeService {
    /// PUT /servers/{id}: a new name and access addresses; nil leaves one as it is.
    /// `description` nil leaves it, `.some(nil)` removes it.
    public func update(
        _ id: String, name: String?, accessIpv4: String?, accessIpv6: String?, description: String?? = nil, _ auth: AuthContext
    ) throws -> Server {
        var server = try self.server(id, auth)
        if let name { server = try rename(id, to: name, auth) }
        guard accessIpv4 != nil || accessIpv6 != nil || description != nil else { return server }
        let modifiable = try modifiable(id, rule: "update", auth)
        guard let updated = try store.updateServer(id: modifiable.id, { stored in
            if let accessIpv4 { stored.accessIpv4 = accessIpv4 }
            if let accessIpv6 { stored.accessIpv6 = accessIpv6 }
            if let description { stored.description = description }
        }) else { throw NimbusError.notFound("Instance \(id) could not be found.") }
        return updated
    }

    public func rename(_ id: String, to name: String, _ auth: AuthContext) throws -> Server {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 255 else {
            throw NimbusError.badRequest("Invalid input for field/attribute name. Value: \(name). It must be 1 to 255 characters.")
        }
        let server = try modifiable(id, rule: "update", auth)
        guard let updated = try store.updateServer(id: server.id, { $0.name = trimmed }) else {
            throw NimbusError.notFound("Instance \(id) could not be found.")
        }
        return updated
    }

    /// Merges `items` into the metadata, or replaces it all; the result must
    /// fit the project's metadata_items quota.
    public func setMetadata(_ id: String, _ items: [String: String], replace: Bool, _ auth: AuthContext) throws -> [String: String] {
        let server = try modifiable(id, rule: "server-metadata:update", auth)
        let limits = try quotas.limits(of: server.projectId)
        guard let updated = try store.updateServer(id: server.id, { stored in
            let merged = replace ? items : stored.metadata.merging(items) { $1 }
            try Self.checkMetadata(merged, limits: limits)
            stored.metadata = merged
        }) else { throw NimbusError.notFound("Instance \(id) could not be found.") }
        return updated.metadata
    }

    public func deleteMetadata(_ id: String, key: String, _ auth: AuthContext) throws {
        let server = try modifiable(id, rule: "server-metadata:delete", auth)
        _ = try store.updateServer(id: server.id) { stored in
            guard stored.metadata.removeValue(forKey: key) != nil else {
                throw NimbusError.notFound("Metadata item was not found")
            }
        }
    }

    /// A server the caller may change: its project's (members) or any (admins),
    /// not locked unless by an admin, and not being deleted.
    func modifiable(_ id: String, rule: String, _ auth: AuthContext) throws -> Server {
        let server = try server(id, auth)
        guard Policy.mayModify(owner: server.projectId, auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:servers:\(rule) to be performed.")
        }
        if server.locked, !Policy.isAdmin(auth) { throw NimbusError.conflict("Instance \(server.id) is locked") }
        if server.taskState == .deleting {
            throw NimbusError.conflict("Cannot '\(rule)' instance \(server.id) while it is in task_state deleting")
        }
        return server
    }
}
