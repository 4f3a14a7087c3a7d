import Foundation
import NimbusCore

/// Role assignments of every kind: users and groups, on projects, domains
/// and the system; Keystone's `role_assignments` listing over all of them.
extension IdentityService {
    public enum ActorReference: Sendable {
        case user(String)
        case group(String)
    }

    public enum TargetReference: Sendable {
        case project(String)
        case domain(String)
        case system
    }

    /// Resolves names from a request to a grant, 404 for anything missing.
    func grant(_ actor: ActorReference, _ target: TargetReference, role: String, _ auth: AuthContext) throws -> RoleGrant {
        try Policy.requireAdmin(auth)
        return RoleGrant(try resolve(actor, auth), try resolve(target, auth), try self.role(role, auth).id)
    }

    func resolve(_ actor: ActorReference, _ auth: AuthContext) throws -> RoleGrant.Actor {
        switch actor {
        case .user(let id): .user(try user(id, auth).id)
        case .group(let id): .group(try group(id, auth).id)
        }
    }

    func resolve(_ target: TargetReference, _ auth: AuthContext) throws -> RoleGrant.Target {
        switch target {
        case .project(let id): .project(try project(id, auth).id)
        case .domain(let id): .domain(try domain(id, auth).id)
        case .system: .system
        }
    }

    public func grantRole(_ role: String, to actor: ActorReference, on target: TargetReference, _ auth: AuthContext) throws {
        let grant = try grant(actor, target, role: role, auth)
        try store.insert(grant)
        logger.info("role granted", metadata: ["grant": "\(grant)"])
    }

    public func checkRole(_ role: String, of actor: ActorReference, on target: TargetReference, _ auth: AuthContext) throws -> Role {
        let grant = try grant(actor, target, role: role, auth)
        guard try store.grants().contains(grant) else {
            throw NimbusError.notFound("Could not find role assignment with role: \(role), \(actor) and \(target).")
        }
        return try self.role(role, auth)
    }

    public func revokeRole(_ role: String, from actor: ActorReference, on target: TargetReference, _ auth: AuthContext) throws {
        let grant = try grant(actor, target, role: role, auth)
        // Tokens need no revoking: validation reads the roles afresh.
        guard try store.delete(grant) else {
            throw NimbusError.notFound("Could not find role assignment with role: \(role), \(actor) and \(target).")
        }
    }

    /// The roles an actor holds directly on a target.
    public func roles(of actor: ActorReference, on target: TargetReference, _ auth: AuthContext) throws -> [Role] {
        try Policy.requireAdmin(auth)
        let actor = try resolve(actor, auth)
        let target = try resolve(target, auth)
        return try store.grants().filter { $0.actor == actor && $0.target == target }.compactMap { try store.role(id: $0.roleId) }
            .sorted { $0.name < $1.name }
    }

    /// What a `role_assignments` query asks for.
    public struct GrantQuery: Sendable {
        public var user: UserID?
        public var group: GroupID?
        public var project: ProjectID?
        public var domain: DomainID?
        public var system = false
        public var role: RoleID?
        /// Groups' grants as their members' own, implied roles added, domain
        /// roles left out: what tokens will carry.
        public var effective = false
        public init() {}
    }

    /// Keystone's role assignment listing. Admins see every assignment; others only their own.
    public func grants(_ query: GrantQuery, _ auth: AuthContext) throws -> [RoleGrant] {
        if !Policy.isAdmin(auth), query.user != auth.userId {
            throw NimbusError.forbidden("You are not authorized to perform the requested action: identity:list_role_assignments.")
        }
        var grants = try store.grants()
        if query.effective {
            var expanded: [RoleGrant] = []
            for grant in grants {
                guard case .group(let group) = grant.actor else { expanded.append(grant); continue }
                for member in try store.members(of: group) { expanded.append(RoleGrant(.user(member.id), grant.target, grant.roleId)) }
            }
            let inferences = try store.roleInferences()
            let roles = Dictionary(try store.roles().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            var seen = Set<RoleGrant>()
            grants = []
            for grant in expanded {
                for role in RoleInference.closure(of: [grant.roleId], under: inferences) where roles[role]?.domainId == nil {
                    let effective = RoleGrant(grant.actor, grant.target, role)
                    if seen.insert(effective).inserted { grants.append(effective) }
                }
            }
        }
        return grants.filter { grant in
            if let user = query.user, grant.actor != .user(user) { return false }
            if let group = query.group, grant.actor != .group(group) { return false }
            if let project = query.project, grant.target != .project(project) { return false }
            if let domain = query.domain, grant.target != .domain(domain) { return false }
            if query.system, grant.target != .system { return false }
            if let role = query.role, grant.roleId != role { return false }
            return true
        }
    }

    /// The domains the caller may scope a token to (GET /v3/auth/domains).
    public func scopableDomains(_ auth: AuthContext) throws -> [Domain] {
        try store.domains(of: auth.userId).filter(\.enabled)
    }
}

extension IdentityService {
    /// Every user, group, project, domain and role, for rendering names in listings.
    public func everything() throws -> (users: [User], groups: [Group], projects: [Project], domains: [Domain], roles: [Role]) {
        (try store.users(), try store.groups(), try store.projects(), try store.domains(), try store.roles())
    }
}
