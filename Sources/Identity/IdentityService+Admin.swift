import Foundation
import NimbusCore

/// Administration of projects, users, roles and assignments (admin only).
extension IdentityService {
    // MARK: Domains

    public func domains(_ auth: AuthContext) throws -> [Domain] {
        try store.domains().filter { Policy.isAdmin(auth) || $0.id == auth.userDomainId }
    }

    public func domain(_ id: String, _ auth: AuthContext) throws -> Domain {
        guard let domain = try store.domain(id: DomainID(rawValue: id)),
              Policy.isAdmin(auth) || domain.id == auth.userDomainId || domain.id == auth.project?.domainId
        else { throw NimbusError.notFound("Could not find domain: \(id).") }
        return domain
    }

    public func createDomain(name: String?, description: String?, enabled: Bool?, _ auth: AuthContext) throws -> Domain {
        try Policy.requireAdmin(auth)
        let name = try Self.validName(name, kind: "domain", maximum: 64)
        guard try store.domain(named: name) == nil else {
            throw NimbusError.conflict("Conflict occurred attempting to store domain - Duplicate entry found with name \(name).")
        }
        let domain = Domain(id: .generate(), name: name, description: description ?? "", enabled: enabled ?? true)
        try store.insertDomain(domain)
        logger.info("domain created", metadata: ["domain.id": "\(domain.id)", "name": "\(name)"])
        return domain
    }

    public func updateDomain(_ id: String, name: String?, description: String?, enabled: Bool?, _ auth: AuthContext) throws -> Domain {
        try Policy.requireAdmin(auth)
        let current = try domain(id, auth)
        let name = try name.map { try Self.validName($0, kind: "domain", maximum: 64) }
        if let name, name != current.name, try store.domain(named: name) != nil {
            throw NimbusError.conflict("Conflict occurred attempting to store domain - Duplicate entry found with name \(name).")
        }
        if current.id == .default, enabled == false {
            throw NimbusError.forbidden("The default domain cannot be disabled: Nimbus's own users live in it.")
        }
        guard let updated = try store.updateDomain(id: current.id, { domain in
            if let name { domain.name = name }
            if let description { domain.description = description }
            if let enabled { domain.enabled = enabled }
        }) else { throw NimbusError.notFound("Could not find domain: \(id).") }
        return updated
    }

    /// Deletes a disabled domain with its projects and users, as Keystone does.
    public func deleteDomain(_ id: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        let current = try domain(id, auth)
        guard current.id != .default else { throw NimbusError.forbidden("The default domain cannot be deleted.") }
        let deleted = try store.deleteDomain(id: current.id) { domain in
            guard !domain.enabled else {
                throw NimbusError.forbidden("Cannot delete a domain that is enabled, please disable it first.")
            }
        }
        guard deleted != nil else { throw NimbusError.notFound("Could not find domain: \(id).") }
        logger.info("domain deleted", metadata: ["domain.id": "\(current.id)"])
    }

    /// The domain a projects-API request names, when the id is a domain's and
    /// not a project's (Keystone's projects acting as domains); admins only.
    public func domainActingAsProject(_ id: String, _ auth: AuthContext) throws -> Domain? {
        guard Policy.isAdmin(auth), try store.project(id: ProjectID(rawValue: id)) == nil else { return nil }
        return try store.domain(id: DomainID(rawValue: id))
    }

    // MARK: Projects

    public struct ProjectChanges: Sendable {
        public var name: String?
        public var description: String?
        public var enabled: Bool?
        public var domainId: DomainID?
        public var parentId: ProjectID?
        public var tags: [String]?
        public init(
            name: String? = nil, description: String? = nil, enabled: Bool? = nil, domainId: DomainID? = nil, parentId: ProjectID? = nil,
            tags: [String]? = nil
        ) {
            self.name = name
            self.description = description
            self.enabled = enabled
            self.domainId = domainId
            self.parentId = parentId
            self.tags = tags
        }
    }

    public func createProject(_ changes: ProjectChanges, _ auth: AuthContext) throws -> Project {
        try Policy.requireAdmin(auth)
        let name = try Self.validName(changes.name, kind: "project", maximum: 64)
        // A project below another lives in its parent's domain.
        // A parent_id naming a domain is Keystone's spelling of "top of that domain".
        var changes = changes
        if let parentId = changes.parentId, try store.project(id: parentId) == nil, try store.domain(id: DomainID(rawValue: parentId.rawValue)) != nil {
            changes.domainId = changes.domainId ?? DomainID(rawValue: parentId.rawValue)
            changes.parentId = nil
        }
        let parent = try changes.parentId.map { id in
            guard let parent = try store.project(id: id) else { throw NimbusError.notFound("Could not find project: \(id).") }
            return parent
        }
        if let parent, let domainId = changes.domainId, domainId != parent.domainId {
            throw NimbusError.badRequest("Cannot create project, the parent (\(parent.id)) is in domain \(parent.domainId), not \(domainId).")
        }
        let domainId = changes.domainId ?? parent?.domainId ?? .default
        guard try store.domain(id: domainId) != nil else {
            throw NimbusError.notFound("Could not find domain: \(domainId).")
        }
        guard try store.project(named: name, in: domainId) == nil else {
            throw NimbusError.conflict("Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : \(name).")
        }
        let project = Project(
            id: .generate(), domainId: domainId, name: name, description: changes.description ?? "",
            enabled: changes.enabled ?? true, parentId: parent?.id, tags: try Self.validTags(changes.tags ?? []))
        try store.insert(project)
        return project
    }

    /// GET /v3/projects: an admin's listing, as Keystone's policy has it; a
    /// member lists their own through /v3/auth/projects or /v3/users/{id}/projects.
    public func projects(name: String?, domainId: String?, _ auth: AuthContext) throws -> [Project] {
        guard Policy.isAdmin(auth) else {
            throw NimbusError.forbidden("You are not authorized to perform the requested action: identity:list_projects.")
        }
        return try store.projects().filter { project in
            (name == nil || project.name == name) && (domainId == nil || project.domainId.rawValue == domainId)
        }
    }

    /// The projects the caller may scope to (GET /v3/auth/projects, /v3/users/{id}/projects).
    public func projects(of userId: UserID, _ auth: AuthContext) throws -> [Project] {
        guard userId == auth.userId || Policy.isAdmin(auth) else {
            throw NimbusError.forbidden("You are not authorized to perform the requested action: identity:list_user_projects.")
        }
        return try store.projects(of: userId)
    }

    public func project(_ id: String, _ auth: AuthContext) throws -> Project {
        guard let project = try store.project(id: ProjectID(rawValue: id)),
              Policy.isAdmin(auth) || project.id == auth.projectId
        else { throw NimbusError.notFound("Could not find project: \(id).") }
        return project
    }

    public func updateProject(_ id: String, _ changes: ProjectChanges, _ auth: AuthContext) throws -> Project {
        try Policy.requireAdmin(auth)
        var project = try self.project(id, auth)
        if let name = changes.name {
            project.name = try Self.validName(name, kind: "project", maximum: 64)
            if let other = try store.project(named: project.name, in: project.domainId), other.id != project.id {
                throw NimbusError.conflict("Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : \(project.name).")
            }
        }
        if let description = changes.description { project.description = description }
        if let enabled = changes.enabled { project.enabled = enabled }
        if let tags = changes.tags { project.tags = try Self.validTags(tags) }
        if let parentId = changes.parentId, parentId != project.parentId {
            throw NimbusError.forbidden("Updating a project's parent_id is not allowed.")
        }
        try store.update(project)
        return project
    }

    // MARK: Project tags

    /// Replaces every tag of a project.
    public func setTags(_ tags: [String], of id: String, _ auth: AuthContext) throws -> [String] {
        try updateProject(id, ProjectChanges(tags: tags), auth).tags
    }

    public func addTag(_ tag: String, to id: String, _ auth: AuthContext) throws {
        let project = try self.project(id, auth)
        guard !project.tags.contains(tag) else { return }
        _ = try setTags(project.tags + [tag], of: id, auth)
    }

    public func removeTag(_ tag: String, from id: String, _ auth: AuthContext) throws {
        let project = try self.project(id, auth)
        guard project.tags.contains(tag) else { throw NimbusError.notFound("Tag \(tag) not found on project \(id).") }
        _ = try setTags(project.tags.filter { $0 != tag }, of: id, auth)
    }

    public func checkTag(_ tag: String, on id: String, _ auth: AuthContext) throws {
        guard try project(id, auth).tags.contains(tag) else { throw NimbusError.notFound("Tag \(tag) not found on project \(id).") }
    }

    /// Keystone's rules: at most 80 tags, each 1 to 255 characters without
    /// '/' or ',', no tag twice.
    static func validTags(_ tags: [String]) throws -> [String] {
        guard tags.count <= 80 else { throw NimbusError.badRequest("Invalid input for field 'tags': at most 80 tags.") }
        for tag in tags where tag.isEmpty || tag.count > 255 || tag.contains("/") || tag.contains(",") {
            throw NimbusError.badRequest("Invalid input for field 'tags': '\(tag)' must be 1 to 255 characters, without '/' or ','.")
        }
        guard Set(tags).count == tags.count else { throw NimbusError.badRequest("Invalid input for field 'tags': a tag is given twice.") }
        return tags
    }

    public func deleteProject(_ id: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        let project = try self.project(id, auth)
        if project.id == auth.projectId {
            throw NimbusError.forbidden("You cannot delete the project your token is scoped to.")
        }
        if try store.projects().contains(where: { $0.parentId == project.id }) {
            throw NimbusError.forbidden("Cannot delete the project \(project.id) since it is not a leaf in the hierarchy.")
        }
        _ = try store.deleteProject(id: project.id)
    }

    // MARK: Users

    public struct UserChanges: Sendable {
        public var name: String?
        public var password: String?
        public var email: String?
        public var description: String?
        public var enabled: Bool?
        public var domainId: DomainID?
        public var defaultProjectId: ProjectID?
        /// Attributes Keystone does not define; a null removes one.
        public var extra: [String: JSONValue] = [:]
        public init(
            name: String? = nil, password: String? = nil, email: String? = nil, description: String? = nil,
            enabled: Bool? = nil, domainId: DomainID? = nil, defaultProjectId: ProjectID? = nil
        ) {
            self.name = name
            self.password = password
            self.email = email
            self.description = description
            self.enabled = enabled
            self.domainId = domainId
            self.defaultProjectId = defaultProjectId
        }
    }

    public func createUser(_ changes: UserChanges, _ auth: AuthContext) throws -> User {
        try Policy.requireAdmin(auth)
        let name = try Self.validName(changes.name, kind: "user")
        let domainId = changes.domainId ?? .default
        guard try store.domain(id: domainId) != nil else {
            throw NimbusError.notFound("Could not find domain: \(domainId).")
        }
        guard try store.user(named: name, in: domainId) == nil else {
            throw NimbusError.conflict("Conflict occurred attempting to store user - Duplicate entry found with name \(name) at domain ID \(domainId).")
        }
        if let project = changes.defaultProjectId, try store.project(id: project) == nil {
            throw NimbusError.badRequest("Could not find project: \(project).")
        }
        var user = User(
            id: .generate(), domainId: domainId, name: name,
            passwordHash: try changes.password.map { try hasher.hash(try Self.validPassword($0)) },
            email: changes.email, description: changes.description ?? "", enabled: changes.enabled ?? true,
            defaultProjectId: changes.defaultProjectId)
        user.extra = changes.extra.filter { $0.value != .null }
        try store.insert(user)
        return user
    }

    public func users(name: String?, domainId: String?, _ auth: AuthContext) throws -> [User] {
        try Policy.requireAdmin(auth)
        return try store.users().filter { user in
            (name == nil || user.name == name) && (domainId == nil || user.domainId.rawValue == domainId)
        }
    }

    public func user(_ id: String, _ auth: AuthContext) throws -> User {
        guard let user = try store.user(id: UserID(rawValue: id)), Policy.isAdmin(auth) || user.id == auth.userId
        else { throw NimbusError.notFound("Could not find user: \(id).") }
        return user
    }

    public func updateUser(_ id: String, _ changes: UserChanges, _ auth: AuthContext) throws -> User {
        try Policy.requireAdmin(auth)
        var user = try self.user(id, auth)
        if let name = changes.name {
            user.name = try Self.validName(name, kind: "user")
            if let other = try store.user(named: user.name, in: user.domainId), other.id != user.id {
                throw NimbusError.conflict("Conflict occurred attempting to store user - Duplicate entry found with name \(user.name) at domain ID \(user.domainId).")
            }
        }
        if let password = changes.password { user.passwordHash = try hasher.hash(try Self.validPassword(password)) }
        if let email = changes.email { user.email = email }
        if let description = changes.description { user.description = description }
        if let enabled = changes.enabled { user.enabled = enabled }
        if let project = changes.defaultProjectId {
            guard try store.project(id: project) != nil else {
                throw NimbusError.badRequest("Could not find project: \(project).")
            }
            user.defaultProjectId = project
        }
        for (key, value) in changes.extra { user.extra[key] = value == .null ? nil : value }
        try store.update(user)
        // A new password or a disabled account ends every session, as in Keystone.
        if changes.password != nil || changes.enabled == false { try store.deleteTokens(of: user.id) }
        // Enabling a user or setting its password is how an admin unlocks it, as in Keystone.
        if changes.password != nil || changes.enabled == true { try store.clearLoginFailures(of: user.id) }
        return user
    }

    /// POST /v3/users/{id}/password: a user (or an admin, as Keystone's
    /// policy allows) changes the password given the one it has; every
    /// session of the user ends, as in Keystone.
    public func changePassword(_ id: String, original: String, new password: String, _ auth: AuthContext) throws {
        guard id == auth.userId.rawValue || Policy.isAdmin(auth) else {
            throw NimbusError.forbidden("You are not authorized to perform the requested action: identity:change_password.")
        }
        // The original password is checked as a login checks it, so this is no way around a lockout.
        var user = try checkPassword(of: .id(UserID(rawValue: id)), original)
        user.passwordHash = try hasher.hash(try Self.validPassword(password))
        try store.update(user)
        try store.deleteTokens(of: user.id)
        logger.info("password changed", metadata: ["user.id": "\(user.id)"])
    }

    /// The system scopes the caller may take (GET /v3/auth/system): all, when they hold a role on it.
    public func systemScopes(_ auth: AuthContext) throws -> [[String: Bool]] {
        try store.systemRoles(of: auth.userId).isEmpty ? [] : [["all": true]]
    }

    public func deleteUser(_ id: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        let user = try self.user(id, auth)
        if user.id == auth.userId { throw NimbusError.forbidden("You cannot delete yourself.") }
        _ = try store.deleteUser(id: user.id)
    }

    // MARK: Roles

    public func createRole(name: String?, description: String?, domainId: String? = nil, _ auth: AuthContext) throws -> Role {
        try Policy.requireAdmin(auth)
        let name = try Self.validName(name, kind: "role")
        // Names are unique across the cloud, domain roles included: stricter
        // than Keystone (unique per domain), and no name ever means two roles.
        guard try store.role(named: name) == nil else {
            throw NimbusError.conflict("Conflict occurred attempting to store role - Duplicate entry found with name \(name).")
        }
        let domain = try domainId.map { id in
            guard let domain = try store.domain(id: DomainID(rawValue: id)) else { throw NimbusError.notFound("Could not find domain: \(id).") }
            return domain.id
        }
        let role = Role(id: .generate(), name: name, description: description ?? "", domainId: domain)
        try store.insert(role)
        return role
    }

    /// Global roles, or with `domainId` the roles of that domain, as Keystone lists them.
    public func roles(name: String?, domainId: String? = nil, _ auth: AuthContext) throws -> [Role] {
        try store.roles().filter { (name == nil || $0.name == name) && $0.domainId?.rawValue == domainId }
    }

    public func role(_ id: String, _ auth: AuthContext) throws -> Role {
        guard let role = try store.role(id: RoleID(rawValue: id)) else {
            throw NimbusError.notFound("Could not find role: \(id).")
        }
        return role
    }

    /// Renames or describes a role; the built-in ones keep their names, which policy depends on.
    public func updateRole(_ id: String, name: String?, description: String?, _ auth: AuthContext) throws -> Role {
        try Policy.requireAdmin(auth)
        var role = try self.role(id, auth)
        if let name {
            let name = try Self.validName(name, kind: "role")
            if name != role.name {
                guard !Self.roleNames.contains(role.name) else {
                    throw NimbusError.forbidden("The built-in role \(role.name) cannot be renamed.")
                }
                guard try store.role(named: name) == nil else {
                    throw NimbusError.conflict("Conflict occurred attempting to store role - Duplicate entry found with name \(name).")
                }
                role.name = name
            }
        }
        if let description { role.description = description }
        try store.update(role)
        return role
    }

    public func deleteRole(_ id: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        let role = try self.role(id, auth)
        if Self.roleNames.contains(role.name) {
            throw NimbusError.forbidden("The built-in role \(role.name) cannot be deleted.")
        }
        _ = try store.deleteRole(id: role.id)
    }

    // MARK: Assignments

    /// Resolves the three ids of a grant, answering 404 for the first that does not exist.
    func assignment(project: String, user: String, role: String, _ auth: AuthContext) throws -> RoleAssignment {
        try Policy.requireAdmin(auth)
        let project = try self.project(project, auth)
        let user = try self.user(user, auth)
        let role = try self.role(role, auth)
        return RoleAssignment(userId: user.id, projectId: project.id, roleId: role.id)
    }

    public func grant(project: String, user: String, role: String, _ auth: AuthContext) throws {
        try store.grant(try assignment(project: project, user: user, role: role, auth))
    }

    public func revoke(project: String, user: String, role: String, _ auth: AuthContext) throws {
        let assignment = try assignment(project: project, user: user, role: role, auth)
        guard try store.revoke(assignment) else {
            throw NimbusError.notFound("Could not find role assignment with role: \(role), user or group: \(user), project, domain, or system: \(project).")
        }
    }

    public func checkGrant(project: String, user: String, role: String, _ auth: AuthContext) throws {
        let assignment = try assignment(project: project, user: user, role: role, auth)
        guard try store.roleAssignments(user: assignment.userId, project: assignment.projectId, role: assignment.roleId).isEmpty == false else {
            throw NimbusError.notFound("Could not find role assignment with role: \(role), user or group: \(user), project, domain, or system: \(project).")
        }
    }

    public func roles(project: String, user: String, _ auth: AuthContext) throws -> [Role] {
        try Policy.requireAdmin(auth)
        let project = try self.project(project, auth)
        let user = try self.user(user, auth)
        return try store.roles(of: user.id, on: project.id)
    }

    // MARK: System role assignments

    func systemAssignment(user: String, role: String, _ auth: AuthContext) throws -> SystemRoleAssignment {
        try Policy.requireAdmin(auth)
        return SystemRoleAssignment(userId: try self.user(user, auth).id, roleId: try self.role(role, auth).id)
    }

    public func grantSystem(user: String, role: String, _ auth: AuthContext) throws {
        try store.grant(try systemAssignment(user: user, role: role, auth))
    }

    public func revokeSystem(user: String, role: String, _ auth: AuthContext) throws {
        guard try store.revoke(try systemAssignment(user: user, role: role, auth)) else {
            throw NimbusError.notFound("Could not find role assignment with role: \(role), user or group: \(user), project, domain, or system: system.")
        }
    }

    /// HEAD/GET of one system role: 404 when the user does not hold it.
    public func checkSystem(user: String, role: String, _ auth: AuthContext) throws {
        let assignment = try systemAssignment(user: user, role: role, auth)
        guard try store.systemRoleAssignments(user: assignment.userId, role: assignment.roleId).isEmpty == false else {
            throw NimbusError.notFound("Could not find role assignment with role: \(role), user or group: \(user), project, domain, or system: system.")
        }
    }

    /// A user's roles on the system: the user, or an admin, may ask.
    public func systemRoles(user: String, _ auth: AuthContext) throws -> [Role] {
        if user != auth.userId.rawValue { try Policy.requireAdmin(auth) }
        return try store.systemRoles(of: try self.user(user, auth).id)
    }

    // MARK: Validation

    /// Keystone's limits: project and domain names 64 characters, users' and roles' 255.
    static func validName(_ name: String?, kind: String, maximum: Int = 255) throws -> String {
        guard let name else { throw NimbusError.badRequest("'name' is a required property of a \(kind).") }
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= maximum else {
            throw NimbusError.badRequest("Invalid input for field 'name': a \(kind) name must be 1 to \(maximum) characters.")
        }
        return trimmed
    }

    static func validPassword(_ password: String) throws -> String {
        guard !password.isEmpty, password.utf8.count <= 4096 else {
            throw NimbusError.badRequest("Invalid input for field 'password': must be 1 to 4096 bytes.")
        }
        return password
    }
}
