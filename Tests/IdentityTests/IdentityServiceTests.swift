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
        #expect(one.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(hasher.verify("correct horse", against: one))
        #expect(!hasher.verify("correct horsE", against: one))
        #expect(!hasher.verify("correct horse", against: "pbkdf2-sha256$x$y$z"))
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
