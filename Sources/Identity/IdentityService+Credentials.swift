import Crypto
import Foundation
import NimbusCore

/// Keystone's credential store (a user's secrets, sealed at rest) and its
/// deprecated policy store.
extension IdentityService {
    /// A credential with its blob opened, for rendering.
    public struct OpenCredential: Sendable {
        public var credential: Credential
        public var blob: String
    }

    public func createCredential(
        userId: String?, projectId: String?, type: String?, blob: String?, _ auth: AuthContext
    ) throws -> OpenCredential {
        guard let type, !type.isEmpty, type.count <= 255 else {
            throw NimbusError.badRequest("Invalid input for field 'type': 'type' is a required property of 1 to 255 characters.")
        }
        guard let blob else { throw NimbusError.badRequest("Invalid input for field 'blob': 'blob' is a required property.") }
        let user = try credentialOwner(userId ?? auth.userId.rawValue, auth)
        let project = try projectId.map { id in
            guard let project = try store.project(id: ProjectID(rawValue: id)) else { throw NimbusError.badRequest("Could not find project: \(id).") }
            return project.id
        }
        let id = try Self.credentialID(type: type, blob: blob, project: project)
        guard try store.credential(id: id) == nil else {
            throw NimbusError.conflict("Conflict occurred attempting to store credential - Duplicate ID, \(id).")
        }
        let credential = Credential(id: id, userId: user, projectId: project, type: type, encryptedBlob: try credentialCipher.seal(blob))
        try store.insert(credential)
        logger.info("credential created", metadata: ["credential.id": "\(id)", "user.id": "\(user)", "type": "\(type)"])
        return OpenCredential(credential: credential, blob: blob)
    }

    public func credential(_ id: String, _ auth: AuthContext) throws -> OpenCredential {
        guard let credential = try store.credential(id: CredentialID(rawValue: id)),
              credential.userId == auth.userId || Policy.isAdmin(auth)
        else { throw NimbusError.notFound("Could not find credential: \(id).") }
        return OpenCredential(credential: credential, blob: try credentialCipher.unseal(credential.encryptedBlob))
    }

    /// An admin's listing has everyone's; anyone else's has their own.
    public func credentials(userId: String?, type: String?, _ auth: AuthContext) throws -> [OpenCredential] {
        let user = Policy.isAdmin(auth) ? userId.map(UserID.init(rawValue:)) : auth.userId
        if !Policy.isAdmin(auth), let userId, userId != auth.userId.rawValue { return [] }
        return try store.credentials(user: user, type: type).map { OpenCredential(credential: $0, blob: try credentialCipher.unseal($0.encryptedBlob)) }
    }

    public func updateCredential(
        _ id: String, userId: String?, projectId: String?, type: String?, blob: String?, _ auth: AuthContext
    ) throws -> OpenCredential {
        var open = try credential(id, auth)
        if let userId { open.credential.userId = try credentialOwner(userId, auth) }
        if let projectId {
            guard let project = try store.project(id: ProjectID(rawValue: projectId)) else {
                throw NimbusError.badRequest("Could not find project: \(projectId).")
            }
            open.credential.projectId = project.id
        }
        if let type { open.credential.type = type }
        if let blob {
            open.blob = blob
            open.credential.encryptedBlob = try credentialCipher.seal(blob)
        }
        if open.credential.type == "ec2" { _ = try Self.ec2Access(open.blob, project: open.credential.projectId) }
        try store.update(open.credential)
        return open
    }

    public func deleteCredential(_ id: String, _ auth: AuthContext) throws {
        let open = try credential(id, auth)
        guard try store.deleteCredential(id: open.credential.id) else { throw NimbusError.notFound("Could not find credential: \(id).") }
    }

    /// Users keep their own credentials; admins anyone's.
    private func credentialOwner(_ id: String, _ auth: AuthContext) throws -> UserID {
        guard id == auth.userId.rawValue || Policy.isAdmin(auth) else {
            throw NimbusError.forbidden("You are not authorized to perform the requested action: identity:create_credential.")
        }
        guard let user = try store.user(id: UserID(rawValue: id)) else { throw NimbusError.badRequest("Could not find user: \(id).") }
        return user.id
    }

    /// An EC2 credential is found by its access key, so Keystone makes its id
    /// the SHA-256 of that key; other types get a random id.
    static func credentialID(type: String, blob: String, project: ProjectID?) throws -> CredentialID {
        guard type == "ec2" else { return .generate() }
        let access = try ec2Access(blob, project: project)
        return CredentialID(rawValue: Hex.string(SHA256.hash(data: Data(access.utf8))))
    }

    static func ec2Access(_ blob: String, project: ProjectID?) throws -> String {
        guard project != nil else { throw NimbusError.badRequest("Invalid input for field 'project_id': an ec2 credential needs a project.") }
        guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(blob.utf8)),
              case .string(let access)? = fields["access"], !access.isEmpty
        else { throw NimbusError.badRequest("Invalid input for field 'blob': an ec2 blob is a JSON object with an 'access' key.") }
        return access
    }

    // MARK: Policies

    public func createPolicy(type: String?, blob: String?, extra: [String: JSONValue], _ auth: AuthContext) throws -> PolicyDocument {
        try Policy.requireAdmin(auth)
        guard let type, !type.isEmpty, type.count <= 255 else {
            throw NimbusError.badRequest("Invalid input for field 'type': 'type' is a required property of 1 to 255 characters.")
        }
        guard let blob else { throw NimbusError.badRequest("Invalid input for field 'blob': 'blob' is a required property.") }
        let policy = PolicyDocument(id: .generate(), type: type, blob: blob, extra: extra)
        try store.insert(policy)
        return policy
    }

    public func policy(_ id: String, _ auth: AuthContext) throws -> PolicyDocument {
        try Policy.requireSystemReader(auth)
        guard let policy = try store.policyDocument(id: PolicyID(rawValue: id)) else { throw NimbusError.notFound("Could not find policy: \(id).") }
        return policy
    }

    public func policies(type: String?, _ auth: AuthContext) throws -> [PolicyDocument] {
        try Policy.requireSystemReader(auth)
        return try store.policyDocuments().filter { type == nil || $0.type == type }
    }

    public func updatePolicy(_ id: String, type: String?, blob: String?, extra: [String: JSONValue], _ auth: AuthContext) throws -> PolicyDocument {
        try Policy.requireAdmin(auth)
        var policy = try self.policy(id, auth)
        if let type { policy.type = type }
        if let blob { policy.blob = blob }
        policy.extra.merge(extra) { _, new in new }
        try store.update(policy)
        return policy
    }

    public func deletePolicy(_ id: String, _ auth: AuthContext) throws {
        try Policy.requireAdmin(auth)
        guard try store.deletePolicyDocument(id: try policy(id, auth).id) else { throw NimbusError.notFound("Could not find policy: \(id).") }
    }
}
