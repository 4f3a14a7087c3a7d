import Foundation
import NimbusCore

/// Keystone's groups: users who share role assignments on projects.
extension IdentityService {
    public func createGroup(name: String?, description: String?, domainId: String?, _ auth: AuthContext) throws -> Group {
        try Policy.requireAdmin(auth)
        let name = try Self.validName(name, kind: "group", maximum: 64)
        let domain = domainId.map(DomainID.init(rawValue:)) ?? .default
        guard try store.domain(id: domain) != nil else { throw NimbusError.notFound("Could not find domain: \(domain).") }
        guard try store.group(named: name, in: domain) == nil else {
            throw NimbusError.conflict("Conflict occurred attempting to store group - Duplicate entry found with name \(name) at domain ID \(domain).")
        }
        let group = Group(id: .generate(), domainId: domain, name: name, description: description ?? "")
        try store.insert(group)
        logger.info("group created", metadata: ["group.id": "\(group.id)", "name": "\(name)"])
        return group
    }

    /// Groups, for admins; a user may see the groups they are in.
    public func group(_ id: String, _ auth: AuthContext) throws -> Group {
        guard let group = try store.group(id: GroupID(rawValue: id)),
              try Policy.isAdmin(auth) || store.groups(of: auth.userId).contains(where: { $0.id == group.id })
        else { throw NimbusError.notFound("Could not find group: \(id).") }
        return group
    }

    public func groups(name: String?, domainId: String?, _ auth: AuthContext) throws -> [Group] {
        try Policy.requireAdmin(auth)
        return try store.groups().filter { (name == nil || $0.name == name) && (domainId == nil || $0.domainId.rawValue == domainId) }
    }

    public func updateGroup(_ id: String, name: String?, description: String?, _ auth: AuthContext) throws -> Group {
        try Policy.requireAdmin(auth)
        var group = try self.group(id, auth)
        if let name {
            group.name = try Self.validName(name, kind: "group", maximum: 64)
            if let other = try store.group(named: group.name, in: group.domainId), other.id != group.id {
                throw NimbusError.conflict("Conflict occurred attempting to store group - Duplicate entry found with name \(group.name) at domain ID \(group.domainId).")
            }
        }
        if let description { group.description = description }
        try store.update(group)
        return group
    }

    public func deleteGroup(_ id: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        let group = try self.group(id, auth)
        guard try store.deleteGroup(id: group.id) else { throw NimbusError.notFound("Could not find group: \(id).") }
        logger.info("group deleted", metadata: ["group.id": "\(group.id)"])
    }

    // MARK: Members

    public func addMember(_ user: String, to group: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        try store.addMember(try self.user(user, auth).id, to: try self.group(group, auth).id)
    }

    public func removeMember(_ user: String, from group: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        let found = try self.user(user, auth)
        guard try store.removeMember(found.id, from: try self.group(group, auth).id) else {
            throw NimbusError.notFound("User \(user) is not a member of group \(group).")
        }
    }

    /// HEAD /groups/{g}/users/{u}: 404 unless the user is in the group.
    public func checkMember(_ user: String, of group: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        let found = try self.user(user, auth)
        guard try store.groups(of: found.id).contains(where: { $0.id.rawValue == group }) else {
            throw NimbusError.notFound("User \(user) is not a member of group \(group).")
        }
    }

    public func members(of group: String, _ auth: AuthContext) throws -> [User] {
        try Policy.requireAdmin(auth)
        return try store.members(of: try self.group(group, auth).id)
    }

    /// GET /users/{id}/groups: the user, or an admin, may ask.
    public func groups(of user: String, _ auth: AuthContext) throws -> [Group] {
        try store.groups(of: try self.user(user, auth).id)
    }

    // MARK: Roles of groups on projects

    func groupAssignment(project: String, group: String, role: String, _ auth: AuthContext) throws -> GroupRoleAssignment {
        try Policy.requireAdmin(auth)
        return GroupRoleAssignment(
            groupId: try self.group(group, auth).id, projectId: try self.project(project, auth).id, roleId: try self.role(role, auth).id)
    }

    public func grant(project: String, group: String, role: String, _ auth: AuthContext) throws {
        try store.grant(try groupAssignment(project: project, group: group, role: role, auth))
    }

    public func revoke(project: String, group: String, role: String, _ auth: AuthContext) throws {
        guard try store.revoke(try groupAssignment(project: project, group: group, role: role, auth)) else {
            throw NimbusError.notFound("Could not find role assignment with role: \(role), user or group: \(group), project, domain, or system: \(project).")
        }
    }

    public func checkGrant(project: String, group: String, role: String, _ auth: AuthContext) throws {
        let assignment = try groupAssignment(project: project, group: group, role: role, auth)
        guard try !store.groupRoleAssignments(group: assignment.groupId, project: assignment.projectId, role: assignment.roleId).isEmpty else {
            throw NimbusError.notFound("Could not find role assignment with role: \(role), user or group: \(group), project, domain, or system: \(project).")
        }
    }

    public func roles(project: String, group: String, _ auth: AuthContext) throws -> [Role] {
        try Policy.requireAdmin(auth)
        let assignments = try store.groupRoleAssignments(group: try self.group(group, auth).id, project: try self.project(project, auth).id)
        return try assignments.compactMap { try store.role(id: $0.roleId) }
    }
}
