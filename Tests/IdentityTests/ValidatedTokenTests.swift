import Foundation
import Identity
import NimbusCore
import NimbusStore
import Synchronization
import Testing

/// Validated tokens are kept in memory; every change to who may do what
/// must still take effect on the very next request.
@Suite("Validated tokens are cached and forgotten on change")
struct ValidatedTokenTests {
    /// An identity service whose store counts the SQL statements it runs.
    struct Counted {
        let identity: IdentityService
        let admin: AuthContext

        init() throws {
            let counter = Mutex(0)
            let store = try Store(inMemory: ()) { _ in counter.withLock { $0 += 1 } }
            identity = IdentityService(store: store, passwordHashRounds: 1_000, tokenLifetime: 3600)
            _ = try identity.bootstrap(adminPassword: "admin-pass")
            admin = try identity.validate(try IdentityServiceTests.adminToken(identity).secret)
            countedStatements = { counter.withLock { $0 } }
        }

        private let countedStatements: @Sendable () -> Int

        /// How many statements `body` ran.
        func statements(_ body: () throws -> Void) rethrows -> Int {
            let before = countedStatements()
            try body()
            return countedStatements() - before
        }

        /// A member of a new project, and that member's token.
        func member() throws -> (user: User, project: Project, token: String) {
            let project = try identity.createProject(.init(name: "project-\(UUID().uuidString.prefix(8))"), admin)
            let user = try identity.createUser(.init(name: "user-\(UUID().uuidString.prefix(8))", password: "pass"), admin)
            try identity.grant(project: project.id.rawValue, user: user.id.rawValue, role: try role("member"), admin)
            let token = try identity.authenticate(user: .id(user.id), password: "pass", scope: .project(.id(project.id)))
            return (user, project, token.secret)
        }

        func role(_ name: String) throws -> String {
            try identity.roles(name: name, admin)[0].id.rawValue
        }
    }

    @Test("a token validated once is validated again without reading the database")
    func repeatedValidationReadsNothing() throws {
        let cloud = try Counted()
        let (user, _, token) = try cloud.member()
        #expect(try cloud.statements { _ = try cloud.identity.validate(token) } > 0)
        var users: [UserID] = []
        let repeated = try cloud.statements {
            for _ in 0..<10 { users.append(try cloud.identity.validate(token).userId) }
        }
        #expect(repeated == 0)
        #expect(users == Array(repeating: user.id, count: 10))
        // A new token changes nobody's rights: still no reads.
        _ = try IdentityServiceTests.adminToken(cloud.identity)
        #expect(try cloud.statements { _ = try cloud.identity.validate(token) } == 0)
    }

    @Test("a revoked token is refused at once although it was cached")
    func revokedAtOnce() throws {
        let cloud = try Counted()
        let (_, _, token) = try cloud.member()
        let caller = try cloud.identity.validate(token)
        try cloud.identity.revoke(token, by: caller)
        #expect { try cloud.identity.validate(token) } throws: { ($0 as? NimbusError)?.code == .unauthorized }
    }

    @Test("disabling the user or the project, deleting the user or taking the role refuses a cached token at once")
    func changesTakeEffectAtOnce() throws {
        let cloud = try Counted()
        let changes: [(Counted, User, Project) throws -> Void] = [
            { cloud, user, _ in _ = try cloud.identity.updateUser(user.id.rawValue, .init(enabled: false), cloud.admin) },
            { cloud, _, project in _ = try cloud.identity.updateProject(project.id.rawValue, .init(enabled: false), cloud.admin) },
            { cloud, user, _ in try cloud.identity.deleteUser(user.id.rawValue, cloud.admin) },
            { cloud, user, project in
                try cloud.identity.revoke(project: project.id.rawValue, user: user.id.rawValue, role: try cloud.role("member"), cloud.admin)
            },
        ]
        for change in changes {
            let (user, project, token) = try cloud.member()
            _ = try cloud.identity.validate(token)
            _ = try cloud.identity.validate(token)
            try change(cloud, user, project)
            #expect { try cloud.identity.validate(token) } throws: { ($0 as? NimbusError)?.code == .unauthorized }
        }
    }

    @Test("a role added after a token was cached is in the token's next validation")
    func addedRoleSeenAtOnce() throws {
        let cloud = try Counted()
        let (user, project, token) = try cloud.member()
        #expect(try !Policy.isAdmin(cloud.identity.validate(token)))
        try cloud.identity.grant(project: project.id.rawValue, user: user.id.rawValue, role: try cloud.role("admin"), cloud.admin)
        #expect(try Policy.isAdmin(cloud.identity.validate(token)))
    }

    @Test("an expired token is refused although it was cached")
    func expiredRefused() throws {
        let store = try Store(inMemory: ())
        let identity = IdentityService(store: store, passwordHashRounds: 1_000, tokenLifetime: 1)
        _ = try identity.bootstrap(adminPassword: "admin-pass")
        let token = try IdentityServiceTests.adminToken(identity).secret
        _ = try identity.validate(token)
        Thread.sleep(forTimeInterval: 1.2)
        #expect { try identity.validate(token) } throws: { ($0 as? NimbusError)?.code == .unauthorized }
    }
}
