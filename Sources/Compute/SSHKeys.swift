import Crypto
import Foundation
import NimbusCore
import _CryptoExtras

/// SSH keys in OpenSSH's formats: new key pairs (ed25519 or RSA), and
/// checks of public keys users bring. Private keys are returned once and
/// never stored.
enum SSHKeys {
    enum Kind: String, Sendable {
        case ed25519, rsa
    }

    struct Generated {
        var publicKey: String
        var privateKey: String
    }

    static func generate(_ kind: Kind, comment: String) throws -> Generated {
        switch kind {
        case .ed25519:
            let key = Curve25519.Signing.PrivateKey()
            let publicBytes = key.publicKey.rawRepresentation
            let blob = wire("ssh-ed25519") + wire(publicBytes)
            return Generated(
                publicKey: "ssh-ed25519 \(blob.base64EncodedString()) \(comment)",
                privateKey: openSSHPrivateKey(publicBlob: blob, secret: wire("ssh-ed25519") + wire(publicBytes)
                    + wire(key.rawRepresentation + publicBytes), comment: comment))
        case .rsa:
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let primitives = try key.publicKey.getKeyPrimitives()
            let blob = wire("ssh-rsa") + wire(mpint(primitives.publicExponent)) + wire(mpint(primitives.modulus))
            // PKCS#1 PEM, as Nova hands out RSA keys; OpenSSH reads it as it is.
            return Generated(publicKey: "ssh-rsa \(blob.base64EncodedString()) \(comment)", privateKey: key.pemRepresentation + "\n")
        }
    }

    /// Nova's fingerprint: MD5 of the key blob, colon-separated hex.
    static func fingerprint(_ blob: Data) -> String {
        Hex.string(Insecure.MD5.hash(data: blob), separator: ":")
    }

    /// The `openssh-key-v1` container, unencrypted, wrapped at 70 columns.
    static func openSSHPrivateKey(publicBlob: Data, secret: Data, comment: String) -> String {
        let check = UInt32.random(in: 0...UInt32.max)
        var section = uint32(check) + uint32(check) + secret + wire(comment)
        var pad: UInt8 = 1
        while section.count % 8 != 0 {
            section.append(pad)
            pad += 1
        }
        let body = Data("openssh-key-v1".utf8) + Data([0]) + wire("none") + wire("none") + wire(Data())
            + uint32(1) + wire(publicBlob) + wire(section)
        let encoded = body.base64EncodedString()
        var lines: [Substring] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 70, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(encoded[index..<end])
            index = end
        }
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n\(lines.joined(separator: "\n"))\n-----END OPENSSH PRIVATE KEY-----\n"
    }

    static func uint32(_ value: UInt32) -> Data {
        Data([UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
    }

    static func wire(_ text: String) -> Data { wire(Data(text.utf8)) }

    static func wire(_ bytes: Data) -> Data { uint32(UInt32(bytes.count)) + bytes }

    /// SSH's mpint: big-endian, minimal, with a zero byte when the top bit is set.
    static func mpint(_ bytes: Data) -> Data {
        let trimmed = bytes.drop { $0 == 0 }
        guard let first = trimmed.first else { return Data() }
        return first & 0x80 != 0 ? Data([0]) + trimmed : Data(trimmed)
    }
}
