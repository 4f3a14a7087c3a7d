import Foundation
import Identity
import NimbusCore

/// Nova's server groups (os-server-groups): a name and a policy, whose
/// members are the servers created with the group as a scheduler hint.
extension ComputeService {
    public func createServerGroup(name: String, policy: String, maxServerPerHost: Int? = nil, _ auth: AuthContext) throws -> ServerGroup {
        let project = try Policy.requireProjectMember(auth)
        guard !name.isEmpty, name.count <= 255 else {
            throw NimbusError.badRequest("Invalid input for field/attribute name. Value: \(name). It must be 1 to 255 characters.")
        }
        guard ServerGroup.policies.contains(policy) else {
            throw NimbusError.badRequest(
                "Invalid input for field/attribute policies. Value: \(policy). '\(policy)' is not one of \(ServerGroup.policies.sorted())")
        }
        if let maxServerPerHost {
            guard policy == "anti-affinity" else { throw NimbusError.badRequest("Only anti-affinity policy supports rules.") }
            guard maxServerPerHost >= 1 else {
                throw NimbusError.badRequest("Invalid input for field/attribute max_server_per_host. Value: \(maxServerPerHost). It must be a positive integer.")
            }
        }
        let limits = try quotas.limits(of: project)
        let usage = try store.quotaUsage(.compute, project: project)
        if let excess = ProjectQuotas.excess(["server_groups": 1], usage: usage, limits: limits) {
            throw NimbusError(.overLimit, "Quota exceeded, too many server groups. (\(excess.used) of \(excess.allowed))")
        }
        var group = ServerGroup(id: .generate(), projectId: project, userId: auth.userId, name: name, policy: policy, now: Date())
        group.maxServerPerHost = maxServerPerHost
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

    /// The group the server is in, as 2.71's server view names it.
    public func serverGroupID(of server: Server) throws -> ServerGroupID? {
        try store.serverGroupID(of: server.id)
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
