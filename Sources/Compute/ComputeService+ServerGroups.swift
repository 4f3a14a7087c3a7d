import Foundation
import Identity
import NimbusCore

/// Nova's server groups (os-server-groups): a name and a policy, whose
/// members are the servers created with the group as a scheduler hint.
extension ComputeService {
    public func createServerGroup(name: String, policy: String, _ auth: AuthContext) throws -> ServerGroup {
        let project = try Policy.requireProjectMember(auth)
        guard !name.isEmpty, name.count <= 255 else {
            throw NimbusError.badRequest("Invalid input for field/attribute name. Value: \(name). It must be 1 to 255 characters.")
        }
        guard ServerGroup.policies.contains(policy) else {
            throw NimbusError.badRequest(
                "Invalid input for field/attribute policies. Value: \(policy). '\(policy)' is not one of \(ServerGroup.policies.sorted())")
        }
        let limits = try quotas.limits(of: project)
        let usage = try store.quotaUsage(.compute, project: project)
        if let excess = ProjectQuotas.excess(["server_groups": 1], usage: usage, limits: limits) {
            throw NimbusError(.overLimit, "Quota exceeded, too many server groups. (\(excess.used) of \(excess.allowed))")
        }
        let group = ServerGroup(id: .generate(), projectId: project, userId: auth.userId, name: name, policy: policy, now: Date())
        try store.insert(group)
        logger.info("server group created", metadata: ["group.id": "\(group.id)", "policy": "\(policy)"])
        return group
    }

    /// A group of the caller's project (an admin's: any); others are 404.
    public func serverGroup(_ id: String, _ auth: AuthContext) throws -> ServerGroup {
        _ = try Policy.requireProjectReader(auth)
        guard let groupID = ServerGroupID.parse(id), let group = try store.serverGroup(id: groupID),
              Policy.isAdmin(auth) || group.projectId == auth.projectId
        else { throw NimbusError.notFound("Instance group \(id) could not be found.") }
        return group
    }

    /// The project's groups; every project's when an admin asks for all.
    public func serverGroups(allProjects: Bool, _ auth: AuthContext) throws -> [ServerGroup] {
        let project = try Policy.requireProjectReader(auth)
        return try store.serverGroups(project: allProjects && Policy.isAdmin(auth) ? nil : project)
    }

    public func serverGroupMembers(_ groups: [ServerGroup]) throws -> [ServerGroupID: [ServerID]] {
        try store.serverGroupMembers(groups.map(\.id))
    }

    /// Deletes a group; its servers stay, in no group.
    public func deleteServerGroup(_ id: String, _ auth: AuthContext) throws {
        let group = try serverGroup(id, auth)
        guard Policy.mayModify(owner: group.projectId, auth) else {
            throw NimbusError(.forbidden, "Policy doesn't allow os_compute_api:os-server-groups:delete to be performed.")
        }
        guard try store.deleteServerGroup(id: group.id) else { throw NimbusError.notFound("Instance group \(id) could not be found.") }
        logger.info("server group deleted", metadata: ["group.id": "\(group.id)"])
    }
}
