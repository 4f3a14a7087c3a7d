import Foundation
import Identity
import NimbusCore
import NimbusStore
import Testing

@Suite("Identity service over an in-memory store")
struct IdentityServiceTests {
    static func service(tokenLifetime: TimeInterval = 3600) throws -> (IdentityService, IdentityService.BootstrapResult) {
        let store = try Store(inMemory: ())
        let identity = IdentityService(store: store, passwordHashRounds: 1_000, tokenLifetime: tokenLifetime)
        return (identity, try identity.bootstrap(adminPassword: "admin-pass"))
    }

    static func adminToken(_ identity: IdentityService) throws -> IdentityService.IssuedToken {
        try identity.authenticate(
            user: .name("admin", domain: .id(.default)), password: "admin-pass",
            scope: .project(.name("admin", domain: .name("Default"))))
    }

    @Test("bootstrap is idempotent and keeps the admin's password unless one is given")
    func bootstrapTwice() throws {
        let store = try Store(inMemory: ())
        let identity = IdentityService(store: store, passwordHashRounds: 1_000, tokenLifetime: 3600)
        let first = try identity.bootstrap(adminPassword: nil)
        let generated = try #require(first.adminPassword)
        let second = try identity.bootstrap(adminPassword: nil)
        #expect(second.adminPassword == nil)
        #expect(second.adminProject.id == first.adminProject.id)
        #expect(try store.roles().map(\.name).sorted() == ["admin", "member", "reader"])
        _ = try identity.authenticate(user: .name("admin", domain: .id(.default)), password: generated, scope: .unscoped)
        _ = try identity.bootstrap(adminPassword: "reset")
        _ = try identity.authenticate(user: .name("admin", domain: .id(.default)), password: "reset", scope: .unscoped)
    }

    @Test("passwords are stored as salted PBKDF2 hashes, never in clear")
    func passwordsAreHashed() throws {
        let hasher = PasswordHasher(rounds: 1_000)
        let one = try hasher.hash("correct horse")
        let two = try hasher.hash("correct horse")
        #expect(!one.contains("correct horse"))
        #expect(one != two, "the salt must differ")
        #expect(one.hasPrefix("pbkdf2-sha512$1000$"))
        #expect(hasher.verify("correct horse", against: one))
        #expect(!hasher.verify("correct horsE", against: one))
        #expect(!hasher.verify("correct horse", against: "pbkdf2-sha256$x$y$z"))
        // The same derivation as OpenSSL's (Python's hashlib), and hashes of the older form still verify.
        let salt = "MDEyMzQ1Njc4OWFiY2RlZg=="
        let openSSL512 = "pbkdf2-sha512$1000$\(salt)$OM0FAoIqCVK1sWtxDiffVlBejtLa+ks4TP71JiecwuSZCG8iLbnlIEPOMoVX+i2B2wkSxjQ8CRGR9OkNGuIPMQ=="
        let older256 = "pbkdf2-sha256$1000$\(salt)$cBg8D2DungRB9k76szThf5ehfyBz991ay6PT8Srwk4M="
        #expect(hasher.verify("correct horse", against: openSSL512) && !hasher.isOutdated(openSSL512))
        #expect(hasher.verify("correct horse", against: older256) && hasher.isOutdated(older256))
        #expect(PasswordHasher(rounds: 2_000).isOutdated(openSSL512), "fewer rounds than new hashes get is outdated")
    }

    @Test("a good login replaces an outdated hash with the current algorithm and cost, and the password still works")
    func outdatedHashUpgradedAtLogin() throws {
        let store = try Store(inMemory: ())
        let identity = IdentityService(store: store, passwordHashRounds: 1_000, tokenLifetime: 3600)
        _ = try identity.bootstrap(adminPassword: "correct horse")
        let admin = try #require(try store.user(named: "admin", in: .default))
        var user = admin
        user.passwordHash = "pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg==$cBg8D2DungRB9k76szThf5ehfyBz991ay6PT8Srwk4M="
        try store.update(user)
        _ = try identity.authenticate(user: .id(admin.id), password: "correct horse", scope: .unscoped)
        let upgraded = try #require(try store.user(id: admin.id)?.passwordHash)
        #expect(upgraded.hasPrefix("pbkdf2-sha512$1000$"))
        _ = try identity.authenticate(user: .id(admin.id), password: "correct horse", scope: .unscoped)
    }

    @Test("lockout: after N wrong passwords even the right one is refused, saying so, until the duration passes; a good login resets the count; others are unaffected; off by default")
    func lockout() async throws {
        let store = try Store(inMemory: ())
        let identity = IdentityService(
            store: store, passwordHashRounds: 1_000, tokenLifetime: 3600, lockout: .init(attempts: 3, duration: 1))
        _ = try identity.bootstrap(adminPassword: "admin-pass")
        let token = try Self.adminToken(identity)
        let admin = try #require(try store.user(id: token.context.userId))
        let other = try identity.createUser(.init(name: "other", password: "other-pass"), token.context)
        func login(_ user: UserID, _ password: String) -> String? {
            do { _ = try identity.authenticate(user: .id(user), password: password, scope: .unscoped); return nil } catch { return "\(error)" }
        }
        // Two failures, then a good login: the count starts again.
        #expect(login(admin.id, "wrong") != nil && login(admin.id, "wrong") != nil)
        #expect(login(admin.id, "admin-pass") == nil)
        for _ in 0..<3 { #expect(login(admin.id, "wrong")?.contains("locked") == false) }
        #expect(login(admin.id, "admin-pass")?.contains("The account is locked for user: \(admin.id).") == true)
        #expect(login(other.id, "other-pass") == nil, "a lockout is one user's")
        #expect(try identity.validate(token.secret).userId == admin.id, "tokens already issued stay valid, as in Keystone")
        try await Task.sleep(for: .milliseconds(1100))
        #expect(login(admin.id, "admin-pass") == nil, "over when the duration has passed")

        // Without a duration, until an admin enables the user again.
        let forever = IdentityService(store: store, passwordHashRounds: 1_000, tokenLifetime: 3600, lockout: .init(attempts: 2, duration: nil))
        for _ in 0..<2 { _ = login(other.id, "wrong") }
        #expect(((try? forever.authenticate(user: .id(other.id), password: "other-pass", scope: .unscoped)) == nil))
        _ = try forever.updateUser(other.id.rawValue, .init(enabled: true), token.context)
        _ = try forever.authenticate(user: .id(other.id), password: "other-pass", scope: .unscoped)

        let (plain, _) = try Self.service()
        for _ in 0..<10 { _ = try? plain.authenticate(user: .name("admin", domain: .id(.default)), password: "wrong", scope: .unscoped) }
        _ = try Self.adminToken(plain)
    }

    @Test("tokens validate until they expire, and stop at once when revoked")
    func tokenLifecycle() throws {
        let (identity, _) = try Self.service()
        let issued = try Self.adminToken(identity)
        let context = try identity.validate(issued.secret)
        #expect(context.roleNames.contains("admin"))
        #expect(context.expiresAt.timeIntervalSince(context.issuedAt) == 3600)
        try identity.revoke(issued.secret, by: context)
        #expect(throws: NimbusError.self) { try identity.validate(issued.secret) }

        let (expiring, _) = try Self.service(tokenLifetime: -1)
        let stale = try Self.adminToken(expiring)
        #expect(throws: NimbusError.self) { try expiring.validate(stale.secret) }
    }

    @Test("a wrong password and an unknown user fail the same way")
    func uniformFailures() throws {
        let (identity, _) = try Self.service()
        func message(_ body: () throws -> Void) -> String? {
            do { try body() } catch let error as NimbusError { return "\(error.code) \(error.message)" } catch { return nil }
            return nil
        }
        let wrongPassword = message { _ = try identity.authenticate(user: .name("admin", domain: .id(.default)), password: "x", scope: .unscoped) }
        let unknownUser = message { _ = try identity.authenticate(user: .name("nobody", domain: .id(.default)), password: "x", scope: .unscoped) }
        #expect(wrongPassword != nil)
        #expect(wrongPassword == unknownUser)
    }

    @Test("roles: reader may look, member may change, and losing a role ends access at once")
    func roles() throws {
        let (identity, _) = try Self.service()
        let admin = try identity.validate(try Self.adminToken(identity).secret)
        let project = try identity.createProject(.init(name: "project-b"), admin)
        let user = try identity.createUser(.init(name: "bob", password: "bob-pass"), admin)
        try identity.grant(project: project.id.rawValue, user: user.id.rawValue, role: try identity.roles(name: "reader", admin)[0].id.rawValue, admin)
        let bob = try identity.authenticate(user: .id(user.id), password: "bob-pass", scope: .project(.id(project.id)))
        let context = try identity.validate(bob.secret)
        #expect(Policy.isReader(context))
        #expect(!Policy.isMember(context))
        #expect(throws: NimbusError.self) { _ = try Policy.requireProjectMember(context) }
        #expect(throws: NimbusError.self) { _ = try identity.createProject(.init(name: "mine"), context) }

        try identity.revoke(project: project.id.rawValue, user: user.id.rawValue, role: try identity.roles(name: "reader", admin)[0].id.rawValue, admin)
        #expect(throws: NimbusError.self) { try identity.validate(bob.secret) }
    }

    @Test("duplicate names conflict; other projects' resources are not found")
    func conflictsAndIsolation() throws {
        let (identity, _) = try Self.service()
        let admin = try identity.validate(try Self.adminToken(identity).secret)
        _ = try identity.createProject(.init(name: "dup"), admin)
        #expect { _ = try identity.createProject(.init(name: "dup"), admin) } throws: { ($0 as? NimbusError)?.code == .conflict }
        #expect { _ = try identity.project("0000", admin) } throws: { ($0 as? NimbusError)?.code == .notFound }
        #expect { _ = try identity.createUser(.init(name: "", password: "x"), admin) } throws: { ($0 as? NimbusError)?.code == .badRequest }
    }
}
