import Foundation
import Testing
@testable import Compute
import NimbusCore

@Suite("SSH keys")
struct SSHKeysTests {
    @Test("a generated ed25519 key's public line validates and has Nova's MD5 fingerprint shape")
    func ed25519() throws {
        let key = try SSHKeys.generate(.ed25519, comment: "k@nimbus")
        #expect(key.privateKey.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----\n"))
        #expect(key.privateKey.split(separator: "\n").dropFirst().dropLast().allSatisfy { $0.count <= 70 })
        let parsed = try SSHPublicKey(key.publicKey)
        let (line, blob) = (parsed.line, parsed.blob)
        #expect(line.hasPrefix("ssh-ed25519 ") && line.hasSuffix(" k@nimbus"))
        #expect(blob.count == 4 + 11 + 4 + 32)
        let fingerprint = SSHKeys.fingerprint(blob)
        #expect(fingerprint.count == 47 && fingerprint.split(separator: ":").count == 16)
    }

    @Test("public keys that are not what they say are refused")
    func refused() {
        let ed25519Blob = (SSHKeys.wire("ssh-ed25519") + SSHKeys.wire(Data(repeating: 1, count: 32))).base64EncodedString()
        #expect(throws: (any Error).self) { try SSHPublicKey("ssh-rsa \(ed25519Blob)") }
        #expect(throws: (any Error).self) { try SSHPublicKey("ssh-ed25519 !!!") }
        #expect(throws: (any Error).self) { try SSHPublicKey("ssh-dss AAAA") }
        #expect(throws: Never.self) { try SSHPublicKey("ssh-ed25519 \(ed25519Blob) me@host") }
        // Cut short or padded: the key's own fields must be all there is.
        let short = (SSHKeys.wire("ssh-ed25519") + SSHKeys.wire(Data(repeating: 1, count: 31))).base64EncodedString()
        let trailing = (SSHKeys.wire("ssh-ed25519") + SSHKeys.wire(Data(repeating: 1, count: 32)) + Data([0])).base64EncodedString()
        let tinyRSA = (SSHKeys.wire("ssh-rsa") + SSHKeys.wire(Data([1, 0, 1])) + SSHKeys.wire(Data([0x7f] + [UInt8](repeating: 1, count: 63)))).base64EncodedString()
        let point = Data([4] + [UInt8](repeating: 7, count: 64))
        let ecdsa = (SSHKeys.wire("ecdsa-sha2-nistp256") + SSHKeys.wire("nistp256") + SSHKeys.wire(point)).base64EncodedString()
        let wrongCurve = (SSHKeys.wire("ecdsa-sha2-nistp256") + SSHKeys.wire("nistp384") + SSHKeys.wire(point)).base64EncodedString()
        for (line, what) in [("ssh-ed25519 \(short)", "a 31-byte key"), ("ssh-ed25519 \(trailing)", "a byte after the key"),
                             ("ssh-rsa \(tinyRSA)", "a 512-bit modulus"), ("ecdsa-sha2-nistp256 \(wrongCurve)", "another curve's name")] {
            #expect(throws: NimbusError.self, "\(what)") { try SSHPublicKey(line) }
        }
        #expect(throws: Never.self) { try SSHPublicKey("ecdsa-sha2-nistp256 \(ecdsa)") }
    }

    @Test("a generated RSA key's public line parses field by field")
    func rsa() throws {
        let key = try SSHKeys.generate(.rsa, comment: "r@nimbus")
        #expect(try SSHPublicKey(key.publicKey).line.hasPrefix("ssh-rsa "))
    }

    @Test("mpint adds a zero byte before a set top bit and drops leading zeros")
    func mpint() {
        #expect(SSHKeys.mpint(Data([0x00, 0x01, 0x00, 0x01])) == Data([0x01, 0x00, 0x01]))
        #expect(SSHKeys.mpint(Data([0x80, 0x01])) == Data([0x00, 0x80, 0x01]))
    }

    @Test("key lines kept from fuzzing parse or are refused without a trap: a real key parses, a truncated one and one whose type length runs past its end are refused")
    func fuzzRegressions() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzRegressions")
        var parsed: Set<String> = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            if (try? SSHPublicKey(text)) != nil { parsed.insert(name) }
        }
        #expect(parsed == ["ed25519-line"])
    }
}
