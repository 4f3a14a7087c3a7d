import NimbusCore

/// The authorization rules, one function per rule, called by the services.
///
/// Roles mean what they mean in OpenStack's defaults: `reader` may look,
/// `member` may also change its project's resources, `admin` may do anything
/// anywhere. Keystone's implied roles (admin ⊃ member ⊃ reader) are applied here.
public enum Policy {
    /// The admin role on a project or the system. A domain-scoped admin is
    /// not a cloud admin: domain tokens carry no administration here.
    public static func isAdmin(_ auth: AuthContext) -> Bool {
        auth.domain == nil && auth.roleNames.contains("admin")
    }

    public static func isMember(_ auth: AuthContext) -> Bool {
        isAdmin(auth) || auth.roleNames.contains("member")
    }

    public static func isReader(_ auth: AuthContext) -> Bool {
        isMember(auth) || auth.roleNames.contains("reader")
    }

    /// Identity administration: projects, users, roles, assignments.
    public static func requireAdmin(_ auth: AuthContext) throws {
        guard isAdmin(auth) else {
            throw NimbusError.forbidden("You are not authorized to perform the requested action: admin role required.")
        }
    }

    /// Deployment-wide reads such as the catalog's services and endpoints:
    /// an admin, or a reader on the system (Keystone's SYSTEM_READER).
    public static func requireSystemReader(_ auth: AuthContext) throws {
        guard isAdmin(auth) || (auth.system && isReader(auth)) else {
            throw NimbusError.forbidden("You are not authorized to perform the requested action: a system reader or admin is required.")
        }
    }

    /// A project-scoped token with at least the reader role.
    public static func requireProjectReader(_ auth: AuthContext) throws -> ProjectID {
        guard let project = auth.projectId else {
            throw NimbusError.forbidden("A project-scoped token is required.")
        }
        guard isReader(auth) else {
            throw NimbusError.forbidden("You are not authorized to perform the requested action: reader role required.")
        }
        return project
    }

    /// A project-scoped token with the member (or admin) role: may create and change resources.
    public static func requireProjectMember(_ auth: AuthContext) throws -> ProjectID {
        let project = try requireProjectReader(auth)
        guard isMember(auth) else {
            throw NimbusError.forbidden("You are not authorized to perform the requested action: member role required.")
        }
        return project
    }

    /// Whether the caller may change a resource owned by `owner`.
    public static func mayModify(owner: ProjectID?, _ auth: AuthContext) -> Bool {
        if isAdmin(auth) { return true }
        return isMember(auth) && owner != nil && owner == auth.projectId
    }

    /// Making an image public is reserved to admins, as in Glance.
    public static func mayPublicize(_ auth: AuthContext) -> Bool {
        isAdmin(auth)
    }
}
