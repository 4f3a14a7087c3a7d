import Foundation
import Testing

/// Step 6 begins: SSH key pairs as `openstack keypair` makes and imports them.
@Suite("Key pairs with the real openstack client", .serialized)
struct KeypairWorkflowTests {
    @Test("keypair create returns a private key ssh-keygen accepts; import keeps the key; fingerprints are Nova's MD5; keys are per user")
    func keypairs() async throws {
        let nimbus = try await NimbusProcess()
        let openstack = OpenStackClient(admin: nimbus)
        let work = nimbus.dataDirectory.appendingPathComponent("keys")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)

        let privateKey = try openstack.succeed("keypair", "create", "mykey")
        #expect(privateKey.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----"), "\(privateKey.prefix(60))")
        let keyFile = work.appendingPathComponent("mykey.pem")
        try privateKey.write(to: keyFile, atomically: true, encoding: .utf8)
        chmod(keyFile.path, 0o600)
        let derived = try shell("ssh-keygen -y -f \(keyFile.path)")
        #expect(derived.succeeded, "\(derived.stderr)")
        let shown = try #require(try openstack.json("keypair", "show", "mykey") as? [String: Any])
        let stored = try openstack.succeed("keypair", "show", "--public-key", "mykey")
        let words = { (line: String) in line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").prefix(2) }
        #expect(words(stored) == words(derived.stdout), "the private key matches the public key Nimbus keeps")
        try stored.write(to: work.appendingPathComponent("mykey.pub"), atomically: true, encoding: .utf8)
        let md5 = try shell("ssh-keygen -l -E md5 -f \(work.appendingPathComponent("mykey.pub").path)").stdout
        let fingerprint = try #require(shown["fingerprint"] as? String)
        #expect(md5.contains("MD5:" + fingerprint), "\(md5) vs \(fingerprint)")

        #expect(try shell("ssh-keygen -q -t rsa -b 2048 -N '' -C imported -f \(work.path)/rsa").succeeded)
        let imported = try #require(try openstack.json("keypair", "create", "--public-key", "\(work.path)/rsa.pub", "imported") as? [String: Any])
        let rsaMD5 = try shell("ssh-keygen -l -E md5 -f \(work.path)/rsa.pub").stdout
        #expect(rsaMD5.contains("MD5:\(imported["fingerprint"] as? String ?? "?")"), "\(rsaMD5) vs \(imported)")
        let names = try #require(try openstack.json("keypair", "list") as? [[String: Any]]).compactMap { $0["Name"] as? String }
        #expect(names.sorted() == ["imported", "mykey"], "\(names)")

        let again = try openstack("keypair", "create", "mykey")
        #expect(!again.succeeded && again.stderr.contains("already exists"), "\(again.stderr)")
        try "ssh-rsa not-base64 x".write(to: work.appendingPathComponent("bad.pub"), atomically: true, encoding: .utf8)
        let bad = try openstack("keypair", "create", "--public-key", "\(work.path)/bad.pub", "bad")
        #expect(!bad.succeeded && bad.stderr.contains("400"), "\(bad.stderr)")

        let bob = try openstack.newMember()
        let bobs = try #require(try bob.json("keypair", "list") as? [[String: Any]])
        #expect(bobs.isEmpty, "key pairs belong to their user: \(bobs)")
        try Data(repeating: 0, count: 4096).write(to: work.appendingPathComponent("disk.raw"))
        _ = try openstack.succeed("image", "create", "--public", "--disk-format", "raw", "--container-format", "bare", "--file", "\(work.path)/disk.raw", "tiny")
        let noKey = try bob("server", "create", "--flavor", "m1.tiny", "--image", "tiny", "--key-name", "mykey", "vm")
        #expect(!noKey.succeeded && noKey.stderr.contains("Invalid key_name provided."), "another user's key is not usable: \(noKey.stderr)")

        _ = try openstack.succeed("keypair", "delete", "mykey")
        let gone = try openstack("keypair", "show", "mykey")
        #expect(!gone.succeeded)
    }
}
