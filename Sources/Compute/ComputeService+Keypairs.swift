import Foundation
import Identity
import NimbusCore

/// Nova's os-keypairs: SSH keys owned by a user, generated or imported.
extension ComputeService {
    public struct CreatedKeypair: Sendable {
        public var keypair: Keypair
        /// Only when Nimbus generated the key; never stored.
        public var privateKey: String?
    }

    /// Imports `publicKey`, or generates a key pair of `kind` and returns its
    /// private half once.
    /// `type` is Nova's: `ssh` (the default) or `x509`, a certificate for
    /// Windows guests' WinRM logins.
    public func createKeypair(
        name: String, publicKey: String?, kind: String?, type: String = "ssh", owner: String? = nil, _ auth: AuthContext
    ) throws -> CreatedKeypair {
        let project = try Policy.requireProjectMember(auth)
        let user = try keypairOwner(owner, rule: "create", auth)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_ .@"))
        guard !name.isEmpty, name.count <= 255, name.unicodeScalars.allSatisfy(allowed.contains),
              name.trimmingCharacters(in: .whitespaces) == name else {
            throw NimbusError.badRequest("Keypair data is invalid: Keypair name contains unsafe characters")
        }
        var privateKey: String?
        let line: String
        var fingerprint: String?
        if type == "x509" {
            if let publicKey {
                (line, fingerprint) = try X509Keys.validate(publicKey)
            } else {
                let generated = try X509Keys.generate(commonName: name)
                (line, fingerprint, privateKey) = (generated.certificate, generated.fingerprint, generated.privateKey)
            }
        } else if type != "ssh" {
            throw NimbusError.badRequest("Invalid input for field/attribute type. Value: \(type). It must be 'ssh' or 'x509'.")
        } else if let publicKey {
            line = try SSHPublicKey(publicKey).line
        } else {
            guard let chosen = SSHKeys.Kind(rawValue: kind ?? "ed25519") else {
                throw NimbusError.badRequest("Keypair data is invalid: key_type must be ed25519 or rsa.")
            }
            let generated = try SSHKeys.generate(chosen, comment: "\(name)@nimbus")
            line = generated.publicKey
            privateKey = generated.privateKey
        }
        let keypair = Keypair(
            name: name, userId: user, type: type, publicKey: line,
            fingerprint: try fingerprint ?? SSHKeys.fingerprint(try SSHPublicKey(line).blob), createdAt: Date())
        let allowedCount = try quotas.limits(of: project)["key_pairs"] ?? -1
        do {
            try store.insert(keypair) { count in
                if allowedCount >= 0, count >= allowedCount {
                    throw NimbusError(.overLimit, "Quota exceeded, too many key pairs.")
                }
            }
        } catch let error as NimbusError where error.code == .conflict {
            throw NimbusError.conflict("Key pair '\(name)' already exists.")
        }
        return CreatedKeypair(keypair: keypair, privateKey: privateKey)
    }

    /// A user's key pairs (the caller's, or with 2.10 anyone's for an admin), by name.
    public func keypairs(owner: String? = nil, _ auth: AuthContext) throws -> [Keypair] {
        _ = try Policy.requireProjectReader(auth)
        return try store.keypairs(of: try keypairOwner(owner, rule: "index", auth)).sorted { $0.name < $1.name }
    }

    public func keypair(_ name: String, owner: String? = nil, _ auth: AuthContext) throws -> Keypair {
        _ = try Policy.requireProjectReader(auth)
        let user = try keypairOwner(owner, rule: "show", auth)
        guard let keypair = try store.keypair(name, of: user) else {
            throw NimbusError.notFound("Keypair \(name) not found for user \(user)")
        }
        return keypair
    }

    public func deleteKeypair(_ name: String, owner: String? = nil, _ auth: AuthContext) throws {
        _ = try Policy.requireProjectMember(auth)
        let user = try keypairOwner(owner, rule: "delete", auth)
        guard try store.deleteKeypair(name, of: user) else {
            throw NimbusError.notFound("Keypair \(name) not found for user \(user)")
        }
    }

    /// Key pairs belong to users; only an admin names another user's (Nova 2.10).
    func keypairOwner(_ owner: String?, rule: String, _ auth: AuthContext) throws -> UserID {
        guard let owner, owner != auth.userId.rawValue else { return auth.userId }
        guard Policy.isAdmin(auth) else {
            throw NimbusError.forbidden("Policy doesn't allow os_compute_api:os-keypairs:\(rule) to be performed.")
        }
        guard let user = try store.user(id: UserID(rawValue: owner)) else { throw NimbusError.notFound("User \(owner) could not be found.") }
        return user.id
    }
}
