import Crypto
import Foundation
import NimbusCore

/// Seals credential blobs (EC2 secrets, TOTP seeds) before they reach the
/// database, as Keystone does with its credential keys: a copy of the
/// database alone does not give them away. The key lives in its own file,
/// readable by Nimbus's user only.
public struct CredentialCipher: Sendable {
    /// The key's 32 bytes (kept as Data: SymmetricKey is not Sendable).
    let keyBytes: Data
    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// A key for this process only (tests, or a cloud with nothing to keep).
    public static func ephemeral() -> CredentialCipher {
        CredentialCipher(keyBytes: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    /// Reads the key at `url`, making it (mode 0600) on first start.
    public static func load(from url: URL) throws -> CredentialCipher {
        if let data = FileManager.default.contents(atPath: url.path) {
            guard data.count == 32 else { throw NimbusError(.internalError, "The credential key \(url.path) is not 32 bytes.") }
            return CredentialCipher(keyBytes: data)
        }
        let key = SymmetricKey(size: .bits256)
        let data = key.withUnsafeBytes { Data($0) }
        // O_EXCL: two processes starting at once must not each write a different key.
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw NimbusError(.internalError, "Cannot create the credential key \(url.path): errno \(errno).") }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(descriptor) == 0 else {
            throw NimbusError(.internalError, "Cannot write the credential key \(url.path): errno \(errno).")
        }
        return CredentialCipher(keyBytes: data)
    }

    func seal(_ blob: String) throws -> String {
        guard let combined = try AES.GCM.seal(Data(blob.utf8), using: key).combined else {
            throw NimbusError(.internalError, "Sealing a credential failed.")
        }
        return combined.base64EncodedString()
    }

    func unseal(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else { throw NimbusError(.internalError, "A stored credential is damaged.") }
        do {
            return String(decoding: try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: key), as: UTF8.self)
        } catch {
            throw NimbusError(.internalError, "A stored credential cannot be opened: the credential key is not the one it was sealed with.")
        }
    }
}
