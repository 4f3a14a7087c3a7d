import Foundation
import Testing
@testable import Compute

@Suite("SSH keys")
struct SSHKeysTests {
    @Test("a generated ed25519 key's public line validates and has Nova's MD5 fingerprint shape")
    func ed25519() throws {
        let key = try SSHKeys.generate(.ed25519, comment: "k@nimbus")
        #expect(key.privateKey.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----\n"))
        #expect(key.privateKey.split(separator: "\n").dropFirst().dropLast().allSatisfy { $0.count <= 70 })
        let (line, blob) = try SSHKeys.validate(key.publicKey)
        #expect(line.hasPrefix("ssh-ed25519 ") && line.hasSuffix(" k@nimbus"))
        #expect(blob.count == 4 + 11 + 4 + 32)
        let fingerprint = SSHKeys.fingerprint(blob)
        #expect(fingerprint.count == 47 && fingerprint.split(separator: ":").count == 16)
    }

    @Test("public keys that are not what they say are refused")
    func refused() {
        let ed25519Blob = (SSHKeys.wire("ssh-ed25519") + SSHKeys.wire(Data(repeating: 1, count: 32))).base64EncodedString()
        #expect(throws: (any Error).self) { try SSHKeys.validate("ssh-rsa \(ed25519Blob)") }
        #expect(throws: (any Error).self) { try SSHKeys.validate("ssh-ed25519 !!!") }
        #expect(throws: (any Error).self) { try SSHKeys.validate("ssh-dss AAAA") }
        #expect(throws: Never.self) { try SSHKeys.validate("ssh-ed25519 \(ed25519Blob) me@host") }
    }

    @Test("mpint adds a zero byte before a set top bit and drops leading zeros")
    func mpint() {
        #expect(SSHKeys.mpint(Data([0x00, 0x01, 0x00, 0x01])) == Data([0x01, 0x00, 0x01]))
        #expect(SSHKeys.mpint(Data([0x80, 0x01])) == Data([0x00, 0x80, 0x01]))
    }
}
