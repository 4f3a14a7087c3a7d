import Foundation
import NimbusCore

/// Who is calling, as established by a validated token. Handlers receive it
/// through the request context, so an endpoint cannot forget to authenticate.
public struct AuthContext: Sendable, Equatable {
    public var userId: UserID
    public var userName: String
    public var userDomainId: DomainID
    /// nil for an unscoped token.
    public var project: Project?
    public var roles: [Role]
    public var issuedAt: Date
    public var expiresAt: Date
    public var auditId: String

    public init(
        userId: UserID, userName: String, userDomainId: DomainID, project: Project?, roles: [Role],
        issuedAt: Date, expiresAt: Date, auditId: String
    ) {
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
    public var roleNames: Set<String> { Set(roles.map(\.name)) }
}
