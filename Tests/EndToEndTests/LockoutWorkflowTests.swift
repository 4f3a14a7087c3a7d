import Foundation
import Testing

/// Keystone's lockout, switched on by a setting, as the openstack client meets it.
@Suite("Account lockout with the real openstack client")
struct LockoutWorkflowTests {
    @Test("with NIMBUS_LOCKOUT_FAILURE_ATTEMPTS=2, two wrong passwords lock a user: the right one is refused with Keystone's message, other users sign in; an admin unlocks by disabling and enabling the user, or by a new password")
    func lockoutAndUnlock() async throws {
        let nimbus = try await NimbusProcess(environment: ["NIMBUS_LOCKOUT_FAILURE_ATTEMPTS": "2", "NIMBUS_LOCKOUT_DURATION": "600"])
        let admin = OpenStackClient(admin: nimbus)
        _ = try admin.succeed("user", "create", "--domain", "default", "--password", "alice-secret", "alice")
        _ = try admin.succeed("role", "add", "--project", "admin", "--user", "alice", "member")
        let wrong = OpenStackClient(nimbus: nimbus, user: "alice", password: "guess", project: "admin")
        let alice = OpenStackClient(nimbus: nimbus, user: "alice", password: "alice-secret", project: "admin")

        _ = try alice.succeed("token", "issue")
        for _ in 0..<2 {
            let refused = try wrong("token", "issue")
            #expect(!refused.succeeded && !refused.stderr.contains("locked"), "\(refused.stderr)")
        }
        let locked = try alice("token", "issue")
        #expect(!locked.succeeded && locked.stderr.contains("The account is locked for user"), "\(locked.stderr)")
        _ = try admin.succeed("token", "issue")

        // The client sends nothing for `--enable` alone on an enabled user, so it takes both.
        _ = try admin.succeed("user", "set", "--disable", "alice")
        _ = try admin.succeed("user", "set", "--enable", "alice")
        _ = try alice.succeed("token", "issue")

        for _ in 0..<2 { _ = try wrong("token", "issue") }
        #expect(try alice("token", "issue").stderr.contains("The account is locked for user"))
        _ = try admin.succeed("user", "set", "--password", "alice-new", "alice")
        _ = try OpenStackClient(nimbus: nimbus, user: "alice", password: "alice-new", project: "admin").succeed("token", "issue")
    }
}
