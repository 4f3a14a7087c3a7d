import Crypto
import Foundation
import Logging
import NimbusCore
import NimbusStore

/// Users, projects, roles and tokens: Keystone's job.
public struct IdentityService: Sendable {
    let store: Store
    let hasher: PasswordHasher
    let tokenLifetime: TimeInterval
    let logger = Logger(label: "nimbus.identity")
    /// A hash of a random password with the configured cost, checked against
    /// when a user does not exist.
    let dummyHash: String
    let credentialCipher: CredentialCipher
    let validatedTokens = ValidatedTokens()
    let lockout: Lockout?

    /// Keystone's `lockout_failure_attempts` and `lockout_duration`: after
    /// `attempts` wrong passwords in a row a user's password is refused,
    /// right or wrong, for `duration` (nil: until an admin enables the user
    /// again or sets a password). Off when the service has none, as in Keystone.
    public struct Lockout: Sendable {
        public var attempts: Int
        public var duration: TimeInterval?

        public init(attempts: Int, duration: TimeInterval?) {
            self.attempts = attempts
            self.duration = duration
        }
    }

    public init(
        store: Store, passwordHashRounds: Int, tokenLifetime: TimeInterval, credentialCipher: CredentialCipher = .ephemeral(),
        lockout: Lockout? = nil
    ) {
        self.store = store
        self.lockout = lockout
        self.credentialCipher = credentialCipher
        self.hasher = PasswordHasher(rounds: passwordHashRounds)
        self.tokenLifetime = tokenLifetime
        self.dummyHash = (try? hasher.hash(Self.randomSecret())) ?? ""
    }

    // MARK: Authentication

    /// How a password request names its user.
    public enum UserReference: Sendable, CustomStringConvertible {
        case id(UserID)
        case name(String, domain: DomainReference)

        public var description: String {
            switch self {
            case .id(let id): "id \(id)"
            case .name(let name, let domain): "\(name) in domain \(domain)"
            }
        }
    }

    /// How a request names a domain.
    public enum DomainReference: Sendable, CustomStringConvertible {
        case id(DomainID)
        case name(String)

        public var description: String {
            switch self {
            case .id(let id): "id \(id)"
            case .name(let name): name
            }
        }
    }

    /// What a token is scoped to.
    public enum Scope: Sendable {
        case unscoped
        case project(ProjectReference)
        case domain(DomainReference)
        /// Keystone's `{"system": {"all": true}}`: the whole deployment.
        case system
    }

    public enum ProjectReference: Sendable {
        case id(ProjectID)
        case name(String, domain: DomainReference)
    }

    /// A newly issued token: the secret goes to the client once and is never stored.
    public struct IssuedToken: Sendable {
        public var secret: String
        public var context: AuthContext
    }

    /// Keystone answers every authentication failure with the same message, so
    /// an attacker cannot tell a wrong password from an unknown user.
    static let authenticationFailed = NimbusError.unauthorized("The request you have made requires authentication.")

    public func authenticate(user reference: UserReference, password: String, scope: Scope) throws -> IssuedToken {
        try issue(for: try checkPassword(of: reference, password), scope: scope)
    }

    /// The user whose password this is, or the one refusal for every failure
    /// (Keystone's), with the lockout's account of failures kept.
    func checkPassword(of reference: UserReference, _ password: String) throws -> User {
        guard let user = try findUser(reference), let hash = user.passwordHash else {
            // Spend the same work as a real check, so timing does not tell which users exist.
            _ = hasher.verify(password, against: dummyHash)
            logger.info("authentication failed", metadata: ["user": "\(reference)"])
            throw Self.authenticationFailed
        }
        let failures = lockout == nil ? nil : try store.loginFailures(of: user.id)
        if let lockout, let failures, failures.count >= lockout.attempts {
            if let duration = lockout.duration, failures.last.addingTimeInterval(duration) <= Date() {
                try store.clearLoginFailures(of: user.id)
            } else {
                logger.notice("authentication refused: the account is locked", metadata: ["user.id": "\(user.id)"])
                throw NimbusError.unauthorized("The account is locked for user: \(user.id).")
            }
        }
        guard hasher.verify(password, against: hash) else {
            logger.info("authentication failed", metadata: ["user": "\(reference)"])
            if lockout != nil { try store.recordLoginFailure(of: user.id, at: Date()) }
            throw Self.authenticationFailed
        }
        guard user.enabled, try store.domain(id: user.domainId)?.enabled == true else { throw Self.authenticationFailed }
        if failures != nil { try store.clearLoginFailures(of: user.id) }
        if hasher.isOutdated(hash) {
            // The password is at hand only now: its hash moves to the current algorithm and cost.
            var upgraded = user
            upgraded.passwordHash = try hasher.hash(password)
            try store.update(upgraded)
        }
        return user
    }

    /// The `token` method: trade a valid token for a new one, usually to change
    /// scope. The new token expires when the old one does, as in Keystone, so a
    /// token cannot be kept alive forever by renewing it.
    public func authenticate(token secret: String, scope: Scope) throws -> IssuedToken {
        let context = try validate(secret)
        // A credential's token stays within the credential: no trading it for another scope.
        if context.applicationCredential != nil {
            throw NimbusError.forbidden("A token made from an application credential cannot be exchanged for another token.")
        }
        guard let user = try store.user(id: context.userId) else { throw Self.authenticationFailed }
        let methods = context.methods.contains("token") ? context.methods : context.methods + ["token"]
        return try issue(for: user, scope: scope, expiresAt: context.expiresAt, methods: methods)
    }

    /// How an application credential is named in an authentication request.
    public enum ApplicationCredentialReference: Sendable {
        case id(ApplicationCredentialID)
        case name(String, user: UserReference)
    }

    /// The `application_credential` method: a project-scoped token with the
    /// credential's roles that the user still holds, expiring no later than it.
    public func authenticate(applicationCredential reference: ApplicationCredentialReference, secret: String) throws -> IssuedToken {
        let credential: ApplicationCredential?
        switch reference {
        case .id(let id): credential = try store.applicationCredential(id: id)
        case .name(let name, let userReference):
            credential = try findUser(userReference).flatMap { user in try store.applicationCredentials(of: user.id).first { $0.name == name } }
        }
        guard let credential, hasher.verify(secret, against: credential.secretHash) else {
            _ = hasher.verify(secret, against: dummyHash)
            throw Self.authenticationFailed
        }
        if let expiry = credential.expiresAt, expiry <= Date() { throw Self.authenticationFailed }
        guard let user = try store.user(id: credential.userId), user.enabled, try store.domain(id: user.domainId)?.enabled == true else {
            throw Self.authenticationFailed
        }
        let lifetime = Date().addingTimeInterval(tokenLifetime)
        return try issue(
            for: user, scope: .project(.id(credential.projectId)), expiresAt: credential.expiresAt.map { min($0, lifetime) },
            credential: credential, methods: ["application_credential"])
    }

    private func issue(
        for user: User, scope: Scope, expiresAt: Date? = nil, credential: ApplicationCredential? = nil, methods: [String] = ["password"]
    ) throws -> IssuedToken {
        var project: Project?
        var domain: Domain?
        var roles: [Role] = []
        if case .domain(let reference) = scope {
            guard let found = try findDomain(reference), found.enabled else {
                throw NimbusError.unauthorized("The request you have made requires authentication.")
            }
            roles = try withImplied(try store.roles(of: user.id, onDomain: found.id))
            guard !roles.isEmpty else { throw NimbusError.unauthorized("User \(user.id) has no access to domain \(found.id).") }
            domain = found
        }
        if case .system = scope {
            roles = try withImplied(try store.systemRoles(of: user.id))
            guard !roles.isEmpty else { throw NimbusError.unauthorized("User \(user.id) has no access to the system.") }
        }
        if case .project(let reference) = scope {
            guard let found = try findProject(reference) else {
                throw NimbusError.unauthorized("The request you have made requires authentication.")
            }
            guard found.enabled else { throw NimbusError.unauthorized("Project \(found.id) is disabled.") }
            roles = Self.bounded(try withImplied(try store.roles(of: user.id, on: found.id)), by: credential)
            guard !roles.isEmpty else {
                throw NimbusError.unauthorized("User \(user.id) has no access to project \(found.id).")
            }
            project = found
        }
        let secret = Self.randomSecret()
        // Milliseconds, as the database keeps them: a token reads the same when issued and when validated.
        let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000)
        let system = if case .system = scope { true } else { false }
        var record = TokenRecord(
            hash: Self.digest(secret), userId: user.id, projectId: project?.id, system: system, applicationCredentialId: credential?.id, issuedAt: now,
            expiresAt: expiresAt ?? now.addingTimeInterval(tokenLifetime), auditId: String(Self.randomSecret().prefix(22)), methods: methods)
        record.domainId = domain?.id
        try store.insert(record)
        let context = AuthContext(
            userId: user.id, userName: user.name, userDomainId: user.domainId, project: project, system: system, roles: roles,
            issuedAt: record.issuedAt, expiresAt: record.expiresAt, auditId: record.auditId)
        var issued = IssuedToken(secret: secret, context: context)
        issued.context.methods = methods
        issued.context.domain = domain
        issued.context.applicationCredential = credential.map { .init(id: $0.id, name: $0.name, restricted: !$0.unrestricted) }
        return issued
    }

    /// Checks a token and returns who it speaks for. Validated tokens are
    /// cached, but any change to who may do what (a revoked token or role, a
    /// disabled user or project) makes the cache check the database again, so
    /// it takes effect at once.
    public func validate(_ secret: String) throws -> AuthContext {
        guard secret.utf8.count <= 256 else {
            throw NimbusError.unauthorized("The request you have made requires authentication.")
        }
        let digest = Self.digest(secret)
        let generation = store.authorityGeneration
        if let known = validatedTokens.context(for: digest, generation: generation, now: Date()) { return known }
        let context = try validate(digest: digest)
        validatedTokens.remember(context, for: digest, generation: generation)
        return context
    }

    private func validate(digest: String) throws -> AuthContext {
        guard let record = try store.token(hash: digest),
              record.expiresAt > Date(), let user = try store.user(id: record.userId), user.enabled,
              try store.domain(id: user.domainId)?.enabled == true
        else {
            throw NimbusError.unauthorized("The request you have made requires authentication.")
        }
        var project: Project?
        var domain: Domain?
        var roles: [Role] = []
        let credential = try record.applicationCredentialId.flatMap { try store.applicationCredential(id: $0) }
        if record.applicationCredentialId != nil, credential == nil {
            throw NimbusError.unauthorized("The request you have made requires authentication.")
        }
        if let projectId = record.projectId {
            guard let found = try store.project(id: projectId), found.enabled else {
                throw NimbusError.unauthorized("The request you have made requires authentication.")
            }
            roles = Self.bounded(try withImplied(try store.roles(of: user.id, on: projectId)), by: credential)
            guard !roles.isEmpty else {
                throw NimbusError.unauthorized("The request you have made requires authentication.")
            }
            project = found
        } else if record.system {
            roles = try withImplied(try store.systemRoles(of: user.id))
            guard !roles.isEmpty else { throw NimbusError.unauthorized("The request you have made requires authentication.") }
        } else if let domainId = record.domainId {
            guard let found = try store.domain(id: domainId), found.enabled else {
                throw NimbusError.unauthorized("The request you have made requires authentication.")
            }
            roles = try withImplied(try store.roles(of: user.id, onDomain: domainId))
            guard !roles.isEmpty else { throw NimbusError.unauthorized("The request you have made requires authentication.") }
            domain = found
        }
        var context = AuthContext(
            userId: user.id, userName: user.name, userDomainId: user.domainId, project: project, system: record.system, roles: roles,
            issuedAt: record.issuedAt, expiresAt: record.expiresAt, auditId: record.auditId)
        context.applicationCredential = credential.map { .init(id: $0.id, name: $0.name, restricted: !$0.unrestricted) }
        context.methods = record.methods
        context.domain = domain
        return context
    }

    /// The roles and every role they imply, transitively (a cycle ends the walk), by name.
    func withImplied(_ roles: [Role]) throws -> [Role] {
        let inferences = try store.roleInferences()
        guard !inferences.isEmpty else { return roles.filter { $0.domainId == nil } }
        var held = Dictionary(roles.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for id in RoleInference.closure(of: roles.map(\.id), under: inferences) where held[id] == nil {
            held[id] = try store.role(id: id)
        }
        // Domain-specific roles only carry what they imply: they never reach a token.
        return held.values.filter { $0.domainId == nil }.sorted { $0.name < $1.name }
    }

    /// A credential's token holds the credential's roles the user still has.
    static func bounded(_ roles: [Role], by credential: ApplicationCredential?) -> [Role] {
        guard let credential else { return roles }
        return roles.filter { credential.roleIds.contains($0.id) }
    }

    /// Revokes a token. A user may revoke their own tokens; admins any token.
    public func revoke(_ secret: String, by caller: AuthContext) throws {
        _ = try subjectToken(secret, for: caller)
        _ = try store.deleteToken(hash: Self.digest(secret))
    }

    /// Validates a subject token on behalf of a caller (GET/HEAD /v3/auth/tokens).
    public func subjectToken(_ secret: String, for caller: AuthContext) throws -> AuthContext {
        let subject: AuthContext
        do {
            subject = try validate(secret)
        } catch {
            throw NimbusError.notFound("Could not find token.")
        }
        guard subject.userId == caller.userId || Policy.isAdmin(caller) else {
            throw NimbusError.forbidden("You are not authorized to perform the requested action: identity:validate_token.")
        }
        return subject
    }

    // MARK: Lookups

    func findDomain(_ reference: DomainReference) throws -> Domain? {
        switch reference {
        case .id(let id): return try store.domain(id: id)
        case .name(let name): return try store.domain(named: name)
        }
    }

    func findUser(_ reference: UserReference) throws -> User? {
        switch reference {
        case .id(let id):
            return try store.user(id: id)
        case .name(let name, let domainReference):
            guard let domain = try findDomain(domainReference) else { return nil }
            return try store.user(named: name, in: domain.id)
        }
    }

    func findProject(_ reference: ProjectReference) throws -> Project? {
        switch reference {
        case .id(let id):
            return try store.project(id: id)
        case .name(let name, let domainReference):
            guard let domain = try findDomain(domainReference) else { return nil }
            return try store.project(named: name, in: domain.id)
        }
    }

    // MARK: Secrets

    /// 32 random bytes, base64url without padding: opaque and unguessable.
    static func randomSecret() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func digest(_ secret: String) -> String {
        Hex.string(SHA256.hash(data: Data(secret.utf8)))
    }
}

extension IdentityService {
    /// A user's default project, used when a password request names no scope.
    public func defaultProject(of reference: UserReference) throws -> ProjectID? {
        try findUser(reference)?.defaultProjectId
    }

    /// Domain names by id, for rendering tokens.
    public func domainNames() throws -> [(DomainID, String)] {
        try store.domains().map { ($0.id, $0.name) }
    }
}
