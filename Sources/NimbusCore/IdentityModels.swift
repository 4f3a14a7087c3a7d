import Foundation

/// A Keystone domain: a namespace for users and projects.
public struct Domain: Sendable, Codable, Equatable {
    public var id: DomainID
    public var name: String
    public var description: String
    public var enabled: Bool

    public init(id: DomainID, name: String, description: String = "", enabled: Bool = true) {
        self.id = id
        self.name = name
        self.description = description
        self.enabled = enabled
    }
}

/// A project (tenant): the unit that owns resources and quotas.
public struct Project: Sendable, Codable, Equatable {
    public var id: ProjectID
    public var domainId: DomainID
    public var name: String
    public var description: String
    public var enabled: Bool
    /// The project above this one; nil for a project at the top of its domain.
    public var parentId: ProjectID?
    /// Keystone's project tags: short labels, unique per project, filterable.
    public var tags: [String]

    public init(
        id: ProjectID, domainId: DomainID, name: String, description: String = "", enabled: Bool = true, parentId: ProjectID? = nil,
        tags: [String] = []
    ) {
        self.id = id
        self.domainId = domainId
        self.name = name
        self.description = description
        self.enabled = enabled
        self.parentId = parentId
        self.tags = tags
    }
}

/// A user. The password is only ever held as a KDF hash.
public struct User: Sendable, Codable, Equatable {
    public var id: UserID
    public var domainId: DomainID
    public var name: String
    public var passwordHash: String?
    public var email: String?
    public var description: String
    public var enabled: Bool
    public var defaultProjectId: ProjectID?
    public var passwordExpiresAt: Date?
    /// Attributes Keystone does not define (`project_id`, …), kept and returned as given.
    public var extra: [String: JSONValue] = [:]

    public init(
        id: UserID, domainId: DomainID, name: String, passwordHash: String?, email: String? = nil,
        description: String = "", enabled: Bool = true, defaultProjectId: ProjectID? = nil
    ) {
        self.id = id
        self.domainId = domainId
        self.name = name
        self.passwordHash = passwordHash
        self.email = email
        self.description = description
        self.enabled = enabled
        self.defaultProjectId = defaultProjectId
        self.passwordExpiresAt = nil
    }
}

/// A role such as admin, member or reader.
public struct Role: Sendable, Codable, Equatable {
    public var id: RoleID
    public var name: String
    public var description: String
    /// A domain-specific role: it grants nothing by itself and never appears
    /// in a token, but may imply global roles (Keystone's domain roles).
    public var domainId: DomainID?

    public init(id: RoleID, name: String, description: String = "", domainId: DomainID? = nil) {
        self.id = id
        self.name = name
        self.description = description
        self.domainId = domainId
    }
}

/// A role granted to a user on a project.
public struct RoleAssignment: Sendable, Codable, Equatable, Hashable {
    public var userId: UserID
    public var projectId: ProjectID
    public var roleId: RoleID

    public init(userId: UserID, projectId: ProjectID, roleId: RoleID) {
        self.userId = userId
        self.projectId = projectId
        self.roleId = roleId
    }
}

/// A role on the whole deployment (Keystone's system scope), not on a project:
/// what a system-scoped token carries.
public struct SystemRoleAssignment: Sendable, Codable, Equatable, Hashable {
    public var userId: UserID
    public var roleId: RoleID

    public init(userId: UserID, roleId: RoleID) {
        self.userId = userId
        self.roleId = roleId
    }
}

/// An issued token as stored: only the SHA-256 of the secret is kept, so a
/// copy of the database cannot be replayed as credentials.
public struct TokenRecord: Sendable, Codable, Equatable {
    public var hash: String
    public var userId: UserID
    public var projectId: ProjectID?
    /// Scoped to the system (`{"system": {"all": true}}`) rather than a project.
    public var system: Bool
    /// Issued for an application credential: its roles bound the token's.
    public var applicationCredentialId: ApplicationCredentialID?
    public var issuedAt: Date
    public var expiresAt: Date
    public var auditId: String
    /// How the user proved who they are, in order (`password`, then `token` for a rescoped one).
    public var methods: [String]
    /// Scoped to a domain: its roles are the user's roles on that domain.
    public var domainId: DomainID?

    public init(
        hash: String, userId: UserID, projectId: ProjectID?, system: Bool = false, applicationCredentialId: ApplicationCredentialID? = nil,
        issuedAt: Date, expiresAt: Date, auditId: String, methods: [String] = ["password"]
    ) {
        self.methods = methods
        self.applicationCredentialId = applicationCredentialId
        self.hash = hash
        self.userId = userId
        self.projectId = projectId
        self.system = system
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.auditId = auditId
    }
}

public struct GroupID: KeystoneIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// A Keystone group: users who share role assignments. A role given to a
/// group on a project (or the system) is each member's role there.
public struct Group: Sendable, Codable, Equatable {
    public var id: GroupID
    public var domainId: DomainID
    public var name: String
    public var description: String

    public init(id: GroupID, domainId: DomainID, name: String, description: String = "") {
        self.id = id
        self.domainId = domainId
        self.name = name
        self.description = description
    }
}

/// A role a group holds on a project.
public struct GroupRoleAssignment: Sendable, Codable, Equatable, Hashable {
    public var groupId: GroupID
    public var projectId: ProjectID
    public var roleId: RoleID

    public init(groupId: GroupID, projectId: ProjectID, roleId: RoleID) {
        self.groupId = groupId
        self.projectId = projectId
        self.roleId = roleId
    }
}

public struct ApplicationCredentialID: KeystoneIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Keystone's application credential: a secret a user makes for automation,
/// bound to one project and a subset of the user's roles there, perhaps
/// until a date. Only a hash of the secret is kept, as for passwords.
public struct ApplicationCredential: Sendable, Codable, Equatable {
    public var id: ApplicationCredentialID
    public var userId: UserID
    public var projectId: ProjectID
    public var name: String
    public var description: String
    public var secretHash: String
    public var expiresAt: Date?
    /// Whether it may make more credentials and trusts (Keystone's default: no).
    public var unrestricted: Bool
    public var roleIds: [RoleID]

    public init(
        id: ApplicationCredentialID, userId: UserID, projectId: ProjectID, name: String, description: String, secretHash: String,
        expiresAt: Date?, unrestricted: Bool, roleIds: [RoleID]
    ) {
        self.id = id
        self.userId = userId
        self.projectId = projectId
        self.name = name
        self.description = description
        self.secretHash = secretHash
        self.expiresAt = expiresAt
        self.unrestricted = unrestricted
        self.roleIds = roleIds
    }
}

/// One role implying another (Keystone's implied roles): who holds the
/// prior role holds the implied one too.
public struct RoleInference: Sendable, Codable, Equatable, Hashable {
    public var priorRoleId: RoleID
    public var impliedRoleId: RoleID
    public init(priorRoleId: RoleID, impliedRoleId: RoleID) {
        self.priorRoleId = priorRoleId
        self.impliedRoleId = impliedRoleId
    }

    /// The roles and every role they imply, transitively; a cycle ends the walk.
    public static func closure(of roles: [RoleID], under inferences: [RoleInference]) -> Set<RoleID> {
        var reached = Set(roles)
        var queue = roles
        while let next = queue.popLast() {
            for inference in inferences where inference.priorRoleId == next && reached.insert(inference.impliedRoleId).inserted {
                queue.append(inference.impliedRoleId)
            }
        }
        return reached
    }
}

public struct CredentialID: KeystoneIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Keystone's credential: a secret blob (EC2 keys, a TOTP seed, …) a user
/// keeps with Keystone. The blob is kept encrypted; see `CredentialCipher`.
public struct Credential: Sendable, Codable, Equatable {
    public var id: CredentialID
    public var userId: UserID
    public var projectId: ProjectID?
    public var type: String
    /// AES-GCM sealed box of the blob, base64.
    public var encryptedBlob: String

    public init(id: CredentialID, userId: UserID, projectId: ProjectID?, type: String, encryptedBlob: String) {
        self.id = id
        self.userId = userId
        self.projectId = projectId
        self.type = type
        self.encryptedBlob = encryptedBlob
    }
}

public struct PolicyID: KeystoneIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Keystone's (deprecated) policy store: opaque blobs with a type, kept for
/// tools that still read them. Nimbus's own rules are in code, not here.
public struct PolicyDocument: Sendable, Codable, Equatable {
    public var id: PolicyID
    public var type: String
    public var blob: String
    public var extra: [String: JSONValue]

    public init(id: PolicyID, type: String, blob: String, extra: [String: JSONValue] = [:]) {
        self.id = id
        self.type = type
        self.blob = blob
        self.extra = extra
    }
}

/// Any role assignment: a user or a group holds a role on a project, a
/// domain or the whole system.
public struct RoleGrant: Sendable, Hashable {
    public enum Actor: Sendable, Hashable {
        case user(UserID)
        case group(GroupID)
    }
    public enum Target: Sendable, Hashable {
        case project(ProjectID)
        case domain(DomainID)
        case system
    }
    public var actor: Actor
    public var target: Target
    public var roleId: RoleID

    public init(_ actor: Actor, _ target: Target, _ roleId: RoleID) {
        self.actor = actor
        self.target = target
        self.roleId = roleId
    }
}
