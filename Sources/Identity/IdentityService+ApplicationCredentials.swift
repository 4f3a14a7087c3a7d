import Foundation
import NimbusCore

/// Keystone's application credentials: how automation should log in.
extension IdentityService {
    public struct ApplicationCredentialDraft: Sendable {
        public var name: String
        public var description = ""
        /// nil: Nimbus makes one.
        public var secret: String?
        public var expiresAt: Date?
        /// Role ids or names; nil or empty: the roles of the token that asks (as in Keystone).
        public var roles: [String]?
        public var unrestricted = false
        public init(name: String) { self.name = name }
    }

    /// Makes a credential for the caller, on the project their token is
    /// scoped to, with a subset of their roles there. The secret is answered
    /// once and kept only as a hash.
    public func createApplicationCredential(
        user: String, _ draft: ApplicationCredentialDraft, _ auth: AuthContext
    ) throws -> (credential: ApplicationCredential, secret: String) {
        guard user == auth.userId.rawValue else {
            throw NimbusError.forbidden("You are not authorized to perform the requested action: identity:create_application_credential.")
        }
        if let current = auth.applicationCredential, current.restricted {
            throw NimbusError.forbidden("A restricted application credential cannot make another; use a password or an unrestricted credential.")
        }
        guard let project = auth.project else {
            throw NimbusError.badRequest("An application credential is made with a project-scoped token: it is bound to that project.")
        }
        let name = try Self.validName(draft.name, kind: "application credential")
        guard try !store.applicationCredentials(of: auth.userId).contains(where: { $0.name == name }) else {
            throw NimbusError.conflict("Conflict occurred attempting to store application_credential - Duplicate entry.")
        }
        if let expiry = draft.expiresAt, expiry <= Date() {
            throw NimbusError.badRequest("Invalid input for field 'expires_at': the expiry must be in the future.")
        }
        var roles = auth.roles
        if let requested = draft.roles, !requested.isEmpty {
            roles = try requested.map { reference in
                guard let role = auth.roles.first(where: { $0.id.rawValue == reference || $0.name == reference }) else {
                    throw NimbusError.badRequest("Invalid input for field 'roles': the user holds no role \(reference) on project \(project.id).")
                }
                return role
            }
        }
        let secret = draft.secret ?? Self.randomSecret()
        guard !secret.isEmpty, secret.utf8.count <= 4096 else { throw NimbusError.badRequest("Invalid input for field 'secret'.") }
        let credential = ApplicationCredential(
            id: .generate(), userId: auth.userId, projectId: project.id, name: name, description: draft.description,
            secretHash: try hasher.hash(secret), expiresAt: draft.expiresAt, unrestricted: draft.unrestricted,
            roleIds: roles.map(\.id))
        try store.insert(credential)
        logger.info("application credential created", metadata: ["credential.id": "\(credential.id)", "user.id": "\(auth.userId)"])
        return (credential, secret)
    }

    /// The user's credentials: the user, or an admin, may list them.
    public func applicationCredentials(user: String, name: String?, _ auth: AuthContext) throws -> [ApplicationCredential] {
        let owner = try self.user(user, auth)
        return try store.applicationCredentials(of: owner.id).filter { name == nil || $0.name == name }
    }

    public func applicationCredential(user: String, id: String, _ auth: AuthContext) throws -> ApplicationCredential {
        guard let found = try applicationCredentials(user: user, name: nil, auth).first(where: { $0.id.rawValue == id }) else {
            throw NimbusError.notFound("Could not find Application Credential: \(id).")
        }
        return found
    }

    /// Deletes a credential, and with it every token made from it.
    public func deleteApplicationCredential(user: String, id: String, _ auth: AuthContext) throws {
        let found = try applicationCredential(user: user, id: id, auth)
        if let current = auth.applicationCredential, current.restricted {
            throw NimbusError.forbidden("A restricted application credential cannot delete credentials.")
        }
        guard try store.deleteApplicationCredential(id: found.id) else {
            throw NimbusError.notFound("Could not find Application Credential: \(id).")
        }
    }

    /// The names of roles, for rendering a credential.
    public func roles(ids: [RoleID]) throws -> [Role] {
        try ids.compactMap { try store.role(id: $0) }
    }
}
