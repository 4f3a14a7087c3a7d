import Foundation

/// A user's SSH key pair as Nova keeps it: the public half only.
public struct Keypair: Sendable, Codable, Equatable {
    public var name: String
    public var userId: UserID
    /// `ssh`, as Nova names every SSH key.
    public var type: String
    /// One line in OpenSSH's format (`ssh-ed25519 AAAA... comment`).
    public var publicKey: String
    /// Nova's fingerprint: the MD5 of the key blob, in colon-separated hex.
    public var fingerprint: String
    public var createdAt: Date

    public init(name: String, userId: UserID, type: String = "ssh", publicKey: String, fingerprint: String, createdAt: Date) {
        self.name = name
        self.userId = userId
        self.type = type
        self.publicKey = publicKey
        self.fingerprint = fingerprint
        self.createdAt = createdAt
    }
}
