import Foundation
import NimbusCore

/// Who is calling, as established by a validated token. Handlers receive it
/// through the request context, so an endpoint cannot forget to authenticate.
public struct AuthContext: Sendable, Equatable {
    public var userId: UserID
    public var userName: String
    public var userDomainId: DomainID
    /// nil for an unscoped or system-scoped token.
    public var project: Project?
    /// A system-scoped token: its roles are the user's roles on the system.
    public var system: Bool
    /// The application credential the token was made from, if any.
    public var applicationCredential: ApplicationCredentialRef?
    public var roles: [Role]
    public var issuedAt: Date
    public var expiresAt: Date
    public var auditId: String
    /// A domain-scoped token's domain.
    public var domain: Domain?
    /// The authentication methods behind the token, as Keystone lists them.
    public var methods: [String] = ["password"]

    public init(
        userId: UserID, userName: String, userDomainId: DomainID, project: Project?, system: Bool = false, roles: [Role],
        issuedAt: Date, expiresAt: Date, auditId: String
    ) {
        self.system = system
        self.userId = userId
        self.userName = userName
        self.userDomainId = userDomainId
        self.project = project
        self.roles = roles
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.auditId = auditId
    }

    public var projectId: ProjectID? { project?.id }

    /// What a token says of its application credential.
    public struct ApplicationCredentialRef: Sendable, Equatable {
        public var id: ApplicationCredentialID
        public var name: String
        public var restricted: Bool
    }
    public var roleNames: Set<String> { Set(roles.map(\.name)) }
}
